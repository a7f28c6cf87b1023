import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { fixIdleRequestLoop } from '../../src/adapters/kafka/request-queue-fix.js';

interface Queue {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  push(request: {
    entry: { correlationId: number; resolve(): void; reject(): void };
    expectResponse: boolean;
    sendRequest(): void;
  }): void;
  fulfillRequest(response: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (
  options: Record<string, unknown>,
) => Queue;
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const queues: Queue[] = [];
const newQueue = () => {
  const queue = new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: 'localhost:9092',
    logger: silent,
  });
  queues.push(queue);
  return queue;
};
const entry = (correlationId: number) => ({ correlationId, resolve() {}, reject() {} });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => queues.splice(0).forEach((queue) => queue.destroy()));

describe("kafkajs' request queue, fixed", () => {
  it('is applied to the kafkajs this project runs', () => {
    expect(fixIdleRequestLoop()).toBe(true);
  });

  it('arms no timer once a connection has nothing waiting', () => {
    fixIdleRequestLoop();
    const queue = newQueue();
    const sent: number[] = [];
    queue.push({
      entry: entry(1),
      expectResponse: true,
      sendRequest: () => sent.push(1),
    });
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1]);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still sends a waiting request once the broker’s throttle ends', async () => {
    fixIdleRequestLoop();
    const queue = newQueue();
    const sent: number[] = [];
    queue.throttledUntil = Date.now() + 30;
    queue.push({
      entry: entry(7),
      expectResponse: true,
      sendRequest: () => sent.push(7),
    });
    expect(sent).toEqual([]);
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    await sleep(80);
    expect(sent).toEqual([7]);
  });

  it('still sends a request that waited for a free in-flight slot', () => {
    fixIdleRequestLoop();
    const queue = newQueue();
    const sent: number[] = [];
    for (const id of [1, 2])
      queue.push({
        entry: entry(id),
        expectResponse: true,
        sendRequest: () => sent.push(id),
      });
    expect(sent).toEqual([1]);
    queue.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
    expect(sent).toEqual([1, 2]);
  });
});
