import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { partitionKey } from '../../ports/event-log.js';
import type { HistoryHolds } from '../../ports/history-holds.js';
import { redisKey } from './keys.js';

export interface RedisHistoryHoldsOptions {
  /** The caller's connection: close() leaves it open. */
  redis: Redis;
  prefix: string;
  /** A hold not renewed for this long lapses; renewed every third of it. */
  ttlMs: number;
}

/**
 * One hash for every fold process: field `<topic>:<partition>|<process>`, value the epoch ms the
 * hold lapses at. Each process renews its own holds on a timer, so a process that died lets go
 * after ttlMs; lapsed fields are removed by whoever reads them.
 */
export function createRedisHistoryHolds({
  redis,
  prefix,
  ttlMs,
}: RedisHistoryHoldsOptions): HistoryHolds {
  const key = redisKey(prefix, 'history-holds');
  const self = randomUUID();
  const mine = new Set<string>();
  const field = (partition: string) => `${partition}|${self}`;
  const deadlines = (partitions: Iterable<string>) => {
    const until = String(Date.now() + ttlMs);
    return Object.fromEntries([...partitions].map((partition) => [field(partition), until]));
  };
  const renew = setInterval(() => {
    if (mine.size > 0) redis.hset(key, deadlines(mine)).catch(() => undefined);
  }, ttlMs / 3);
  renew.unref();

  return {
    async hold(partitions) {
      const keys = partitions.map(partitionKey);
      for (const partition of keys) mine.add(partition);
      await redis.hset(key, deadlines(keys));
    },
    async release(partitions) {
      const keys = partitions.map(partitionKey);
      for (const partition of keys) mine.delete(partition);
      await redis.hdel(key, ...keys.map(field)).catch(() => undefined);
    },
    async anyHeld(partitions) {
      const wanted = new Set(partitions.map(partitionKey));
      const now = Date.now();
      const lapsed: string[] = [];
      let held = false;
      for (const [name, until] of Object.entries(await redis.hgetall(key))) {
        if (Number(until) <= now) lapsed.push(name);
        else if (wanted.has(name.slice(0, name.lastIndexOf('|')))) held = true;
      }
      if (lapsed.length > 0) await redis.hdel(key, ...lapsed).catch(() => undefined);
      return held;
    },
    async close() {
      clearInterval(renew);
      if (mine.size > 0) await redis.hdel(key, ...[...mine].map(field)).catch(() => undefined);
      mine.clear();
    },
  };
}
