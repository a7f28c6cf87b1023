// Proves each real engine works from TypeScript with the clients the service uses:
// kafkajs (produce, group consume with committed offsets, a rebalance when a second member joins),
// ioredis (Lua through EVAL and defineCommand), @clickhouse/client (JSONEachRow insert and select
// through the migrated `events` table).
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import type { Consumer, EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { freshName, freshTopic, testEnv, testKafka, waitFor } from '../support/services.js';

describe('Kafka (kafkajs)', () => {
  const consumers: Consumer[] = [];
  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
  });

  const newConsumer = (groupId: string) => {
    const consumer = testKafka(`test-${groupId}`).consumer({
      groupId,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 500,
    });
    consumers.push(consumer);
    return consumer;
  };

  it('produces, consumes in a group, commits offsets, and a restarted member resumes after them', async () => {
    const kafka = testKafka('test-produce');
    const topic = await freshTopic('produce-consume');
    const groupId = freshName('group');
    const producer = kafka.producer();
    await producer.connect();
    // Spread over every partition, so each one has a committed offset to check.
    const sent = Array.from({ length: 40 }, (_, i) => ({
      partition: i % 4,
      key: `k${i}`,
      value: JSON.stringify({ i }),
    }));
    await producer.send({ topic, messages: sent });

    const seen: number[] = [];
    const first = newConsumer(groupId);
    await first.connect();
    await first.subscribe({ topics: [topic], fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }: EachMessagePayload) => {
        seen.push((JSON.parse(message.value!.toString()) as { i: number }).i);
        await first.commitOffsets([
          { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
      },
    });
    await waitFor(() => seen.length >= sent.length, {
      timeout: 20_000,
      message: 'first consumer reads all',
    });
    expect([...seen].sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));

    // The committed offsets are the ends of every partition.
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    const byPartition = new Map(committed!.partitions.map((p) => [p.partition, p.offset]));
    expect(ends).toHaveLength(4);
    for (const end of ends) {
      expect(end.high).toBe('10');
      expect(byPartition.get(end.partition)).toBe(end.high);
    }
    await first.disconnect();

    // A new member of the same group starts from the committed offsets: it sees only what comes after.
    const later: number[] = [];
    const second = newConsumer(groupId);
    await second.connect();
    await second.subscribe({ topics: [topic], fromBeginning: true });
    await second.run({
      eachMessage: async ({ message }) => {
        later.push((JSON.parse(message.value!.toString()) as { i: number }).i);
      },
    });
    await producer.send({ topic, messages: [{ key: 'k0', value: JSON.stringify({ i: 1000 }) }] });
    await producer.disconnect();
    await waitFor(() => later.includes(1000), {
      timeout: 20_000,
      message: 'restarted member reads the new message',
    });
    expect(later).toEqual([1000]);
  });

  it('rebalances partitions when a second consumer joins the group', async () => {
    const topic = await freshTopic('rebalance', 4);
    const groupId = freshName('group');
    const assigned = new Map<string, number[]>();
    const received = new Map<string, Set<string>>();

    const start = async (name: string) => {
      const consumer = newConsumer(groupId);
      received.set(name, new Set());
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        assigned.set(name, [...(payload.memberAssignment[topic] ?? [])].sort());
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.get(name)!.add(`${partition}:${message.offset}`);
        },
      });
      return consumer;
    };

    await start('a');
    await waitFor(() => assigned.get('a')?.length === 4, {
      timeout: 20_000,
      message: 'a alone owns all 4 partitions',
    });

    await start('b');
    await waitFor(
      () => {
        const a = assigned.get('a') ?? [];
        const b = assigned.get('b') ?? [];
        return (
          a.length > 0 && b.length > 0 && a.length + b.length === 4 && !a.some((p) => b.includes(p))
        );
      },
      { timeout: 30_000, message: 'a and b split the 4 partitions' },
    );

    // After the rebalance each message goes to the member that owns its partition, exactly once.
    const producer = testKafka('test-rebalance').producer();
    await producer.connect();
    const messages = Array.from({ length: 4 }, (_, partition) =>
      Array.from({ length: 5 }, (_, i) => ({ partition, value: `${partition}-${i}` })),
    ).flat();
    await producer.send({ topic, messages });
    await producer.disconnect();

    await waitFor(() => received.get('a')!.size + received.get('b')!.size >= messages.length, {
      timeout: 20_000,
      message: 'both members read every message',
    });
    expect(received.get('a')!.size + received.get('b')!.size).toBe(messages.length);
    for (const name of ['a', 'b']) {
      const partitions = new Set([...received.get(name)!].map((id) => Number(id.split(':')[0])));
      expect([...partitions].sort()).toEqual(assigned.get(name));
    }
  });
});

describe('Redis (ioredis)', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testEnv().REDIS_URL);
  });
  afterAll(() => {
    redis.disconnect();
  });

  it('runs a Lua script atomically through EVAL and defineCommand', async () => {
    const prefix = `${testEnv().REDIS_PREFIX}:services-test`;
    // count, sum and max of a bucket in one atomic step, as the live-window fold does.
    const lua = `
      local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
      local sum = redis.call('HINCRBYFLOAT', KEYS[1], 'sum', ARGV[1])
      local max = tonumber(redis.call('HGET', KEYS[1], 'max'))
      if max == nil or tonumber(ARGV[1]) > max then redis.call('HSET', KEYS[1], 'max', ARGV[1]) end
      return {count, sum}`;

    const once = (await redis.eval(lua, 1, `${prefix}:eval`, '2.5')) as [number, string];
    expect(once).toEqual([1, '2.5']);

    redis.defineCommand('foldBucket', { numberOfKeys: 1, lua });
    const fold = (key: string, value: number) =>
      (
        redis as Redis & { foldBucket(key: string, value: number): Promise<[number, string]> }
      ).foldBucket(key, value);
    const key = `${prefix}:bucket`;
    await Promise.all(Array.from({ length: 100 }, (_, i) => fold(key, i + 1)));
    expect(await redis.hgetall(key)).toEqual({ count: '100', sum: '5050', max: '100' });
  });
});

describe('ClickHouse (@clickhouse/client)', () => {
  let client: ClickHouseClient;
  beforeAll(() => {
    client = createClient({
      url: testEnv().CLICKHOUSE_URL,
      database: testEnv().CLICKHOUSE_DATABASE,
    });
  });
  afterAll(async () => {
    await client.close();
  });

  it('has the run database migrated, with nothing pending', async () => {
    const { CLICKHOUSE_DATABASE } = testEnv();
    expect(CLICKHOUSE_DATABASE).toMatch(/^test_/);
    expect(await createMigrator({ client, database: CLICKHOUSE_DATABASE }).pending()).toEqual([]);
    const result = await client.query({
      query: 'SELECT name FROM schema_migrations',
      format: 'JSONEachRow',
    });
    expect((await result.json<{ name: string }>()).map((r) => r.name)).toContain('0001_events.sql');
  });

  it('inserts JSONEachRow into events and reads aggregates back', async () => {
    const tenant = `tenant-${Date.now()}`;
    const base = Date.UTC(2026, 0, 2, 3, 4, 5);
    const rows = Array.from({ length: 10 }, (_, i) => ({
      tenant,
      name: i % 2 === 0 ? 'page_view' : 'purchase',
      id: `evt-${i}`,
      ts: Math.floor((base + i * 1000) / 1000),
      ts_ms: base + i * 1000,
      user_id: i === 0 ? null : `u${i % 3}`,
      value: i % 2 === 0 ? null : i * 1.5,
      dim_keys: ['country'],
      dim_values: [i < 5 ? 'NZ' : 'FR'],
      topic: 'events',
      partition: i % 4,
      offset: i,
    }));
    await client.insert({ table: 'events', values: rows, format: 'JSONEachRow' });

    const result = await client.query({
      query: `SELECT name, count() AS n, sum(value) AS total, uniq(user_id) AS users, min(toUInt32(ts)) AS first
              FROM events WHERE tenant = '${tenant}' GROUP BY name ORDER BY name`,
      format: 'JSONEachRow',
    });
    const got = await result.json<{
      name: string;
      n: string;
      total: number | null;
      users: string;
      first: number;
    }>();
    expect(
      got.map((r) => ({ ...r, n: Number(r.n), users: Number(r.users), first: Number(r.first) })),
    ).toEqual([
      {
        name: 'page_view',
        n: 5,
        total: null, // sum over only NULLs is NULL
        users: 3,
        first: base / 1000,
      },
      {
        name: 'purchase',
        n: 5,
        total: (1 + 3 + 5 + 7 + 9) * 1.5,
        users: 3,
        first: base / 1000 + 1,
      },
    ]);
  });
});
