// Event-id dedup claims in Redis: the adapter's bucketed hashes against the per-id SET script they
// replaced (kept here only as the baseline), measured in the same run, rounds alternating.
//   npx tsx bench/dedup.ts      (REDIS_URL, default redis://127.0.0.1:6379; CLAIMS, BATCH, ROUNDS)
// Per implementation: CLAIMS distinct ids claimed in batches of BATCH (fresh), then the same
// claims again (redelivery: same positions, so claimed again). Redis CPU comes from INFO cpu and
// the commands from INFO commandstats, both server-wide: a Redis of its own gives clean figures.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisDedupStore } from '../src/adapters/redis/dedup.js';
import { keyPart, redisKey } from '../src/adapters/redis/keys.js';
import type { DedupStore } from '../src/ports/reference-data.js';
import {
  infoField,
  redisCommandStats,
  redisCpuSeconds,
  type CommandStats,
} from './support/redis-info.js';
import { median } from './support/stats.js';

const CLAIMS = Number(process.env.CLAIMS ?? 200_000);
const BATCH = Number(process.env.BATCH ?? 5_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TTL_MS = 3_600_000;

const PER_ID_CLAIM = 'benchPerIdDedupClaim';
type PerIdClaim = (shard: string, ttlMs: number, entries: string) => Promise<number[]>;

/** The implementation before the bucketed hashes: one `SET NX GET PX` per claim, 16 shards. */
function createPerIdSetDedup(redis: Redis, prefix: string): DedupStore {
  const lua = `local out = {}
for i, entry in ipairs(cjson.decode(ARGV[2])) do
  local previous = redis.call('SET', KEYS[1] .. ':' .. entry[1], entry[2], 'NX', 'GET', 'PX', ARGV[1])
  out[i] = (not previous or previous == entry[2]) and 1 or 0
end
return out`;
  const shardOf = (id: string) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % 16;
  };
  redis.defineCommand(PER_ID_CLAIM, { numberOfKeys: 1, lua });
  const scripts = redis as Redis & Record<typeof PER_ID_CLAIM, PerIdClaim>;
  const root = redisKey(prefix, 'dedup');
  return {
    async claim(entries, ttlMs) {
      const shards = new Map<string, { at: number[]; claims: [string, string][] }>();
      entries.forEach(({ tenant, id, position }, i) => {
        const shard = `${root}:{${keyPart(tenant)}:${shardOf(id)}}`;
        let claims = shards.get(shard);
        if (!claims) shards.set(shard, (claims = { at: [], claims: [] }));
        claims.at.push(i);
        claims.claims.push([keyPart(id), position]);
      });
      const claimed = new Array<boolean>(entries.length);
      await Promise.all(
        [...shards].map(async ([shard, { at, claims }]) => {
          const replies = await scripts[PER_ID_CLAIM](shard, ttlMs, JSON.stringify(claims));
          replies.forEach((reply, j) => (claimed[at[j]!] = reply === 1));
        }),
      );
      return claimed;
    },
    async close() {},
  };
}

interface RedisUsage {
  cpuSeconds: number;
  usedMemory: number;
  commands: CommandStats;
}

async function redisUsage(redis: Redis): Promise<RedisUsage> {
  const [cpuSeconds, memory, commands] = await Promise.all([
    redisCpuSeconds(redis),
    redis.info('memory'),
    redisCommandStats(redis),
  ]);
  return { cpuSeconds, usedMemory: infoField(memory, 'used_memory'), commands };
}

interface Phase {
  wallSeconds: number;
  redisCpuSeconds: number;
  memoryBytes: number;
  commands: Map<string, { calls: number; usec: number }>;
}

async function measure(redis: Redis, work: () => Promise<void>): Promise<Phase> {
  const before = await redisUsage(redis);
  const start = process.hrtime.bigint();
  await work();
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const after = await redisUsage(redis);
  const commands = new Map<string, { calls: number; usec: number }>();
  for (const [name, { calls, usec }] of after.commands) {
    const was = before.commands.get(name) ?? { calls: 0, usec: 0 };
    if (calls > was.calls && name !== 'info')
      commands.set(name, { calls: calls - was.calls, usec: usec - was.usec });
  }
  return {
    wallSeconds,
    redisCpuSeconds: after.cpuSeconds - before.cpuSeconds,
    memoryBytes: after.usedMemory - before.usedMemory,
    commands,
  };
}

async function deleteStartingWith(redis: Redis, start: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${start}*`, 'COUNT', 1000);
    // DEL, not UNLINK: memory freed in the background would blur the next phase's figure.
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function main() {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const base = `bench.dedup.${randomBytes(4).toString('hex')}`;
  const claims = Array.from({ length: CLAIMS }, (_, i) => ({
    tenant: 'bench',
    id: randomUUID(),
    position: `events:${i % 4}:${1_000_000 + i}`,
  }));
  const batches = Array.from({ length: Math.ceil(CLAIMS / BATCH) }, (_, i) =>
    claims.slice(i * BATCH, (i + 1) * BATCH),
  );
  const implementations: [string, (prefix: string) => DedupStore][] = [
    ['per-id SET (before)', (prefix) => createPerIdSetDedup(redis, prefix)],
    ['bucketed hashes', (prefix) => createRedisDedupStore({ redis, prefix })],
  ];
  const results = new Map<string, Phase[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, create] of implementations) {
        const prefix = `${base}.${round}`;
        const store = create(prefix);
        const claimAll = async () => {
          for (const batch of batches) {
            const claimed = await store.claim(batch, TTL_MS);
            if (!claimed.every((c) => c)) throw new Error(`${name}: a distinct id was refused`);
          }
        };
        for (const phase of ['fresh', 'redelivery']) {
          const label = `${name}, ${phase}`;
          results.set(label, [...(results.get(label) ?? []), await measure(redis, claimAll)]);
        }
        await deleteStartingWith(redis, `${prefix}:`);
      }
    }
    const perClaim = (phases: Phase[], of: (phase: Phase) => number, digits = 2) => {
      const values = phases.map((phase) => of(phase) / CLAIMS);
      const range = `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
      return `${median(values).toFixed(digits)} (${range})`;
    };
    const scriptOf = (phase: Phase) => phase.commands.get('evalsha') ?? { calls: 0, usec: 0 };
    console.log(
      `\nDedup claims -> Redis: ${CLAIMS} distinct ids (UUIDs), one tenant, batches of ${BATCH}, ` +
        `ttl ${TTL_MS / 1000} s; median (min–max) of ${ROUNDS} rounds\n`,
    );
    console.table(
      Object.fromEntries(
        [...results].map(([label, phases]) => [
          label,
          {
            'claims/s': Math.round(median(phases.map((p) => CLAIMS / p.wallSeconds))),
            'Redis CPU µs/claim': perClaim(phases, (p) => p.redisCpuSeconds * 1e6),
            'script calls/batch': (scriptOf(phases[0]!).calls / batches.length).toFixed(1),
            'script µs/claim': perClaim(phases, (p) => scriptOf(p).usec),
            'memory B/claim': label.endsWith('fresh')
              ? perClaim(phases, (p) => p.memoryBytes, 0)
              : '',
          },
        ]),
      ),
    );
    console.log(
      '\nRedis commands per claim, medians (EVALSHA includes the commands run inside it):',
    );
    console.table(
      Object.fromEntries(
        [...results].flatMap(([label, phases]) =>
          [...phases[0]!.commands.keys()].map((command) => {
            const of = (p: Phase) => p.commands.get(command) ?? { calls: 0, usec: 0 };
            return [
              `${label}: ${command}`,
              {
                'calls/claim': (median(phases.map((p) => of(p).calls)) / CLAIMS).toFixed(4),
                'µs/claim': (median(phases.map((p) => of(p).usec)) / CLAIMS).toFixed(2),
              },
            ];
          }),
        ),
      ),
    );
  } finally {
    await deleteStartingWith(redis, base);
    await redis.quit();
  }
}

await main();
