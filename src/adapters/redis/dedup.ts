import type { Redis } from 'ioredis';
import type { DedupStore } from '../../ports/reference-data.js';
import { keyPart, redisKey } from './keys.js';

/**
 * Claims spread over this many hashes per tenant and bucket, one script call per shard and batch.
 * Each call costs tens of µs of Redis time on top of its claims (more than 1 µs a claim when a
 * shard gets 30 of them), so few shards: a hash then holds a quarter of a tenant's claims of a
 * ttl, and is unlinked (freed in the background) once out of reach.
 */
const DEDUP_SHARDS = 4;

const CLAIM = 'pulsegraphDedupClaim';
/**
 * KEYS[1] the shard's key prefix (its hash tag routes the call; the bucket hashes share it);
 * ARGV[1] ttl ms, then the ids' key parts, then their positions in the same order. Returns the
 * 1-based numbers of the ids refused (claimed by another position), usually none.
 * Buckets are ttl ms wide, numbered on Redis's clock so every fold process agrees. A claim is
 * looked up in the current and the previous bucket and written to the current one, so it is
 * remembered at least ttl and at most 2 × ttl. The bucket before those is out of reach: UNLINK
 * frees it in the background, where an expiry would free a big hash in one go
 * (lazyfree-lazy-expire is off by default); the expiry, a bucket later, only catches the buckets
 * of shards that went quiet. Commands take their fields in chunks: Lua's unpack stops at a few
 * thousand values.
 */
const CLAIM_LUA = `local ttl = tonumber(ARGV[1])
local time = redis.call('TIME')
local bucket = math.floor((time[1] * 1000 + math.floor(time[2] / 1000)) / ttl)
local current = KEYS[1] .. ':' .. ttl .. ':' .. bucket
local previous = KEYS[1] .. ':' .. ttl .. ':' .. (bucket - 1)
local count = (#ARGV - 1) / 2
local refused, taken, fresh, refusals, freshes = {}, {}, {}, 0, 0
for first = 2, count + 1, 2000 do
  local last = math.min(first + 1999, count + 1)
  local inCurrent = redis.call('HMGET', current, unpack(ARGV, first, last))
  local inPrevious = redis.call('HMGET', previous, unpack(ARGV, first, last))
  for i = first, last do
    local id, position = ARGV[i], ARGV[i + count]
    local held = inCurrent[i - first + 1] or inPrevious[i - first + 1] or taken[id]
    if not held then
      taken[id] = position
      fresh[freshes + 1] = id
      fresh[freshes + 2] = position
      freshes = freshes + 2
    elseif held ~= position then
      refusals = refusals + 1
      refused[refusals] = i - 1
    end
  end
end
for first = 1, freshes, 4000 do
  redis.call('HSET', current, unpack(fresh, first, math.min(first + 3999, freshes)))
end
if freshes > 0 then redis.call('PEXPIREAT', current, (bucket + 3) * ttl) end
redis.call('UNLINK', KEYS[1] .. ':' .. ttl .. ':' .. (bucket - 2))
return refused`;

interface ClaimCommand {
  /** ioredis flattens the arrays into the command's arguments. */
  [CLAIM](shard: string, ttlMs: number, ids: string[], positions: string[]): Promise<number[]>;
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
      const shards = new Map<string, { at: number[]; ids: string[]; positions: string[] }>();
      entries.forEach(({ tenant, id, position }, i) => {
        const shard = shardKey(tenant, id);
        let claims = shards.get(shard);
        if (!claims) shards.set(shard, (claims = { at: [], ids: [], positions: [] }));
        claims.at.push(i);
        claims.ids.push(keyPart(id));
        claims.positions.push(position);
      });
      const claimed = new Array<boolean>(entries.length).fill(true);
      await Promise.all(
        [...shards].map(async ([shard, { at, ids, positions }]) => {
          const refused = await scripts[CLAIM](shard, ttlMs, ids, positions);
          for (const n of refused) claimed[at[n - 1]!] = false;
        }),
      );
      return claimed;
    },
    async close() {},
  };
}
