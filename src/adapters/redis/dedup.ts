import type { Redis } from 'ioredis';
import type { DedupStore } from '../../ports/reference-data.js';
import { keyPart, redisKey } from './keys.js';

/**
 * Claims spread over this many hashes per tenant and bucket: one script call per shard and batch.
 * More shards cost a few µs of Redis time per call; fewer make bigger hashes, and Redis frees an
 * expired hash in one go (lazyfree-lazy-expire is off by default).
 */
const DEDUP_SHARDS = 16;

const CLAIM = 'pulsegraphDedupClaim';
/**
 * KEYS[1] the shard's key prefix (its hash tag routes the call; the bucket hashes share it);
 * ARGV[1] ttl ms, then id key part and position, pairs. Returns 1 per pair claimed (or claimed
 * by the same position before), else 0. Buckets are ttl ms wide, numbered on Redis's clock so
 * every fold process agrees; a claim is looked up in the current and the previous bucket and
 * written to the current one, which expires at the end of the following bucket.
 * Commands take their fields in chunks: Lua's unpack stops at a few thousand values.
 */
const CLAIM_LUA = `local ttl = tonumber(ARGV[1])
local time = redis.call('TIME')
local bucket = math.floor((time[1] * 1000 + math.floor(time[2] / 1000)) / ttl)
local current = KEYS[1] .. ':' .. ttl .. ':' .. bucket
local previous = KEYS[1] .. ':' .. ttl .. ':' .. (bucket - 1)
local count = (#ARGV - 1) / 2
local ids = {}
for i = 1, count do ids[i] = ARGV[2 * i] end
local out, taken, fresh = {}, {}, {}
for first = 1, count, 2000 do
  local last = math.min(first + 1999, count)
  local inCurrent = redis.call('HMGET', current, unpack(ids, first, last))
  local inPrevious = redis.call('HMGET', previous, unpack(ids, first, last))
  for i = first, last do
    local id, position = ids[i], ARGV[2 * i + 1]
    local held = inCurrent[i - first + 1] or inPrevious[i - first + 1] or taken[id]
    if held then
      out[i] = held == position and 1 or 0
    else
      taken[id] = position
      fresh[#fresh + 1] = id
      fresh[#fresh + 1] = position
      out[i] = 1
    end
  end
end
if #fresh > 0 then
  for first = 1, #fresh, 4000 do
    redis.call('HSET', current, unpack(fresh, first, math.min(first + 3999, #fresh)))
  end
  redis.call('PEXPIREAT', current, (bucket + 2) * ttl)
end
return out`;

interface ClaimCommand {
  [CLAIM](shard: string, ttlMs: number, ...idsAndPositions: string[]): Promise<number[]>;
}

/** FNV-1a of the id: which shard holds its claim. */
function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % DEDUP_SHARDS;
}

/**
 * Event-id claims in time-bucketed hashes, id -> position, run by a script per shard: a few calls
 * per batch, a few hash lookups per event. An id is remembered at least ttl and at most 2 × ttl.
 * Keys: `<p>:dedup:{<tenant>:<shard>}:<ttl ms>:<bucket>`, the hash tag keeping a shard's buckets
 * in one slot; the ttl in the name keeps buckets of another width apart.
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
      const shards = new Map<string, { at: number[]; args: string[] }>();
      entries.forEach(({ tenant, id, position }, i) => {
        const shard = shardKey(tenant, id);
        let claims = shards.get(shard);
        if (!claims) shards.set(shard, (claims = { at: [], args: [] }));
        claims.at.push(i);
        claims.args.push(keyPart(id), position);
      });
      const claimed = new Array<boolean>(entries.length);
      await Promise.all(
        [...shards].map(async ([shard, { at, args }]) => {
          const replies = await scripts[CLAIM](shard, ttlMs, ...args);
          replies.forEach((reply, j) => (claimed[at[j]!] = reply === 1));
        }),
      );
      return claimed;
    },
    async close() {},
  };
}
