import type { Redis } from 'ioredis';
import type { LookupTable, ReferenceStore } from '../../ports/reference-data.js';
import { redisKey } from './keys.js';

/**
 * Lookup tables in Redis: one hash of rows per (tenant, table), an index hash naming every table
 * with its key dimension, and a version counter that consumers poll once per batch.
 */
export function createRedisReferenceStore({
  redis,
  prefix,
}: {
  redis: Redis;
  prefix: string;
}): ReferenceStore {
  const indexKey = redisKey(prefix, 'lookups');
  const versionKey = redisKey(prefix, 'lookups', 'version');
  const rowsKey = (tenant: string, table: string) => redisKey(prefix, 'lookup', tenant, table);
  return {
    async putLookup(tenant, table, keyDimension, rows) {
      const pipeline = redis.multi();
      pipeline.hset(indexKey, JSON.stringify([tenant, table]), keyDimension);
      if (rows.length > 0)
        pipeline.hset(
          rowsKey(tenant, table),
          ...rows.flatMap((row) => [row.key, JSON.stringify(row.values)]),
        );
      pipeline.incr(versionKey);
      await pipeline.exec();
      return rows.length;
    },
    async version() {
      return (await redis.get(versionKey)) ?? '0';
    },
    async lookups() {
      const index = await redis.hgetall(indexKey);
      const entries = Object.entries(index).map(([id, keyDimension]) => {
        const [tenant, table] = JSON.parse(id) as [string, string];
        return { tenant, table, keyDimension };
      });
      const pipeline = redis.pipeline();
      for (const { tenant, table } of entries) pipeline.hgetall(rowsKey(tenant, table));
      const results = (await pipeline.exec()) ?? [];
      const byTenant = new Map<string, LookupTable[]>();
      entries.forEach(({ tenant, table, keyDimension }, i) => {
        const [error, raw] = results[i] ?? [null, {}];
        if (error) throw error;
        const rows = new Map(
          Object.entries(raw as Record<string, string>).map(([key, json]) => [
            key,
            JSON.parse(json) as Record<string, string>,
          ]),
        );
        const tables = byTenant.get(tenant) ?? [];
        tables.push({ table, keyDimension, rows });
        byTenant.set(tenant, tables);
      });
      for (const tables of byTenant.values()) tables.sort((a, b) => (a.table < b.table ? -1 : 1));
      return byTenant;
    },
    async close() {},
  };
}
