import { afterEach, describe, expect, it } from 'vitest';
import {
  partitionKey,
  type ConsumerHandlers,
  type EventLog,
  type EventLogConsumer,
  type LogRecord,
  type TopicPartition,
} from '../../src/ports/event-log.js';
import { waitFor } from '../support/services.js';

export interface EventLogHarness {
  log: EventLog;
  /** A topic no other case uses, with `partitions` partitions. */
  topic(base: string, partitions: number): Promise<string>;
  /** A consumer group name no other case uses. */
  group(base: string): string;
}

const message = (key: string | null, value: string, headers: Record<string, string> = {}) => ({
  key,
  value: Buffer.from(value),
  headers,
});

/** Simulated work or a window for a wrong implementation to misbehave in: not a wait for a condition. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Handlers that record everything they are called with; `overrides` replace single handlers. */
function recorder(overrides: Partial<ConsumerHandlers> = {}) {
  const seen = {
    records: [] as LogRecord[],
    batches: [] as { partition: string; offsets: number[]; highWatermark: number }[],
    assigned: [] as TopicPartition[][],
    revoked: [] as TopicPartition[][],
    crashes: [] as unknown[],
  };
  const handlers: ConsumerHandlers = {
    async onAssigned(partitions) {
      seen.assigned.push(partitions);
      return new Map();
    },
    async onRevoked(partitions) {
      seen.revoked.push(partitions);
    },
    async onBatch(batch) {
      seen.batches.push({
        partition: partitionKey(batch),
        offsets: batch.records.map((r) => r.offset),
        highWatermark: batch.highWatermark,
      });
      seen.records.push(...batch.records);
    },
    onCrash: (error) => seen.crashes.push(error),
    ...overrides,
  };
  return { seen, handlers };
}

const sortTp = (tps: TopicPartition[]) => [...tps].sort((a, b) => a.partition - b.partition);

/** The behaviour the Kafka and the embedded event logs must share. */
export function describeEventLogContract(name: string, open: () => Promise<EventLogHarness>) {
  describe(`event log: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    const setUp = async () => {
      const harness = await open();
      cleanups.push(() => harness.log.close());
      const consumers: EventLogConsumer[] = [];
      cleanups.push(async () => {
        await Promise.all(consumers.map((c) => c.stop()));
      });
      const consumer = (groupId: string, topics: string[]) => {
        const c = harness.log.consumer({ groupId, topics });
        consumers.push(c);
        return c;
      };
      const producer = harness.log.producer();
      return { ...harness, consumer, producer };
    };

    it('keeps each key in one partition, in send order, at dense offsets, in sorted batches', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('order', 3);
      const keys = Array.from({ length: 10 }, (_, i) => `key-${i}`);
      const all = Array.from({ length: 3000 }, (_, i) =>
        message(keys[i % 10]!, `${keys[i % 10]}#${Math.floor(i / 10)}`),
      );
      // Small sends, then one large enough to go out as several requests.
      for (let i = 0; i < 300; i += 100) await producer.send(t, all.slice(i, i + 100));
      await producer.send(t, all.slice(300));
      const { seen, handlers } = recorder();
      await consumer(group('order'), [t]).start(handlers);
      await waitFor(() => seen.records.length >= 3000, { timeout: 20_000 });

      expect(seen.records).toHaveLength(3000);
      for (const key of keys) {
        const mine = seen.records.filter((r) => r.key === key);
        expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
        expect(mine.map((r) => r.value.toString())).toEqual(
          Array.from({ length: 300 }, (_, seq) => `${key}#${seq}`),
        );
      }
      for (let p = 0; p < 3; p++) {
        const offsets = seen.records.filter((r) => r.partition === p).map((r) => r.offset);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
      for (const batch of seen.batches) {
        expect(batch.offsets).toEqual(batch.offsets.map((_, i) => batch.offsets[0]! + i));
        expect(batch.highWatermark).toBeGreaterThanOrEqual(batch.offsets.at(-1)! + 1);
      }
      expect(seen.records.every((r) => r.topic === t)).toBe(true);
    });

    it('round-trips headers, null keys, binary and empty values, and stamps the send time', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('headers', 1);
      const before = Date.now();
      const binary = Buffer.from([0, 255, 1, 128, 10]);
      await producer.send(t, [
        { key: null, value: binary, headers: { a: '1', 'x-ünï': 'çødé ✓', empty: '' } },
        { key: 'k-ü', value: Buffer.alloc(0), headers: {} },
      ]);
      const after = Date.now();
      const { seen, handlers } = recorder();
      await consumer(group('headers'), [t]).start(handlers);
      await waitFor(() => seen.records.length >= 2);

      const [first, second] = seen.records;
      expect(first!.key).toBeNull();
      expect(Buffer.compare(first!.value, binary)).toBe(0);
      expect({ ...first!.headers }).toEqual({ a: '1', 'x-ünï': 'çødé ✓', empty: '' });
      expect(second!.key).toBe('k-ü');
      expect(second!.value.length).toBe(0);
      expect({ ...second!.headers }).toEqual({});
      for (const record of seen.records) {
        expect(record.timestamp).toBeGreaterThanOrEqual(before);
        expect(record.timestamp).toBeLessThanOrEqual(after);
        expect([record.topic, record.partition]).toEqual([t, 0]);
      }
      expect(seen.records.map((r) => r.offset)).toEqual([0, 1]);
    });

    it('resumes a group after its last committed record', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('resume', 2);
      const g = group('resume');
      await producer.send(
        t,
        Array.from({ length: 50 }, (_, i) => message(`k${i % 7}`, `old-${i}`)),
      );
      const first = recorder();
      const a = consumer(g, [t]);
      await a.start(first.handlers);
      await waitFor(() => first.seen.records.length >= 50);
      await waitFor(async () => (await a.lag()) === 0);
      await a.stop();

      await producer.send(
        t,
        Array.from({ length: 20 }, (_, i) => message(`k${i % 7}`, `new-${i}`)),
      );
      const second = recorder();
      await consumer(g, [t]).start(second.handlers);
      await waitFor(() => second.seen.records.length >= 20);
      expect(second.seen.records.map((r) => r.value.toString()).sort()).toEqual(
        Array.from({ length: 20 }, (_, i) => `new-${i}`).sort(),
      );
      const lastOld = new Map<number, number>();
      for (const r of first.seen.records)
        lastOld.set(r.partition, Math.max(lastOld.get(r.partition) ?? -1, r.offset));
      for (const r of second.seen.records)
        expect(r.offset).toBeGreaterThan(lastOld.get(r.partition) ?? -1);
    });

    it('starts a partition at the offset onAssigned returns, before handing any batch of it', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('seek', 1);
      await producer.send(
        t,
        Array.from({ length: 30 }, (_, i) => message('k', `v${i}`)),
      );
      const { seen, handlers } = recorder({
        async onAssigned(partitions) {
          seen.assigned.push(partitions);
          // Slow on purpose: a fetch racing ahead of the seek must not reach onBatch.
          await pause(300);
          return new Map([[partitionKey({ topic: t, partition: 0 }), 10]]);
        },
      });
      const c = consumer(group('seek'), [t]);
      await c.start(handlers);
      await waitFor(() => seen.records.length >= 20);
      await c.stop();
      expect(seen.records.map((r) => r.offset)).toEqual(
        Array.from({ length: 20 }, (_, i) => 10 + i),
      );
      expect(seen.assigned).toEqual([[{ topic: t, partition: 0 }]]);
    });

    it('starts at the end when onAssigned asks for an offset past it', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('past-end', 1);
      await producer.send(
        t,
        Array.from({ length: 5 }, (_, i) => message('k', `before-${i}`)),
      );
      const { seen, handlers } = recorder({
        onAssigned: async () => new Map([[partitionKey({ topic: t, partition: 0 }), 1000]]),
      });
      await consumer(group('past-end'), [t]).start(handlers);
      await producer.send(
        t,
        Array.from({ length: 3 }, (_, i) => message('k', `after-${i}`)),
      );
      await waitFor(() => seen.records.length >= 3);
      expect(seen.records.map((r) => [r.offset, r.value.toString()])).toEqual([
        [5, 'after-0'],
        [6, 'after-1'],
        [7, 'after-2'],
      ]);
    });

    it('hands a partition its next batch only after the previous one resolved', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('serial', 2);
      const busy = new Set<string>();
      let overlaps = 0;
      let entered = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const { seen, handlers } = recorder({
        async onBatch(batch) {
          const key = partitionKey(batch);
          if (busy.has(key)) overlaps++;
          busy.add(key);
          entered++;
          if (entered === 1) await gate;
          await pause(5);
          seen.records.push(...batch.records);
          seen.batches.push({ partition: key, offsets: [], highWatermark: batch.highWatermark });
          busy.delete(key);
        },
      });
      await consumer(group('serial'), [t]).start(handlers);
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      await producer.send(
        t,
        keys.map((k) => message(k, `${k}0`)),
      );
      await waitFor(() => entered >= 1);
      for (let round = 1; round <= 5; round++)
        await producer.send(
          t,
          keys.map((k) => message(k, `${k}${round}`)),
        );
      // The window in which a wrong implementation would hand the blocked partition a second batch.
      await pause(500);
      release();
      await waitFor(() => seen.records.length >= 36);
      expect(overlaps).toBe(0);
      expect(seen.batches.length).toBeGreaterThanOrEqual(2);
      for (const k of keys)
        expect(seen.records.filter((r) => r.key === k).map((r) => r.value.toString())).toEqual(
          [0, 1, 2, 3, 4, 5].map((n) => `${k}${n}`),
        );
    });

    it('stop() lets the batch in flight finish, commits it, and revokes the partitions', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('stop', 1);
      const g = group('stop');
      await producer.send(
        t,
        Array.from({ length: 30 }, (_, i) => message('k', `v${i}`)),
      );
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let staleBeforeStop: boolean | undefined;
      let staleAfterStop: boolean | undefined;
      let stopRequested = false;
      const { seen, handlers } = recorder({
        async onBatch(batch) {
          staleBeforeStop ??= batch.isStale();
          await gate;
          staleAfterStop = stopRequested && batch.isStale();
          seen.records.push(...batch.records);
        },
      });
      const c = consumer(g, [t]);
      await c.start(handlers);
      await waitFor(() => staleBeforeStop !== undefined);
      let stopped = false;
      stopRequested = true;
      const stopping = c.stop().then(() => (stopped = true));
      await pause(200);
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(staleBeforeStop).toBe(false);
      expect(staleAfterStop).toBe(true);
      expect(seen.records).toHaveLength(30);
      expect(seen.revoked).toEqual([[{ topic: t, partition: 0 }]]);
      expect(await c.lag()).toBe(0);
    });

    it('lag() counts the records the group has not committed', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('lag', 2);
      const g = group('lag');
      await producer.send(
        t,
        Array.from({ length: 25 }, (_, i) => message(`k${i}`, `v${i}`)),
      );
      const c = consumer(g, [t]);
      expect(await c.lag()).toBe(25);
      const { seen, handlers } = recorder();
      await c.start(handlers);
      await waitFor(() => seen.records.length >= 25);
      await waitFor(async () => (await c.lag()) === 0);
      await c.stop();
      await producer.send(
        t,
        Array.from({ length: 5 }, (_, i) => message(`k${i}`, `w${i}`)),
      );
      expect(await c.lag()).toBe(5);
      expect(await consumer(g, [t]).lag()).toBe(5);
    });

    it('goes on before a batch is durable, and commits it only once it is', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('durable', 1);
      const g = group('durable');
      await producer.send(t, [message('k', 'v0'), message('k', 'v1')]);
      let makeDurable!: () => void;
      const durable = new Promise<void>((resolve) => (makeDurable = resolve));
      const { seen, handlers } = recorder();
      const c = consumer(g, [t]);
      await c.start({
        ...handlers,
        async onBatch(batch) {
          await handlers.onBatch(batch);
          return { durable };
        },
      });
      await waitFor(() => seen.records.length >= 2);
      await producer.send(t, [message('k', 'v2')]);
      // the next batch came while the first was not durable yet, and nothing was committed
      await waitFor(() => seen.records.length >= 3);
      await pause(300);
      expect(await c.lag()).toBe(3);
      makeDurable();
      await waitFor(async () => (await c.lag()) === 0);
    });

    it('stops without committing when a batch cannot become durable, and reports it', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('not-durable', 1);
      const g = group('not-durable');
      await producer.send(t, [message('k', 'v0')]);
      const failing = recorder();
      const c = consumer(g, [t]);
      await c.start({
        ...failing.handlers,
        async onBatch(batch) {
          await failing.handlers.onBatch(batch);
          const durable = Promise.reject(new Error('insert bug'));
          durable.catch(() => undefined);
          return { durable };
        },
      });
      await waitFor(() => failing.seen.crashes.length > 0, { timeout: 15_000 });
      expect((failing.seen.crashes[0] as Error).message).toBe('insert bug');
      await c.stop();
      expect(await c.lag()).toBe(1);
    });

    it('stops without committing when onBatch rejects, and reports the error through onCrash', async () => {
      const { topic, group, consumer, producer } = await setUp();
      const t = await topic('crash', 1);
      const g = group('crash');
      await producer.send(
        t,
        Array.from({ length: 10 }, (_, i) => message('k', `v${i}`)),
      );
      const failing = recorder({
        async onBatch() {
          throw new Error('fold bug');
        },
      });
      const c = consumer(g, [t]);
      await c.start(failing.handlers);
      await waitFor(() => failing.seen.crashes.length > 0, { timeout: 15_000 });
      expect((failing.seen.crashes[0] as Error).message).toBe('fold bug');
      expect(failing.seen.revoked).toEqual([[{ topic: t, partition: 0 }]]);
      await c.stop();
      expect(failing.seen.crashes).toHaveLength(1);
      expect(await c.lag()).toBe(10);

      const again = recorder();
      await consumer(g, [t]).start(again.handlers);
      await waitFor(() => again.seen.records.length >= 10);
      expect(again.seen.records[0]!.offset).toBe(0);
    });

    it('reports end offsets per partition, and ensureTopics is idempotent', async () => {
      const { log, topic, producer } = await setUp();
      const t = await topic('ends', 3);
      await log.ensureTopics([t], 3);
      expect(sortTp(await log.endOffsets([t]))).toEqual(
        [0, 1, 2].map((partition) => ({ topic: t, partition, offset: 0 })),
      );
      await producer.send(
        t,
        Array.from({ length: 40 }, (_, i) => message(`k${i}`, `v${i}`)),
      );
      const ends = await log.endOffsets([t]);
      expect(ends).toHaveLength(3);
      expect(ends.reduce((sum, e) => sum + e.offset, 0)).toBe(40);
    });

    it('reports nothing for a topic that does not exist, without creating it', async () => {
      const { log, topic, group, consumer } = await setUp();
      const t = await topic('present', 1);
      const missing = `${t}-missing`;
      expect(await log.endOffsets([missing, t])).toEqual([{ topic: t, partition: 0, offset: 0 }]);
      expect(await consumer(group('missing'), [missing]).lag()).toBe(0);
      expect(await log.endOffsets([missing])).toEqual([]);
    });
  });
}
