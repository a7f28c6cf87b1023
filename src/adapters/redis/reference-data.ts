import type { Redis } from 'ioredis';
import type { DedupStore, LookupTable, ReferenceStore } from '../../ports/reference-data.js';
import { keyPart, redisKey } from './keys.js';

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

/** Claims spread over this many hash slots per tenant: one script call per shard and batch. */
const DEDUP_SHARDS = 16;

const CLAIM = 'pulsegraphDedupClaim';
/**
 * KEYS[1] the shard's key prefix (its hash tag routes the call; the claims' keys share it);
 * ARGV[1] ttl ms, ARGV[2] JSON [[id key part, position], ...]. Returns 1 per entry claimed (or
 * claimed by the same position before), else 0.
 */
const CLAIM_LUA = `local out = {}
for i, entry in ipairs(cjson.decode(ARGV[2])) do
  local previous = redis.call('SET', KEYS[1] .. ':' .. entry[1], entry[2], 'NX', 'GET', 'PX', ARGV[1])
  out[i] = (not previous or previous == entry[2]) and 1 or 0
end
return out`;

interface ClaimCommand {
  [CLAIM](shard: string, ttlMs: number, entries: string): Promise<number[]>;
}

/** FNV-1a of the id: which shard holds its claim. */
function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % DEDUP_SHARDS;
}

/**
 * Event-id claims as `SET key position NX GET PX ttl`, run by a script per shard with the shard's
 * claims as one JSON argument: a few calls per batch, not one command per event.
 * Keys: `<p>:dedup:{<tenant>:<shard>}:<id>`, the hash tag keeping a shard's keys in one slot.
 * A claim holding the same position is a redelivery of the same record, not a repeat.
 */
export function createRedisDedupStore({
  redis,
  prefix,
}: {
  redis: Redis;
  prefix: string;
}): DedupStore {
  redis.defineCommand(CLAIM, { numberOfKeys: 1, lua: CLAIM_LUA });
  const scripts = redis as Redis & ClaimCommand;
  const root = redisKey(prefix, 'dedup');
  const tenantTags = new Map<string, string>();
  const shardKey = (tenant: string, id: string) => {
    let tag = tenantTags.get(tenant);
    if (tag === undefined) tenantTags.set(tenant, (tag = `${root}:{${keyPart(tenant)}:`));
    return `${tag}${shardOf(id)}}`;
  };
  return {
    async claim(entries, ttlMs) {
      const shards = new Map<string, { at: number[]; claims: [string, string][] }>();
      entries.forEach(({ tenant, id, position }, i) => {
        const shard = shardKey(tenant, id);
        let claims = shards.get(shard);
        if (!claims) shards.set(shard, (claims = { at: [], claims: [] }));
        claims.at.push(i);
        claims.claims.push([keyPart(id), position]);
      });
      const claimed = new Array<boolean>(entries.length);
      await Promise.all(
        [...shards].map(async ([shard, { at, claims }]) => {
          const replies = await scripts[CLAIM](shard, ttlMs, JSON.stringify(claims));
          replies.forEach((reply, j) => (claimed[at[j]!] = reply === 1));
        }),
      );
      return claimed;
    },
    async close() {},
  };
}
