// A consumer lets a batch go once the live windows hold it, while its history rows wait for the
// next insert; a rebalance may hand the partition to another consumer meanwhile. That consumer
// must read history's offsets only after those rows landed, or it inserts them a second time.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteString } from '../../src/adapters/clickhouse/sql.js';
import { createRedisHistoryHolds } from '../../src/adapters/redis/history-holds.js';
import { createEngines, type Engines } from '../../src/app/engines.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createFold } from '../../src/fold/fold.js';
import { partitionKey } from '../../src/ports/event-log.js';
import type { HistoryStore } from '../../src/ports/history.js';
import { memoryLogger } from '../support/app.js';
import { testFoldOptions, viewBatch } from '../support/fold.js';
import { freshName, testEnv } from '../support/services.js';

const prefix = () => `${testEnv().REDIS_PREFIX}.${randomUUID().slice(0, 6)}`;

describe('history holds in Redis', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testEnv().REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('shows a hold to every process until its owner releases it', async () => {
    const shared = prefix();
    const owner = createRedisHistoryHolds({ redis, prefix: shared, ttlMs: 10_000 });
    const other = createRedisHistoryHolds({ redis, prefix: shared, ttlMs: 10_000 });
    const p0 = { topic: 'events', partition: 0 };
    const p1 = { topic: 'events', partition: 1 };
    await owner.hold([p0]);
    expect(await other.anyHeld([p0])).toBe(true);
    expect(await other.anyHeld([p1])).toBe(false);
    expect(await other.anyHeld([p1, p0])).toBe(true);
    // another process's release lets go of its own holds only
    await other.release([p0]);
    expect(await other.anyHeld([p0])).toBe(true);
    await owner.release([p0]);
    expect(await other.anyHeld([p0])).toBe(false);
    await Promise.all([owner.close(), other.close()]);
  });

  it('lets a hold lapse once its process stops renewing it', async () => {
    const shared = prefix();
    const dying = new Redis(testEnv().REDIS_URL);
    const owner = createRedisHistoryHolds({ redis: dying, prefix: shared, ttlMs: 600 });
    const other = createRedisHistoryHolds({ redis, prefix: shared, ttlMs: 600 });
    const p0 = { topic: 'events', partition: 0 };
    await owner.hold([p0]);
    // renewed while the process lives: still held after more than one lapse time
    await sleep(900);
    expect(await other.anyHeld([p0])).toBe(true);
    dying.disconnect();
    await sleep(900);
    expect(await other.anyHeld([p0])).toBe(false);
    await Promise.all([owner.close(), other.close()]);
  });
});

describe('a partition taken over while its history rows are on their way', () => {
  const engines: Engines[] = [];
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
  });

  async function consumer(config: Config, slowInsertMs = 0) {
    const set = await createEngines(config, memoryLogger(config).logger);
    engines.push(set);
    const history: HistoryStore = {
      ...set.history,
      async insert(events) {
        await sleep(slowInsertMs);
        await set.history.insert(events);
      },
    };
    return createFold(testFoldOptions(set, config, { history }));
  }

  it('reads history after they landed and inserts none of them twice', async () => {
    const services = testEnv();
    const config = loadConfig({ ...services, REDIS_PREFIX: prefix(), NODE_ENV: 'test' });
    const topic = freshName('holds');
    const partition = { topic, partition: 0 };
    const { batch } = viewBatch(partition, 10);
    const { records } = batch;
    const slowInsertMs = 1500;
    const first = await consumer(config, slowInsertMs);
    const second = await consumer(config);

    await first.onAssigned([partition]);
    const started = Date.now();
    const outcome = await first.onBatch(batch);
    expect(Date.now() - started, 'the batch is done before its insert').toBeLessThan(slowInsertMs);

    // the partition moves: the second consumer starts where both sinks end, once they do
    const starts = await second.onAssigned([partition]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(slowInsertMs - 50);
    expect(starts.get(partitionKey(partition))).toBe(records.length);
    await outcome?.durable;
    // a redelivery of the same records changes nothing
    await (
      await second.onBatch(batch)
    )?.durable;

    const clickhouse = createClient({ url: services.CLICKHOUSE_URL });
    const rows = await (
      await clickhouse.query({
        query: `SELECT count() AS n FROM ${services.CLICKHOUSE_DATABASE}.events WHERE topic = ${quoteString(topic)}`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    await clickhouse.close();
    expect(Number(rows[0]!.n)).toBe(records.length);
  });
});
