import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDedupStore } from '../../src/adapters/redis/dedup.js';
import { testEnv } from '../support/services.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// What the state contract cannot see: the Redis dedup store's buckets do not pile up.
describe('Redis dedup buckets', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(testEnv().REDIS_URL, { lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.quit();
  });

  const redisNowMs = async () => {
    const [seconds, micros] = await redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  it('expires a bucket a bucket after its reach, and unlinks it sooner when its shard is busy', async () => {
    const prefix = `${testEnv().REDIS_PREFIX}.${randomUUID().slice(0, 8)}`;
    const dedup = createRedisDedupStore({ redis, prefix });
    // Long enough for the checks to run before a bucket expires on a busy machine.
    const ttlMs = 1000;
    // One id, so one shard: the shard's next call finds the old bucket out of reach.
    const claim = () => dedup.claim([{ tenant: 'acme', id: 'e1', position: 'p:0:1' }], ttlMs);
    const bucketKeys = () => redis.keys(`${prefix}:dedup:*`);

    // Early in a bucket, so its expiry is still most of a bucket away when it is out of reach.
    await sleep(ttlMs + 20 - ((await redisNowMs()) % ttlMs));
    const before = await redisNowMs();
    await claim();
    const after = await redisNowMs();
    const [first, ...others] = await bucketKeys();
    expect(others).toEqual([]);
    const expiresAt = await redis.pexpiretime(first!);
    expect(expiresAt % ttlMs).toBe(0);
    expect(expiresAt).toBeGreaterThan(before + 2 * ttlMs);
    expect(expiresAt).toBeLessThanOrEqual(after + 3 * ttlMs);

    await sleep(2 * ttlMs + 50);
    expect(await claim()).toEqual([true]);
    const keys = await bucketKeys();
    expect(keys).not.toContain(first);
    expect(keys).toHaveLength(1);
  });
});
