import type { ExecutionResult } from 'graphql';
import WebSocket from 'ws';

export type Outcome = ExecutionResult | AsyncIterable<ExecutionResult>;

/** One graphql-ws subscriber: its socket and the id of its operation on that socket. */
export interface Member {
  socket: WebSocket;
  id: string;
}

export interface SharedResults {
  /**
   * Joins the subscribers of `key`; the first one's `start` (yoga's subscribe) makes the stream
   * the whole group shares. Returns what graphql-ws iterates for this subscriber: a stream that
   * yields nothing (its `next` messages are written here) and ends when the shared stream ends or
   * fails, or, when the shared outcome is not a stream (an error result), that outcome.
   */
  join(key: string, member: Member, start: () => Promise<Outcome>): Promise<Outcome>;
  /** Keys with subscribers. */
  keys(): string[];
}

interface Writer {
  socket: WebSocket;
  /** This subscriber's `next` message up to its payload, UTF-8. */
  head: Buffer;
  /** A write is on its way to the socket: the next message waits in `pending`. */
  writing: boolean;
  pending: Buffer | undefined;
  /** The socket's callback when a write is done (one per writer, not one per write). */
  written: () => void;
  /** Ends the subscriber's stream; with an error, graphql-ws sends an `error` message. */
  end(error?: unknown): void;
}

interface Group {
  writers: Set<Writer>;
  outcome: Promise<Outcome>;
  stream: AsyncIterator<ExecutionResult> | undefined;
  /** The payload of the latest result, for a subscriber that joins between two. */
  last: Buffer | undefined;
  ended: boolean;
}

const isStream = (outcome: Outcome): outcome is AsyncIterable<ExecutionResult> =>
  typeof (outcome as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

const DONE = { done: true, value: undefined } as const;
const CLOSE = Buffer.from('}');
const TEXT = { binary: false } as const;

/**
 * Subscribers of the same operation (the caller's key: tenant, query, operation name, variables)
 * of a field whose events depend on nothing else get the same results: ONE stream executes them,
 * each result is serialized and encoded ONCE, and the same payload goes to every subscriber's socket
 * in a `next` message that differs only by its id (UTF-8 bytes joined, no string per subscriber). graphql-ws alone executes and stringifies every
 * result once per subscriber, which is what bounds a fan-out to thousands of sockets.
 *
 * As with graphql-ws's own loop, a slow socket never queues results: while a write is on its way
 * only the latest message waits (as the live field's one-slot buffer does).
 */
export function createSharedResults(): SharedResults {
  const groups = new Map<string, Group>();

  const write = (writer: Writer, message: Buffer) => {
    if (writer.socket.readyState !== WebSocket.OPEN) return;
    if (writer.writing) {
      writer.pending = message;
      return;
    }
    writer.writing = true;
    writer.socket.send(message, TEXT, writer.written);
  };
  const writeNext = (writer: Writer, payload: Buffer) =>
    write(writer, Buffer.concat([writer.head, payload, CLOSE]));

  const end = (key: string, group: Group) => {
    group.ended = true;
    if (groups.get(key) === group) groups.delete(key);
  };

  const pump = async (key: string, group: Group, stream: AsyncIterator<ExecutionResult>) => {
    let failure: { error: unknown } | undefined;
    try {
      for (let next = await stream.next(); !next.done; next = await stream.next()) {
        const payload = Buffer.from(JSON.stringify(next.value));
        group.last = payload;
        for (const writer of group.writers) writeNext(writer, payload);
      }
    } catch (error) {
      failure = { error };
    }
    end(key, group);
    for (const writer of group.writers) writer.end(failure?.error);
  };

  const leave = (key: string, group: Group, writer: Writer) => {
    group.writers.delete(writer);
    if (group.writers.size > 0 || group.ended) return;
    end(key, group);
    // Ends the shared subscription: its source unsubscribes from the ticker.
    void group.stream?.return?.();
  };

  async function join(key: string, member: Member, start: () => Promise<Outcome>) {
    let group = groups.get(key);
    if (!group) {
      group = {
        writers: new Set(),
        outcome: start(),
        stream: undefined,
        last: undefined,
        ended: false,
      };
      groups.set(key, group);
    }
    const joined = group;
    let outcome: Outcome;
    try {
      outcome = await joined.outcome;
    } catch (error) {
      end(key, joined);
      throw error;
    }
    if (!isStream(outcome)) {
      end(key, joined);
      return outcome;
    }
    // The stream ended while this subscriber waited: it starts a new one.
    if (joined.ended) return join(key, member, start);

    let settle!: (result: Promise<IteratorResult<ExecutionResult>>) => void;
    const finished = new Promise<IteratorResult<ExecutionResult>>((resolve) => (settle = resolve));
    // graphql-ws may return() a stream it never iterates: a failure must not go unhandled then.
    finished.catch(() => undefined);
    let left = false;
    const writer: Writer = {
      socket: member.socket,
      head: Buffer.from(`{"id":${JSON.stringify(member.id)},"type":"next","payload":`),
      writing: false,
      pending: undefined,
      written() {
        writer.writing = false;
        const pending = writer.pending;
        writer.pending = undefined;
        if (pending !== undefined) write(writer, pending);
      },
      end(error) {
        left = true;
        settle(error === undefined ? Promise.resolve(DONE) : Promise.reject(error));
      },
    };
    joined.writers.add(writer);
    if (!joined.stream) {
      joined.stream = outcome[Symbol.asyncIterator]();
      void pump(key, joined, joined.stream);
    }
    if (joined.last !== undefined) writeNext(writer, joined.last);
    // graphql-ws calls return() when the client completes the operation or the socket closes.
    const stream: AsyncIterableIterator<ExecutionResult> = {
      [Symbol.asyncIterator]: () => stream,
      next: () => finished,
      async return() {
        if (!left) {
          left = true;
          leave(key, joined, writer);
          settle(Promise.resolve(DONE));
        }
        return DONE;
      },
    };
    return stream;
  }

  return { join, keys: () => [...groups.keys()] };
}
