import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createMemoryLiveWindows } from '../../src/adapters/memory/live-windows.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import { aggregateLive } from '../../src/live/aggregate.js';
import { waitFor } from '../support/services.js';
import { describeLiveWindowsContract } from './live-windows.contract.js';

const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const freshPrefix = () =>
  `${process.env.REDIS_PREFIX ?? 'test'}.lw.${randomBytes(4).toString('hex')}`;

async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<
    string[]
  >) {
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  }
  return deleted;
}

describeLiveWindowsContract('redis', async (horizonMs) => {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  const prefix = freshPrefix();
  return {
    store: createRedisLiveWindows({ redis, prefix, horizonMs }),
    async cleanup() {
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
});

describeLiveWindowsContract('memory', async (horizonMs) => {
  const store = createMemoryLiveWindows({ horizonMs });
  return { store, cleanup: () => store.close() };
});

const event = (timestamp: number, tenant = 'a{b}c') => ({
  id: 'x',
  tenant,
  name: 'e}v{',
  timestamp,
  userId: 'u',
  value: 1,
  dimensions: { k: 'v', j: 'w' },
  topic: 't',
  partition: 0,
  offset: 0,
});

describe('redis live windows: keys', () => {
  it('puts every key of a (tenant, event) under one hash tag, with an expiry past the horizon', async () => {
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const prefix = freshPrefix();
    const horizonMs = 600_000;
    try {
      const store = createRedisLiveWindows({ redis, prefix, horizonMs });
      const now = Date.now();
      const { groups } = aggregateLive([event(now - 1000)], { nowMs: now, horizonMs });
      await store.apply({ topic: 't', partition: 0, fromOffset: 0, toOffset: 0, groups });
      const keys = await redis.keys(`${prefix}:*`);
      // offsets; second and minute: stats, sketch, HyperLogLogs of 4 series
      expect(keys).toHaveLength(1 + 2 * (2 + 4));
      const tags = new Set(keys.map((key) => key.slice(key.indexOf('{') + 1, key.indexOf('}'))));
      expect([...tags]).toEqual(['a%7Bb%7Dc|e%7Dv%7B']);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        if (key.endsWith(':off')) expect(ttl).toBe(-1);
        else expect(ttl).toBeGreaterThan(horizonMs);
        if (!key.endsWith(':off')) expect(ttl).toBeLessThan(horizonMs + 3 * 60_000);
      }
    } finally {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });

  it('writes nothing for buckets already past the horizon', async () => {
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const prefix = freshPrefix();
    try {
      const store = createRedisLiveWindows({ redis, prefix, horizonMs: 60_000 });
      const now = Date.now();
      // aggregated as if long ago, applied now: every bucket is expired on arrival
      const { groups } = aggregateLive([event(now - 10 * 60_000)], {
        nowMs: now - 10 * 60_000,
        horizonMs: 60_000,
      });
      await store.apply({ topic: 't', partition: 0, fromOffset: 0, toOffset: 0, groups });
      expect(await redis.keys(`${prefix}:*`)).toHaveLength(1);
    } finally {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});

describe('redis live windows: users already sent', () => {
  it('are sent again after the connection closed, as Redis may have lost them', async () => {
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    const prefix = freshPrefix();
    const horizonMs = 600_000;
    try {
      const store = createRedisLiveWindows({ redis, prefix, horizonMs });
      const now = Date.now();
      const batch = (offset: number) =>
        Array.from({ length: 50 }, (_, i) => ({ ...event(now - 1000), userId: `u${i}`, offset }));
      const apply = (offset: number) =>
        store.apply({
          topic: 't',
          partition: 0,
          fromOffset: offset,
          toOffset: offset,
          groups: aggregateLive(batch(offset), { nowMs: now, horizonMs }).groups,
        });
      const uniques = async () =>
        (
          await store.read({
            tenant: 'a{b}c',
            metric: { event: 'e}v{', aggregate: 'UNIQUES', filter: [], groupBy: null },
            fromMs: now - 60_000,
            toMs: now,
            maxGroups: 1,
          })
        )[0]!.uniques;
      // Users are remembered for minute buckets only (a second is written about once).
      const minuteUsers = () => redis.keys(`${prefix}:*:m*:u:*`);
      const minuteUniques = async () => {
        const keys = await minuteUsers();
        return keys.length === 0 ? 0 : redis.pfcount(...keys);
      };
      const loseUsers = async () => {
        const keys = await redis.keys(`${prefix}:*:u:*`);
        expect(keys.length).toBeGreaterThan(0);
        await redis.unlink(...keys);
      };

      await apply(0);
      expect(await uniques()).toBe(50);
      expect(await minuteUniques()).toBe(50);
      // Lost behind the adapter's back on a live connection: it does not know, and skips them.
      await loseUsers();
      await apply(1);
      expect(await minuteUniques()).toBe(0);
      // A closed connection is how a restart or failover shows: it forgets what it sent.
      const closed = once(redis, 'close');
      redis.disconnect(true);
      await closed;
      await waitFor(() => redis.status === 'ready', { timeout: 5000 });
      await apply(2);
      expect(await uniques()).toBe(50);
      expect(await minuteUniques()).toBe(50);
    } finally {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
  });
});

describe('memory live windows: eviction', () => {
  it('drops buckets once they are past the horizon', async () => {
    let now = Date.UTC(2025, 0, 1);
    const horizonMs = 60_000;
    const store = createMemoryLiveWindows({ horizonMs, clock: () => now });
    const { groups } = aggregateLive([event(now - 1000)], { nowMs: now, horizonMs });
    await store.apply({ topic: 't', partition: 0, fromOffset: 0, toOffset: 0, groups });
    const read = async () =>
      (
        await store.read({
          tenant: 'a{b}c',
          metric: { event: 'e}v{', aggregate: 'COUNT', filter: [], groupBy: null },
          fromMs: now - 10 * 60_000,
          toMs: now,
          maxGroups: 1,
        })
      )[0]!.count;
    expect(await read()).toBe(1);
    // the second ends at `now`, its minute too: both go horizon + slack (60 s) later
    now += 2 * 60_000 - 1;
    expect(await read()).toBe(1);
    now += 1;
    expect(await read()).toBe(0);
  });
});
