import type { ExecutionResult } from 'graphql';
import { setImmediate as nextTurn } from 'node:timers/promises';
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
  /** This subscriber's operation id, and its `next` message up to its payload, UTF-8. */
  id: string;
  head: Buffer;
  /** The latest payload written to (or waiting for) this subscriber: none is written twice. */
  sent: Buffer | undefined;
  /** A write to a slow socket is on its way: the next message waits in `pending`. */
  waiting: boolean;
  pending: Buffer | undefined;
  /** The socket's callback when that write is done (one per writer, not one per write). */
  written: () => void;
  left: boolean;
  /** Ends the subscriber's stream; with an error, graphql-ws sends an `error` message. */
  end(error?: unknown): void;
}

interface Group {
  writers: Set<Writer>;
  outcome: Promise<Outcome>;
  stream: AsyncIterator<ExecutionResult> | undefined;
  /** The payload of the latest result, for a subscriber that joins between two. */
  last: Buffer | undefined;
  /** Per operation id, the `next` message of `last`: subscribers with the same id share it. */
  messages: Map<string, Buffer>;
  /** The latest results are being written to every subscriber (`round`, the pump awaits it). */
  writing: boolean;
  round: Promise<void>;
  ended: boolean;
}

const isStream = (outcome: Outcome): outcome is AsyncIterable<ExecutionResult> =>
  typeof (outcome as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';

const DONE = { done: true, value: undefined } as const;
const CLOSE = Buffer.from('}');
const TEXT = { binary: false } as const;
/**
 * A result reaches this many sockets per turn of the event loop: 10,000 writes (~15 µs of kernel
 * time each on loopback) would otherwise hold it for a few hundred ms, and queries, other
 * subscriptions' results and new subscribers would wait for all of them.
 */
const WRITES_PER_TURN = 500;

/**
 * Subscribers of the same operation (the caller's key: tenant, query, operation name, variables)
 * of a field whose events depend on nothing else get the same results: ONE stream executes them,
 * each result is serialized and encoded ONCE, and the same payload goes to every subscriber's
 * socket in a `next` message that differs only by its id (UTF-8 bytes joined once per distinct id,
 * no string per subscriber). graphql-ws alone executes and stringifies every result once per
 * subscriber, which is what bounds a fan-out to thousands of sockets.
 *
 * As with graphql-ws's own loop, a slow socket never queues results: a message goes without a
 * callback while the socket has taken everything written before (the common case: no callback,
 * no tick per write); once it has not, the next write waits for a callback and only the latest
 * message waits meanwhile (as the live field's one-slot buffer does).
 */
export function createSharedResults(): SharedResults {
  const groups = new Map<string, Group>();

  const write = (writer: Writer, message: Buffer) => {
    if (writer.socket.readyState !== WebSocket.OPEN) return;
    if (writer.waiting) writer.pending = message;
    else if (writer.socket.bufferedAmount === 0) writer.socket.send(message, TEXT);
    else {
      writer.waiting = true;
      writer.socket.send(message, TEXT, writer.written);
    }
  };

  const writeLatest = (group: Group, writer: Writer) => {
    const payload = group.last;
    if (payload === undefined || writer.sent === payload || writer.left) return;
    writer.sent = payload;
    let message = group.messages.get(writer.id);
    if (!message) {
      message = Buffer.concat([writer.head, payload, CLOSE]);
      group.messages.set(writer.id, message);
    }
    write(writer, message);
  };

  /** Writes the latest result to every subscriber, a turn at a time, until none is newer. */
  const writeRound = async (group: Group) => {
    group.writing = true;
    try {
      let payload: Buffer | undefined;
      while (payload !== group.last) {
        payload = group.last;
        let written = 0;
        for (const writer of [...group.writers]) {
          if (written > 0 && written % WRITES_PER_TURN === 0) await nextTurn();
          writeLatest(group, writer);
          written++;
        }
      }
    } finally {
      group.writing = false;
    }
  };

  const publish = (group: Group, result: ExecutionResult) => {
    group.last = Buffer.from(JSON.stringify(result));
    group.messages = new Map();
    if (!group.writing) group.round = writeRound(group);
  };

  const end = (key: string, group: Group) => {
    group.ended = true;
    if (groups.get(key) === group) groups.delete(key);
  };

  const pump = async (key: string, group: Group, stream: AsyncIterator<ExecutionResult>) => {
    let failure: { error: unknown } | undefined;
    try {
      for (let next = await stream.next(); !next.done; next = await stream.next())
        publish(group, next.value);
    } catch (error) {
      failure = { error };
    }
    await group.round;
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
        messages: new Map(),
        writing: false,
        round: Promise.resolve(),
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
    const writer: Writer = {
      socket: member.socket,
      id: member.id,
      head: Buffer.from(`{"id":${JSON.stringify(member.id)},"type":"next","payload":`),
      sent: undefined,
      waiting: false,
      pending: undefined,
      written() {
        writer.waiting = false;
        const pending = writer.pending;
        writer.pending = undefined;
        if (pending !== undefined) write(writer, pending);
      },
      left: false,
      end(error) {
        writer.left = true;
        settle(error === undefined ? Promise.resolve(DONE) : Promise.reject(error));
      },
    };
    joined.writers.add(writer);
    if (!joined.stream) {
      joined.stream = outcome[Symbol.asyncIterator]();
      void pump(key, joined, joined.stream);
    }
    writeLatest(joined, writer);
    // graphql-ws calls return() when the client completes the operation or the socket closes.
    const stream: AsyncIterableIterator<ExecutionResult> = {
      [Symbol.asyncIterator]: () => stream,
      next: () => finished,
      async return() {
        if (!writer.left) {
          writer.left = true;
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
