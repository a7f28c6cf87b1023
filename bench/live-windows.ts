// Live-window fold throughput into Redis, against raw pipelined HINCRBY measured in the same run.
//   npx tsx bench/live-windows.ts            (REDIS_URL, default redis://127.0.0.1:6379)
// Batches like a busy partition: 10 000 events, 3 dimensions (country 20, device 3, plan 4),
// 1 000 users, spread over 2 seconds of event time; consecutive batches move on 2 seconds.
// BATCH, BATCHES, USERS and SPAN (ms of event time per batch) change that: BATCH=500 SPAN=50
// USERS=50000 writes like a fold at 10 000 events/s.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisLiveWindows } from '../src/adapters/redis/live-windows.js';
import type { PositionedEvent } from '../src/events/event.js';
import { aggregateLive } from '../src/live/aggregate.js';
import type { LiveGroupDelta } from '../src/ports/live-windows.js';
import { pick, seededRandom } from '../test/support/random.js';
import { redisCommandStats, redisCpuSeconds, type CommandStats } from './support/redis-info.js';

const BATCH = Number(process.env.BATCH ?? 10_000);
const BATCHES = Number(process.env.BATCHES ?? 30);
const WARMUP = 3;
const SPAN_MS = Number(process.env.SPAN ?? 2000);
const USERS = Number(process.env.USERS ?? 1_000);
const HORIZON_MS = 3_900_000;

const COUNTRIES = Array.from({ length: 20 }, (_, i) => `c${i}`);
const DEVICES = ['mobile', 'desktop', 'tablet'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];

const random = seededRandom(1);
const startMs = Math.floor(Date.now() / 1000) * 1000 - (WARMUP + BATCHES) * SPAN_MS - 5000;

function makeBatch(index: number, tenant = 'bench'): PositionedEvent[] {
  return Array.from({ length: BATCH }, (_, i) => ({
    id: `${index}-${i}`,
    tenant,
    name: 'page_view',
    timestamp: startMs + index * SPAN_MS + Math.floor(random() * SPAN_MS),
    userId: USERS > 0 ? `user-${Math.floor(random() * USERS)}` : null,
    value: process.env.NO_VALUES ? null : Math.round(random() * 500_000) / 1000,
    dimensions: {
      country: pick(random, COUNTRIES),
      device: pick(random, DEVICES),
      plan: pick(random, PLANS),
    },
    topic: 'events',
    partition: 0,
    offset: index * BATCH + i,
  }));
}

type Stats = CommandStats;

function diff(after: Stats, before: Stats): Stats {
  const out: Stats = new Map();
  for (const [name, a] of after) {
    const b = before.get(name) ?? { calls: 0, usec: 0 };
    if (a.calls > b.calls) out.set(name, { calls: a.calls - b.calls, usec: a.usec - b.usec });
  }
  return out;
}

interface Cost {
  wall: number;
  client: number;
  redis: number;
}

/** Wall time, this process's CPU time and Redis's CPU time of `work`, in seconds. */
async function measure(redis: Redis, work: () => Promise<void>): Promise<Cost> {
  const redisBefore = await redisCpuSeconds(redis);
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  await work();
  const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = (await redisCpuSeconds(redis)) - redisBefore;
  return { wall, client: (cpu.user + cpu.system) / 1e6, redis: redisCpu };
}

const perSecond = (n: number, s: number) => (s > 0 ? `${Math.round(n / s / 1000)}k` : '-');

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/** MEMORY USAGE summed by kind of key (second or minute bucket: stats, sketch, HyperLogLog). */
async function memoryByKind(redis: Redis, group: string) {
  const kinds: Record<string, { keys: number; bytes: number }> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${group}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key);
    const sizes = (await pipeline.exec())!.map(([, size]) => Number(size));
    keys.forEach((key, i) => {
      const rest = key.slice(group.length + 1);
      const level = rest.startsWith('m') ? 'minute' : rest.startsWith('s') ? 'second' : 'other';
      const kind = rest.includes(':u:')
        ? 'HyperLogLog'
        : rest.endsWith(':q')
          ? 'sketch hash'
          : 'stats hash';
      const entry = (kinds[level === 'other' ? rest : `${level} ${kind}`] ??= {
        keys: 0,
        bytes: 0,
      });
      entry.keys++;
      entry.bytes += sizes[i]!;
    });
  } while (cursor !== '0');
  return Object.fromEntries(
    Object.entries(kinds).map(([kind, { keys, bytes }]) => [
      kind,
      { keys, 'KiB total': Math.round(bytes / 1024), 'bytes/key': Math.round(bytes / keys) },
    ]),
  );
}

async function main() {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `bench.lw.${randomBytes(4).toString('hex')}`;
  const store = createRedisLiveWindows({ redis, prefix, horizonMs: HORIZON_MS });
  const nowMs = Date.now();
  const batches = Array.from({ length: WARMUP + BATCHES }, (_, i) => makeBatch(i));
  // the same shape again under another tenant: its keys are new to Redis and to the adapter
  const others = Array.from({ length: BATCHES }, (_, i) => makeBatch(WARMUP + i, 'bench-e2e'));
  const events = BATCHES * BATCH;
  const apply = (groups: LiveGroupDelta[], partition: number, i: number) =>
    store.apply({
      topic: 'events',
      partition,
      fromOffset: i * BATCH,
      toOffset: (i + 1) * BATCH - 1,
      groups,
    });

  try {
    const memoryBefore = await usedMemory(redis);
    for (let i = 0; i < WARMUP; i++)
      await apply(aggregateLive(batches[i]!, { nowMs, horizonMs: HORIZON_MS }).groups, 0, i);
    const measured = batches.slice(WARMUP);

    let deltas: LiveGroupDelta[][] = [];
    const aggregate = await measure(redis, async () => {
      deltas = measured.map(
        (batch) => aggregateLive(batch, { nowMs, horizonMs: HORIZON_MS }).groups,
      );
    });

    const statsBefore = await redisCommandStats(redis);
    const applied = await measure(redis, async () => {
      for (let i = 0; i < deltas.length; i++) await apply(deltas[i]!, 0, WARMUP + i);
    });
    const inApply = diff(await redisCommandStats(redis), statsBefore);
    const memoryAfter = await usedMemory(redis);

    // Other batches of the same shape, aggregated and applied one after the other.
    const endToEnd = await measure(redis, async () => {
      for (let i = 0; i < others.length; i++)
        await apply(aggregateLive(others[i]!, { nowMs, horizonMs: HORIZON_MS }).groups, 1, i);
    });

    // Baseline: as many raw HINCRBYs as Redis ran commands during apply, 10k per pipeline.
    const commands = [...inApply]
      .filter(([n]) => n !== 'info')
      .reduce((n, [, s]) => n + s.calls, 0);
    const baseline = await measure(redis, async () => {
      for (let done = 0; done < commands; done += 10_000) {
        const pipeline = redis.pipeline();
        for (let i = 0; i < Math.min(10_000, commands - done); i++)
          pipeline.hincrby(`${prefix}:baseline:${i % 997}`, `f${i % 61}`, 1);
        await pipeline.exec();
      }
    });

    console.log(
      `\nlive windows -> Redis: ${BATCHES} batches x ${BATCH} events, 3 dimensions, ${USERS} users, ${SPAN_MS / 1000} s of event time per batch\n` +
        'events/s by wall time, and per CPU-second of the client (Node) and of Redis\n',
    );
    const row = (cost: Cost, n = events) => ({
      'wall s': cost.wall.toFixed(2),
      '/s wall': perSecond(n, cost.wall),
      'client CPU s': cost.client.toFixed(2),
      '/client CPU-s': perSecond(n, cost.client),
      'Redis CPU s': cost.redis.toFixed(2),
      '/Redis CPU-s': perSecond(n, cost.redis),
    });
    console.table({
      'aggregateLive (events)': row(aggregate),
      'apply (events)': row(applied),
      'aggregate + apply (events)': row(endToEnd),
      [`baseline: ${commands} HINCRBY (commands)`]: row(baseline, commands),
    });
    console.log('\nRedis commands during apply, per batch:');
    console.table(
      Object.fromEntries(
        [...inApply]
          .filter(([n]) => n !== 'info')
          .sort((a, b) => b[1].usec - a[1].usec)
          .map(([name, s]) => [
            name,
            {
              'calls/batch': Math.round(s.calls / BATCHES),
              'ms/batch': (s.usec / BATCHES / 1000).toFixed(2),
              'µs/call': (s.usec / s.calls).toFixed(1),
            },
          ]),
      ),
    );
    console.log('\nRedis memory by kind of key, after the apply phase:');
    console.table(await memoryByKind(redis, `${prefix}:lw:{bench|page_view}`));
    const eventSeconds = (WARMUP + BATCHES) * 2;
    console.log(
      `\nRedis memory: ${((memoryAfter - memoryBefore) / 1024 / eventSeconds).toFixed(0)} KiB per second of event time ` +
        `(${((((memoryAfter - memoryBefore) / 1024 / 1024 / eventSeconds) * HORIZON_MS) / 1000).toFixed(0)} MiB over a ${HORIZON_MS / 60_000} min horizon at this rate)`,
    );
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  }
}

await main();
