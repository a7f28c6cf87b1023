import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { createKafkaEventLog } from '../../src/adapters/kafka/event-log.js';
import type { ConsumerHandlers } from '../../src/ports/event-log.js';
import { freshName, testEnv, waitFor } from '../support/services.js';

const log = createKafkaEventLog({
  brokers: testEnv().KAFKA_BROKERS.split(','),
  clientId: 'event-log-rebalance',
  logger: pino({ level: 'silent' }),
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 300,
});
afterAll(() => log.close());

const all = [0, 1, 2, 3];

it('splits the partitions between two members, moves them back when one stops, and handles no committed record twice', async () => {
  const topic = freshName('rebalance');
  const groupId = freshName('rebalance');
  await log.ensureTopics([topic], 4);
  const producer = log.producer();
  const send = (count: number, tag: string) =>
    producer.send(
      topic,
      Array.from({ length: count }, (_, i) => ({
        key: `k${i}`,
        value: Buffer.from(`${tag}-${i}`),
        headers: {},
      })),
    );
  const handled: string[] = [];
  let foreignBatches = 0;

  const member = () => {
    const seen = { owned: new Set<number>(), revoked: [] as number[], records: 0 };
    const handlers: ConsumerHandlers = {
      async onAssigned(partitions) {
        for (const p of partitions) seen.owned.add(p.partition);
        return new Map();
      },
      async onRevoked(partitions) {
        for (const p of partitions) {
          seen.owned.delete(p.partition);
          seen.revoked.push(p.partition);
        }
      },
      async onBatch(batch) {
        if (!seen.owned.has(batch.partition)) foreignBatches++;
        for (const r of batch.records) handled.push(`${r.partition}:${r.offset}`);
        seen.records += batch.records.length;
      },
    };
    return { seen, handlers, consumer: log.consumer({ groupId, topics: [topic] }) };
  };
  const sorted = (s: Set<number>) => [...s].sort();

  const a = member();
  await a.consumer.start(a.handlers);
  expect(sorted(a.seen.owned)).toEqual(all);
  await send(200, 'one');
  await waitFor(() => handled.length >= 200);
  await waitFor(async () => (await a.consumer.lag()) === 0);

  const b = member();
  await b.consumer.start(b.handlers);
  await waitFor(() => a.seen.owned.size === 2 && b.seen.owned.size === 2, { timeout: 20_000 });
  expect(sorted(new Set([...a.seen.owned, ...b.seen.owned]))).toEqual(all);
  for (const p of b.seen.owned) expect(a.seen.revoked).toContain(p);

  await send(200, 'two');
  await waitFor(() => handled.length >= 400);
  expect(a.seen.records).toBeGreaterThan(200);
  expect(b.seen.records).toBeGreaterThan(0);
  await waitFor(async () => (await a.consumer.lag()) === 0);

  const bOwned = sorted(b.seen.owned);
  await b.consumer.stop();
  expect(b.seen.revoked).toEqual(expect.arrayContaining(bOwned));
  await waitFor(() => a.seen.owned.size === 4, { timeout: 20_000 });

  await send(100, 'three');
  await waitFor(() => handled.length >= 500);
  await waitFor(async () => (await a.consumer.lag()) === 0);
  expect(handled).toHaveLength(500);
  expect(new Set(handled).size).toBe(500);
  expect(foreignBatches).toBe(0);
  await a.consumer.stop();
}, 60_000);

it('keeps a member with a long batch in the group, and tells that batch it is stale once a rebalance begins', async () => {
  const shortSession = createKafkaEventLog({
    brokers: testEnv().KAFKA_BROKERS.split(','),
    clientId: 'event-log-long-batch',
    logger: pino({ level: 'silent' }),
    sessionTimeoutMs: 1500,
    heartbeatIntervalMs: 300,
  });
  let release = () => {};
  try {
    const topic = freshName('long-batch');
    const groupId = freshName('long-batch');
    await shortSession.ensureTopics([topic], 4);
    await shortSession.producer().send(topic, [{ key: 'k', value: Buffer.from('v'), headers: {} }]);

    let entered = false;
    let stale = false;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: number[] = [];
    const handlers = (): ConsumerHandlers => ({
      onAssigned: async () => new Map(),
      onRevoked: async () => {},
      async onBatch(batch) {
        if (!entered) {
          entered = true;
          const watch = setInterval(() => (stale ||= batch.isStale()), 50);
          await gate;
          clearInterval(watch);
        }
        handled.push(...batch.records.map((r) => r.offset));
      },
    });
    const a = shortSession.consumer({ groupId, topics: [topic] });
    await a.start(handlers());
    await waitFor(() => entered);
    // Longer than the session timeout: only the heartbeats sent during the batch keep `a` in.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(stale).toBe(false);

    const b = shortSession.consumer({ groupId, topics: [topic] });
    const bStarted = b.start(handlers());
    await waitFor(() => stale, { message: 'the batch in flight never became stale' });
    release();
    await bStarted;
    await waitFor(async () => (await a.lag()) === 0);
    expect(handled).toEqual([0]);
    await Promise.all([a.stop(), b.stop()]);
  } finally {
    release();
    await shortSession.close();
  }
}, 60_000);
