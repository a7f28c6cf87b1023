import type { ExecutionResult } from 'graphql';
import { Repeater } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSharedResults, type Outcome } from '../../src/api/shared-results.js';

/** A socket that records what is written; `hold` keeps write callbacks until `flush()`. */
function fakeSocket(hold = false) {
  const held: (() => void)[] = [];
  const socket = {
    readyState: WebSocket.OPEN as number,
    sent: [] as string[],
    send(message: Buffer, options: { binary: boolean }, done: () => void) {
      expect(options.binary).toBe(false);
      socket.sent.push(message.toString());
      if (hold) held.push(done);
      else done();
    },
    flush: () => held.splice(0).forEach((done) => done()),
  };
  return socket;
}
const asSocket = (socket: ReturnType<typeof fakeSocket>) => socket as unknown as WebSocket;

/** A source stream to push results into, counting starts and stops. */
function source() {
  const state = { starts: 0, stops: 0, push: (_r: ExecutionResult) => {}, fail: (_e: Error) => {} };
  const start = async (): Promise<Outcome> => {
    state.starts++;
    return new Repeater<ExecutionResult>(async (push, stop) => {
      state.push = (result) => void push(result);
      state.fail = (error) => stop(error);
      await stop;
      state.stops++;
    });
  };
  return { state, start };
}

/** A result whose serializations are counted. */
function counted(value: number) {
  const result = {
    serialized: 0,
    toJSON() {
      result.serialized++;
      return { data: { live: [{ value }] } };
    },
  };
  return result;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('shared subscription results', () => {
  it('starts one stream for every subscriber of a key and serializes each result once', async () => {
    const shared = createSharedResults();
    const { state, start } = source();
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    await Promise.all(
      sockets.map((socket, i) =>
        shared.join('k', { socket: asSocket(socket), id: `op${i}` }, start),
      ),
    );
    const result = counted(7);
    state.push(result as ExecutionResult);
    await settle();

    expect(state.starts).toBe(1);
    expect(result.serialized).toBe(1);
    sockets.forEach((socket, i) =>
      expect(socket.sent).toEqual([
        `{"id":"op${i}","type":"next","payload":{"data":{"live":[{"value":7}]}}}`,
      ]),
    );
    for (const message of sockets[0]!.sent) expect(JSON.parse(message)).toBeTruthy();
  });

  it('gives a late subscriber the latest result at once; one leaving keeps the others, the last stops the source', async () => {
    const shared = createSharedResults();
    const { state, start } = source();
    const first = fakeSocket();
    const one = (await shared.join(
      'k',
      { socket: asSocket(first), id: 'a' },
      start,
    )) as AsyncIterableIterator<ExecutionResult>;
    state.push({ data: { n: 1 } });
    await settle();
    const late = fakeSocket();
    const two = (await shared.join(
      'k',
      { socket: asSocket(late), id: 'b' },
      start,
    )) as AsyncIterableIterator<ExecutionResult>;
    expect(late.sent).toEqual(['{"id":"b","type":"next","payload":{"data":{"n":1}}}']);

    await one.return!();
    state.push({ data: { n: 2 } });
    await settle();
    expect(first.sent).toHaveLength(1);
    expect(late.sent.at(-1)).toBe('{"id":"b","type":"next","payload":{"data":{"n":2}}}');
    expect(state.stops).toBe(0);

    await two.return!();
    await settle();
    expect(state.stops).toBe(1);
    expect(shared.keys()).toEqual([]);
    await shared.join('k', { socket: asSocket(fakeSocket()), id: 'c' }, start);
    expect(state.starts).toBe(2);
  });

  it('a slow socket skips to the latest result instead of queueing them', async () => {
    const shared = createSharedResults();
    const { state, start } = source();
    const slow = fakeSocket(true);
    await shared.join('k', { socket: asSocket(slow), id: 's' }, start);
    for (const n of [1, 2, 3]) state.push({ data: { n } });
    await settle();
    expect(slow.sent).toHaveLength(1);
    slow.flush();
    expect(slow.sent.map((m) => JSON.parse(m).payload.data.n)).toEqual([1, 3]);
  });

  it('hands a result that is not a stream (an error) to every subscriber and keeps nothing', async () => {
    const shared = createSharedResults();
    const failed: ExecutionResult = { errors: [] };
    let starts = 0;
    const start = async () => {
      starts++;
      return failed;
    };
    const outcomes = await Promise.all(
      ['a', 'b'].map((id) => shared.join('k', { socket: asSocket(fakeSocket()), id }, start)),
    );
    expect(outcomes).toEqual([failed, failed]);
    expect(starts).toBe(1);
    expect(shared.keys()).toEqual([]);
  });

  it("ends every subscriber's stream with the source's failure", async () => {
    const shared = createSharedResults();
    const { state, start } = source();
    const streams = (await Promise.all(
      ['a', 'b'].map((id) => shared.join('k', { socket: asSocket(fakeSocket()), id }, start)),
    )) as AsyncIterableIterator<ExecutionResult>[];
    state.fail(new Error('store down'));
    for (const stream of streams) await expect(stream.next()).rejects.toThrow('store down');
    expect(shared.keys()).toEqual([]);
  });
});
