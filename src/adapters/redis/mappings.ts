import type { Redis } from 'ioredis';
import type { StoredMapping } from '../../mappings/spec.js';
import type { MappingStore } from '../../ports/mappings.js';
import { redisKey } from './keys.js';

const byOwnerThenName = (a: StoredMapping, b: StoredMapping) =>
  a.owner === b.owner ? (a.spec.name < b.spec.name ? -1 : 1) : a.owner < b.owner ? -1 : 1;

/** Topic mappings in one Redis hash (field: [owner, name]) beside a version counter. */
export function createRedisMappingStore({
  redis,
  prefix,
  clock = Date.now,
}: {
  redis: Redis;
  prefix: string;
  clock?: () => number;
}): MappingStore {
  const hashKey = redisKey(prefix, 'mappings');
  const versionKey = redisKey(prefix, 'mappings', 'version');
  const field = (owner: string, name: string) => JSON.stringify([owner, name]);
  return {
    async put(owner, spec) {
      const stored: StoredMapping = { owner, spec, updatedAt: clock() };
      await redis
        .multi()
        .hset(hashKey, field(owner, spec.name), JSON.stringify(stored))
        .incr(versionKey)
        .exec();
      return stored;
    },
    async remove(owner, name) {
      const [[, removed] = []] =
        (await redis.multi().hdel(hashKey, field(owner, name)).incr(versionKey).exec()) ?? [];
      return removed === 1;
    },
    async list() {
      const all = await redis.hvals(hashKey);
      return all.map((json) => JSON.parse(json) as StoredMapping).sort(byOwnerThenName);
    },
    async version() {
      return (await redis.get(versionKey)) ?? '0';
    },
  };
}
