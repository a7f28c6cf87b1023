// The event pipeline end to end on the real engines: Kafka -> the fold (consumers/fold.ts, run as
// a child process so its CPU and memory are its own) -> Redis live windows + ClickHouse history,
// each figure next to its baseline measured in the same run.
//   npm run bench:pipeline -- [--events N] [--quick] [--phases single,batched,fresh]
//                             [--fresh-seconds S] [--fresh-rate R] [--profile DIR]
//                             [--fold-env NAME=VALUE ...] [--keep]
// --events N       events per throughput topic (default 500 000; --quick: 100 000, 10 s freshness)
// --profile DIR    the fold children run with `node --cpu-prof`, profiles land in DIR
// --fold-env       a setting for the fold children on top of the run's (e.g. HISTORY_FLUSH_MS=50)
// --fold-node-arg  a node option for the fold children (e.g. --fold-node-arg=--trace-gc)
// --fold-log FILE  append the fold children's output (their log lines) to FILE
// --fold-root DIR  run consumers/fold.ts of another checkout (e.g. `git worktree add` of the last
//                  commit), to compare two versions of the fold under the same conditions
// --without-ids    events carry no id (the fold derives them from log positions, no id claims)
// --keep           leave the topics, database and keys for a look afterwards
// Addresses: KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL, else .stack/env (npm run stack:up).
//
// What is measured, each phase on a topic (4 partitions), consumer group and fold process of its own,
// all sharing one fresh ClickHouse database and Redis prefix (removed at the end):
// 1. baseline: raw kafkajs reading the one-event topic with an eachBatch that does nothing
//    (partitionsConsumedConcurrently 1 and 4, the better one counts), from connect() to the last record;
// 2. the fold on that topic: from its engines being ready (the consumer starts next) until its
//    progress, which it records once both sinks hold a batch, covers every partition's end;
// 3. the same on a topic of JSON-array messages of 100-500 events;
// 4. freshness: events produced at a steady rate, one per message, each with its produce time and,
//    from the produce response, its offset; "visible" is the first poll (back to back, ~1 ms apart)
//    of the live windows' per-group offsets hash in Redis, which live-apply.lua writes atomically
//    with the buckets, that covers the event's offset: from then on a live query counts it (the
//    change feed notifies subscribers right after). Also reported: when the fold progress covers
//    it (both sinks hold it: what the API's foldedThrough says), when Kafka acknowledged its send,
//    and, as the baseline, when a raw kafkajs consumer in this process receives it;
// 5. the fold process's CPU time (/proc) and peak RSS (VmHWM), the engines' CPU time, and the
//    Redis commands run per event with Redis's own time in them (INFO commandstats).
// Events: ~165 B of JSON (id, one of 4 names, epoch-ms timestamp, userId of 50 000, value, three
// dimensions), tenant `default` in the header, keyed by user.
// Both sinks are checked at the end of each phase: ClickHouse and the live windows must hold
// exactly the events produced.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type RecordMetadata } from 'kafkajs';
import { pino } from 'pino';
import { createMigrator } from '../src/adapters/clickhouse/migrate.js';
import { createKafkaEventLog } from '../src/adapters/kafka/event-log.js';
import { createRedisFoldProgress } from '../src/adapters/redis/fold-progress.js';
import { liveKeys } from '../src/adapters/redis/live-keys.js';
import { createRedisLiveWindows } from '../src/adapters/redis/live-windows.js';
import { redisKey } from '../src/adapters/redis/keys.js';
import type { LogMessage } from '../src/ports/event-log.js';
import {
  arrayMessage,
  EVENT_NAMES,
  generateEvent,
  singleEventMessage,
  TENANT,
} from './support/events.js';
import { startFoldProcess, type FoldProcess } from './support/fold-process.js';
import { loadAverage, processUsage } from './support/proc.js';
import { rawConsume, type RawConsumeResult } from './support/raw-consume.js';
import { stackEnv, stackPid } from './support/stack-env.js';
import { formatCount, formatMiB, percentile } from './support/stats.js';
import { markdownTable } from './support/table.js';
import { createOffsetTimeline, type OffsetTimeline } from './support/timeline.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string' },
    quick: { type: 'boolean', default: false },
    phases: { type: 'string', default: 'single,batched,fresh' },
    'fresh-seconds': { type: 'string' },
    'fresh-rate': { type: 'string' },
    profile: { type: 'string' },
    'fold-env': { type: 'string', multiple: true, default: [] },
    'fold-root': { type: 'string' },
    'fold-log': { type: 'string' },
    'fold-node-arg': { type: 'string', multiple: true, default: [] },
    'without-ids': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events ?? (args.quick ? 100_000 : 500_000));
const FRESH_SECONDS = Number(args['fresh-seconds'] ?? (args.quick ? 10 : 20));
const FRESH_RATE = Number(args['fresh-rate'] ?? 10_000);
const PHASES = new Set(args.phases.split(','));
const WITH_IDS = !args['without-ids'];
const PARTITIONS = 4;
/** Produce ticks of the freshness phase: each sends the events that fell due since the last. */
const TICK_MS = 5;
const MAX_SEND = 1000;
const NAMES = [...new Set(EVENT_NAMES)];
const DONE_TIMEOUT_MS = 600_000;

const env = stackEnv();
const brokers = env.KAFKA_BROKERS.split(',');
const run = randomBytes(3).toString('hex');
const base = `bench.pipeline.${run}`;
const database = `bench_pipeline_${run}`;
const prefix = `bpipe.${run}`;
const topics = { single: `${base}.single`, batched: `${base}.batched`, fresh: `${base}.fresh` };
const say = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const redis = new Redis(env.REDIS_URL);
const clickhouse = createClient({ url: env.CLICKHOUSE_URL });
const kafka = new Kafka({ clientId: 'bench-pipeline', brokers, logLevel: logLevel.NOTHING });
const log = createKafkaEventLog({
  brokers,
  clientId: 'bench-pipeline',
  logger: pino({ level: 'silent' }),
});
const progress = createRedisFoldProgress({ redis, prefix });
const live = createRedisLiveWindows({ redis, prefix, horizonMs: 3_900_000 });
const keys = liveKeys(prefix);
let groups = 0;
const groupId = (what: string) => `${base}.${what}.${groups++}`;

/** The engines' CPU time and, from INFO commandstats, the Redis commands run (by name). */
interface EngineCpu {
  kafka: number;
  clickhouse: number;
  redis: number;
  /** Per command: calls and the microseconds Redis spent in them. */
  redisCalls: Map<string, { calls: number; usec: number }>;
}

async function engineCpu(): Promise<EngineCpu> {
  const [cpu, stats] = await Promise.all([redis.info('cpu'), redis.info('commandstats')]);
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  const cpuOf = (file: string) => {
    const pid = stackPid(file);
    return pid === null ? NaN : processUsage(pid).cpuSeconds;
  };
  const redisCalls = new Map<string, { calls: number; usec: number }>();
  for (const match of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    redisCalls.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  return {
    kafka: cpuOf('kafka/kafka.pid'),
    clickhouse: cpuOf('clickhouse/clickhouse.pid'),
    redis: field('used_cpu_user') + field('used_cpu_sys'),
    redisCalls,
  };
}

const cpuSince = (before: EngineCpu, after: EngineCpu): EngineCpu => ({
  kafka: after.kafka - before.kafka,
  clickhouse: after.clickhouse - before.clickhouse,
  redis: after.redis - before.redis,
  redisCalls: new Map(
    [...after.redisCalls]
      .map(([name, { calls, usec }]) => {
        const was = before.redisCalls.get(name) ?? { calls: 0, usec: 0 };
        return [name, { calls: calls - was.calls, usec: usec - was.usec }] as const;
      })
      .filter(([name, { calls }]) => calls > 0 && name !== 'info'),
  ),
});

/** Every fold child started, so none outlives the benchmark when a phase fails. */
const folds = new Set<FoldProcess>();

async function startFold(topic: string): Promise<FoldProcess> {
  if (args.profile) mkdirSync(args.profile, { recursive: true });
  const fold = await startFoldProcess({
    settings: {
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      REDIS_URL: env.REDIS_URL,
      CLICKHOUSE_URL: env.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: database,
      REDIS_PREFIX: prefix,
      INGEST_TOPICS: topic,
      DEAD_LETTER_TOPIC: `${topic}.dlq`,
      CONSUMER_GROUP: groupId('fold'),
      TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'info',
      ...Object.fromEntries(
        args['fold-env'].map((setting) => {
          const eq = setting.indexOf('=');
          return [setting.slice(0, eq), setting.slice(eq + 1)];
        }),
      ),
    },
    ...(args.profile ? { cpuProfileDir: args.profile } : {}),
    ...(args['fold-root'] ? { root: args['fold-root'] } : {}),
    ...(args['fold-log'] ? { logFile: args['fold-log'] } : {}),
    nodeArgs: args['fold-node-arg'],
  });
  folds.add(fold);
  return fold;
}

/** Fills a topic before anything reads it, so the fold's rate is not bounded by the producer. */
async function fill(topic: string, messages: LogMessage[]): Promise<void> {
  const producer = log.producer();
  const started = performance.now();
  // Kafka takes at most 1 MB per record batch: big array messages go a few at a time.
  let chunk: LogMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (chunk.length === 10_000 || bytes + message.value.length > 512 * 1024) {
      await producer.send(topic, chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += message.value.length;
  }
  await producer.send(topic, chunk);
  await producer.close();
  const seconds = (performance.now() - started) / 1000;
  const average = messages.reduce((sum, m) => sum + m.value.length, 0) / messages.length;
  say(
    `  filled ${topic}: ${formatCount(messages.length)} messages of ${average.toFixed(0)} B on average in ${seconds.toFixed(1)} s`,
  );
}

function singleMessages(): LogMessage[] {
  const last = Date.now();
  // Event time spreads over the minute before now, as a busy stream's would.
  return Array.from({ length: EVENTS }, (_, i) =>
    singleEventMessage(
      generateEvent(`${run}s`, i, last - 60_000 + Math.floor((i * 60_000) / EVENTS), WITH_IDS),
    ),
  );
}

function arrayMessages(): LogMessage[] {
  const last = Date.now();
  const messages: LogMessage[] = [];
  for (let i = 0; i < EVENTS;) {
    const size = Math.min(EVENTS - i, 100 + ((i * 7919) % 401));
    const events = Array.from({ length: size }, (_, k) =>
      generateEvent(
        `${run}b`,
        i + k,
        last - 60_000 + Math.floor(((i + k) * 60_000) / EVENTS),
        WITH_IDS,
      ),
    );
    messages.push(arrayMessage(events));
    i += size;
  }
  return messages;
}

async function bestRaw(topic: string, records: number): Promise<RawConsumeResult> {
  const results: RawConsumeResult[] = [];
  for (const concurrency of [1, 4]) {
    const result = await rawConsume({
      brokers,
      topic,
      records,
      groupId: groupId('raw'),
      concurrency,
    });
    say(
      `  raw kafkajs, ${concurrency} partition(s) at a time: ${formatCount(records / result.fromStartSeconds)} records/s from connect, ` +
        `${formatCount(result.steadyRecordsPerSecond)} after the first batch`,
    );
    results.push(result);
  }
  return results.reduce((a, b) => (b.fromStartSeconds < a.fromStartSeconds ? b : a));
}

interface FoldRun {
  /** From the fold's engines being ready until its progress covered every record. */
  seconds: number;
  /** Records folded after the first progress was seen, over the time since: the steady rate. */
  steadyRecordsPerSecond: number;
  cpuSeconds: number;
  idleRssBytes: number;
  peakRssBytes: number;
  engines: EngineCpu;
  loads: [number, number];
  problems: string[];
}

async function progressOffsets(topic: string): Promise<Map<number, number>> {
  const rows = await progress.read([topic]);
  return new Map(rows.map((row) => [row.partition, row.offset]));
}

/** Runs a fold process over a filled topic until its progress reaches the topic's end. */
async function foldAll(topic: string): Promise<FoldRun> {
  const ends = await log.endOffsets([topic]);
  const total = ends.reduce((sum, end) => sum + end.offset, 0);
  const loadBefore = loadAverage();
  const enginesBefore = await engineCpu();
  const fold = await startFold(topic);
  let first: { at: number; folded: number } | undefined;
  const deadline = performance.now() + DONE_TIMEOUT_MS;
  for (;;) {
    const at = performance.now();
    const offsets = await progressOffsets(topic);
    const folded = ends.reduce((sum, end) => sum + (offsets.get(end.partition) ?? -1) + 1, 0);
    if (folded > 0 && !first) first = { at, folded };
    if (folded >= total) {
      const usage = fold.usage();
      const engines = cpuSince(enginesBefore, await engineCpu());
      await fold.stop();
      return {
        seconds: (at - fold.readyAt) / 1000,
        steadyRecordsPerSecond:
          first!.at < at ? ((total - first!.folded) * 1000) / (at - first!.at) : NaN,
        cpuSeconds: usage.cpuSeconds - fold.idle.cpuSeconds,
        idleRssBytes: fold.idle.rssBytes,
        peakRssBytes: usage.peakRssBytes,
        engines,
        loads: [loadBefore, loadAverage()],
        problems: fold.problems,
      };
    }
    if (at > deadline) {
      await fold.stop();
      throw new Error(`the fold of ${topic} did not finish in time: ${folded} of ${total} records`);
    }
    await sleep(5);
  }
}

/** Both sinks must hold exactly the events of the topic. */
async function verify(topic: string, expected: number, fromMs: number): Promise<string> {
  const rows = await (
    await clickhouse.query({
      query: `SELECT count() AS n FROM ${database}.events WHERE topic = '${topic}'`,
      format: 'JSONEachRow',
    })
  ).json<{ n: string }>();
  const history = Number(rows[0]?.n ?? 0);
  let liveCount = 0;
  for (const event of NAMES) {
    const stats = await live.read({
      tenant: TENANT,
      metric: { event, aggregate: 'COUNT', filter: [{ key: 'topic', in: [topic] }], groupBy: null },
      fromMs: fromMs - 120_000,
      toMs: Date.now() + 60_000,
      maxGroups: 1,
    });
    liveCount += stats[0]?.count ?? 0;
  }
  const dead = (await log.endOffsets([`${topic}.dlq`])).reduce((sum, end) => sum + end.offset, 0);
  const line = `ClickHouse ${formatCount(history)}, live windows ${formatCount(liveCount)}, dead letters ${dead} (expected ${formatCount(expected)}, 0)`;
  if (history !== expected || liveCount !== expected || dead !== 0)
    throw new Error(`the sinks do not hold what was produced: ${line}`);
  return line;
}

interface Freshness {
  events: number;
  seconds: number;
  /** Produce -> counted by the live windows in Redis, ms. */
  live: number[];
  /** Produce -> covered by the fold progress (the change feed notifies right after), ms. */
  progress: number[];
  /** Produce -> received by a raw kafkajs consumer, ms: the baseline. */
  raw: number[];
  /** Produce -> the producer's send resolved (acks from all in-sync replicas), ms. */
  acked: number[];
  foldCores: number;
  peakRssBytes: number;
  idleRssBytes: number;
  engines: EngineCpu;
  loads: [number, number];
  problems: string[];
}

interface Sent {
  producedAt: number;
  ackedAt?: number;
  partitions: number[];
  names: string[];
  metadata: Promise<RecordMetadata[]>;
}

/** Polls Redis back to back: the live windows' per-group offsets and the fold progress. */
function startPolling(topic: string, liveSeen: OffsetTimeline, progressSeen: OffsetTimeline) {
  const poller = new Redis(env.REDIS_URL);
  const offsetKeys = NAMES.map((name) => keys.offsets(keys.group(TENANT, name)));
  const progressKey = redisKey(prefix, 'progress', topic);
  let polling = true;
  const loop = (async () => {
    while (polling) {
      const pipeline = poller.pipeline();
      for (const key of offsetKeys) pipeline.hgetall(key);
      pipeline.hgetall(progressKey);
      const replies = (await pipeline.exec())!.map(([, r]) => r as Record<string, string>);
      const at = performance.now();
      NAMES.forEach((name, i) => {
        for (let p = 0; p < PARTITIONS; p++) {
          const stored = replies[i]![`${topic}:${p}`];
          if (stored !== undefined) liveSeen.observe(`${name}|${p}`, Number(stored), at);
        }
      });
      for (const [partition, value] of Object.entries(replies[NAMES.length]!))
        progressSeen.observe(partition, Number(value.split(':')[0]), at);
      await sleep(1);
    }
  })();
  return async () => {
    polling = false;
    await loop;
    poller.disconnect();
  };
}

async function freshness(): Promise<Freshness> {
  const topic = topics.fresh;
  const liveSeen = createOffsetTimeline();
  const progressSeen = createOffsetTimeline();
  const rawSeen = createOffsetTimeline();
  const loadBefore = loadAverage();
  const fold = await startFold(topic);
  const stopPolling = startPolling(topic, liveSeen, progressSeen);
  const raw = kafka.consumer({ groupId: groupId('raw-fresh'), maxWaitTimeInMs: 250 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const closeAll = () =>
    Promise.allSettled([stopPolling(), producer.disconnect(), raw.disconnect(), fold.stop()]);
  try {
    await raw.connect();
    await raw.subscribe({ topics: [topic], fromBeginning: true });
    await raw.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) =>
        rawSeen.observe(String(batch.partition), Number(batch.lastOffset()), performance.now()),
    });
    await producer.connect();
    let produced = 0;
    const send = (count: number, at: number, partitionOf: (i: number) => number): Sent => {
      const events = Array.from({ length: count }, (_, k) =>
        generateEvent(`${run}f`, produced + k, Date.now(), WITH_IDS),
      );
      const partitions = events.map((_, k) => partitionOf(produced + k));
      produced += count;
      const metadata = producer.send({
        topic,
        acks: -1,
        messages: events.map((e, k) => ({
          ...singleEventMessage(e),
          partition: partitions[k]!,
        })),
      });
      const sent: Sent = { producedAt: at, partitions, names: events.map((e) => e.name), metadata };
      metadata.then(
        () => (sent.ackedAt = performance.now()),
        () => undefined, // awaited with the others below
      );
      return sent;
    };

    // Warm-up: one event per partition, visible everywhere, so the measured window starts joined.
    const warm = send(PARTITIONS, performance.now(), (i) => i % PARTITIONS);
    const warmOffsets = await warm.metadata;
    const deadline = performance.now() + 60_000;
    while (
      !warmOffsets.every(
        (m) =>
          progressSeen.latest(String(m.partition)) >= Number(m.baseOffset) &&
          rawSeen.latest(String(m.partition)) >= Number(m.baseOffset),
      )
    ) {
      if (performance.now() > deadline) throw new Error('the warm-up events never became visible');
      await sleep(5);
    }

    say(`  producing ${formatCount(FRESH_RATE)} events/s for ${FRESH_SECONDS} s`);
    const enginesBefore = await engineCpu();
    const cpuBefore = fold.usage().cpuSeconds;
    const sends: Sent[] = [];
    const start = performance.now();
    const firstMeasured = produced;
    for (let now = start; now - start < FRESH_SECONDS * 1000; now = performance.now()) {
      const due = Math.floor(((now - start) * FRESH_RATE) / 1000) - (produced - firstMeasured);
      // A stalled tick (a busy machine) catches up in several sends: Kafka takes 1 MB per batch.
      for (let left = due; left > 0; left -= MAX_SEND)
        sends.push(send(Math.min(left, MAX_SEND), now, (i) => i % PARTITIONS));
      await sleep(TICK_MS);
    }
    const seconds = (performance.now() - start) / 1000;
    const metadata = await Promise.all(sends.map((s) => s.metadata));
    const ends = new Map<number, number>();
    metadata.forEach((replies, i) => {
      for (const m of replies) {
        const count = sends[i]!.partitions.filter((p) => p === m.partition).length;
        ends.set(
          m.partition,
          Math.max(ends.get(m.partition) ?? -1, Number(m.baseOffset) + count - 1),
        );
      }
    });
    const settle = performance.now() + DONE_TIMEOUT_MS;
    while (![...ends].every(([p, last]) => progressSeen.latest(String(p)) >= last)) {
      if (performance.now() > settle)
        throw new Error('the freshness events never all became visible');
      await sleep(5);
    }
    const usage = fold.usage();
    const engines = cpuSince(enginesBefore, await engineCpu());
    const busySeconds = (performance.now() - start) / 1000;

    const latencies = {
      live: [] as number[],
      progress: [] as number[],
      raw: [] as number[],
      acked: [] as number[],
    };
    sends.forEach((sent, i) => {
      const baseOffsets = new Map(metadata[i]!.map((m) => [m.partition, Number(m.baseOffset)]));
      const next = new Map<number, number>();
      sent.partitions.forEach((partition, k) => {
        const offset = baseOffsets.get(partition)! + (next.get(partition) ?? 0);
        next.set(partition, (next.get(partition) ?? 0) + 1);
        const since = (at: number | undefined) =>
          at === undefined ? Infinity : at - sent.producedAt;
        latencies.live.push(since(liveSeen.firstAt(`${sent.names[k]}|${partition}`, offset)));
        latencies.progress.push(since(progressSeen.firstAt(String(partition), offset)));
        latencies.raw.push(since(rawSeen.firstAt(String(partition), offset)));
        latencies.acked.push(since(sent.ackedAt));
      });
    });
    for (const list of Object.values(latencies)) list.sort((a, b) => a - b);
    return {
      events: produced - firstMeasured,
      seconds,
      ...latencies,
      foldCores: (usage.cpuSeconds - cpuBefore) / busySeconds,
      peakRssBytes: usage.peakRssBytes,
      idleRssBytes: fold.idle.rssBytes,
      engines,
      loads: [loadBefore, loadAverage()],
      problems: fold.problems,
    };
  } finally {
    await closeAll();
  }
}

const rate = (n: number, seconds: number) => formatCount(n / seconds);
const ms = (sorted: number[], q: number) => percentile(sorted, q).toFixed(1);
const micros = (cpuSeconds: number, n: number) => ((cpuSeconds * 1e6) / n).toFixed(2);

async function main(): Promise<void> {
  say(
    `run ${run}: ${formatCount(EVENTS)} events per throughput topic, freshness ${formatCount(FRESH_RATE)}/s for ${FRESH_SECONDS} s, load ${loadAverage()}`,
  );
  await createMigrator({ client: clickhouse, database }).apply();
  await log.ensureTopics(
    Object.values(topics).flatMap((t) => [t, `${t}.dlq`]),
    PARTITIONS,
  );
  const rows: string[][] = [];
  const engineRows: string[][] = [];
  const loads: string[] = [];
  const problems: string[] = [];
  const engineRow = (what: string, cpu: EngineCpu, seconds: number, events: number) => {
    const calls = [...cpu.redisCalls].sort((a, b) => b[1].usec - a[1].usec);
    const sum = (key: 'calls' | 'usec') => calls.reduce((total, [, c]) => total + c[key], 0);
    engineRows.push([
      what,
      ...[cpu.kafka, cpu.clickhouse, cpu.redis].map(
        (c) => `${c.toFixed(1)} s (${(c / seconds).toFixed(2)})`,
      ),
      `${(sum('calls') / events).toFixed(2)} / ${(sum('usec') / events).toFixed(1)} µs: ${calls
        .slice(0, 4)
        .map(
          ([name, c]) =>
            `${name} ${(c.calls / events).toFixed(2)} / ${(c.usec / events).toFixed(1)} µs`,
        )
        .join(', ')}`,
    ]);
  };

  if (PHASES.has('single')) {
    const startMs = Date.now();
    await fill(topics.single, singleMessages());
    say('phase 1: raw kafkajs baseline on the one-event topic');
    const raw = await bestRaw(topics.single, EVENTS);
    say('phase 2: the fold on the one-event topic');
    const fold = await foldAll(topics.single);
    say(
      `  ${rate(EVENTS, fold.seconds)} events/s; ${await verify(topics.single, EVENTS, startMs)}`,
    );
    const rawRate = EVENTS / raw.fromStartSeconds;
    rows.push(
      [
        'one-event messages: start → both sinks hold all (events/s)',
        rate(EVENTS, fold.seconds),
        `${formatCount(rawRate)} raw kafkajs records/s`,
        (EVENTS / fold.seconds / rawRate).toFixed(2),
        '≥ 0.7',
      ],
      [
        '  same, steady: records after the first batch / time since',
        formatCount(fold.steadyRecordsPerSecond),
        `${formatCount(raw.steadyRecordsPerSecond)} raw`,
        (fold.steadyRecordsPerSecond / raw.steadyRecordsPerSecond).toFixed(2),
        '',
      ],
      [
        '  fold CPU per event (µs)',
        micros(fold.cpuSeconds, EVENTS),
        `${micros(raw.cpuSeconds, EVENTS)} raw kafkajs per record`,
        (fold.cpuSeconds / raw.cpuSeconds).toFixed(1),
        '',
      ],
      [
        '  fold RSS peak',
        formatMiB(fold.peakRssBytes),
        `${formatMiB(fold.idleRssBytes)} fold idle`,
        '',
        '',
      ],
    );
    engineRow('one-event topic', fold.engines, fold.seconds, EVENTS);
    loads.push(`one-event ${fold.loads.join(' → ')}`);
    problems.push(...fold.problems);
  }

  if (PHASES.has('batched')) {
    const startMs = Date.now();
    const messages = arrayMessages();
    await fill(topics.batched, messages);
    say('phase 3: raw kafkajs baseline and the fold on the array topic');
    const raw = await bestRaw(topics.batched, messages.length);
    const fold = await foldAll(topics.batched);
    say(
      `  ${rate(EVENTS, fold.seconds)} events/s; ${await verify(topics.batched, EVENTS, startMs)}`,
    );
    rows.push(
      [
        `array messages (${formatCount(EVENTS / messages.length)} events each on average): start → both sinks (events/s)`,
        rate(EVENTS, fold.seconds),
        `${rate(messages.length, raw.fromStartSeconds)} raw kafkajs records/s = ${rate(EVENTS, raw.fromStartSeconds)} events/s`,
        (raw.fromStartSeconds / fold.seconds).toFixed(2),
        '≥ 200,000 events/s',
      ],
      [
        '  same, steady: after the first batch (events/s)',
        formatCount((fold.steadyRecordsPerSecond * EVENTS) / messages.length),
        '',
        '',
        '',
      ],
      ['  fold CPU per event (µs)', micros(fold.cpuSeconds, EVENTS), '', '', ''],
      [
        '  fold RSS peak',
        formatMiB(fold.peakRssBytes),
        `${formatMiB(fold.idleRssBytes)} fold idle`,
        '',
        '',
      ],
    );
    engineRow('array topic', fold.engines, fold.seconds, EVENTS);
    loads.push(`array ${fold.loads.join(' → ')}`);
    problems.push(...fold.problems);
  }

  if (PHASES.has('fresh')) {
    const startMs = Date.now();
    say('phase 4: freshness');
    const f = await freshness();
    say(
      `  ${rate(f.events, f.seconds)} events/s produced; ${await verify(topics.fresh, f.events + PARTITIONS, startMs)}`,
    );
    for (const [q, label] of [
      [0.5, 'p50'],
      [0.95, 'p95'],
      [0.99, 'p99'],
    ] as const)
      rows.push([
        `freshness at ${rate(f.events, f.seconds)} events/s: produce → counted in Redis, ${label} (ms)`,
        ms(f.live, q),
        `${ms(f.raw, q)} raw kafkajs consumer receives it`,
        '',
        label === 'p99' ? '≤ 50 ms' : '',
      ]);
    rows.push(
      [
        '  produce → fold progress / change feed, p50 / p95 / p99 (ms)',
        `${ms(f.progress, 0.5)} / ${ms(f.progress, 0.95)} / ${ms(f.progress, 0.99)}`,
        '',
        '',
        '',
      ],
      [
        '  produce → Kafka acknowledged the send, p50 / p95 / p99 (ms)',
        `${ms(f.acked, 0.5)} / ${ms(f.acked, 0.95)} / ${ms(f.acked, 0.99)}`,
        '',
        '',
        '',
      ],
      [
        '  max: counted in Redis / progress / raw (ms)',
        `${ms(f.live, 1)} / ${ms(f.progress, 1)}`,
        `${ms(f.raw, 1)}`,
        '',
        '',
      ],
      ['  fold CPU while keeping up (cores)', f.foldCores.toFixed(2), '', '', ''],
      [
        '  fold RSS peak',
        formatMiB(f.peakRssBytes),
        `${formatMiB(f.idleRssBytes)} fold idle`,
        '',
        '',
      ],
    );
    engineRow('freshness', f.engines, f.seconds, f.events);
    loads.push(`freshness ${f.loads.join(' → ')}`);
    problems.push(...f.problems);
  }

  console.log(
    `\n### Pipeline: ${formatCount(EVENTS)} events per throughput topic, ${WITH_IDS ? 'with' : 'without'} ` +
      `producer ids, ${PARTITIONS} partitions, the fold (consumers/fold.ts) in a child process\n`,
  );
  console.log(
    markdownTable(['measure', 'pipeline', 'baseline', 'ratio', 'target'], rows, new Set([1, 3])),
  );
  console.log(
    '\nEngine CPU over each fold phase (CPU-seconds, and cores on average) and Redis commands ' +
      '(server-wide counts: this machine and its Redis are shared, others add noise):\n',
  );
  console.log(
    markdownTable(
      [
        'phase',
        'Kafka',
        'ClickHouse',
        'Redis',
        'Redis commands / Redis time per event: all, the costliest',
      ],
      engineRows,
    ),
  );
  console.log(`\nLoad average (1 min) before → after: ${loads.join('; ')}; 2 cores.`);
  if (problems.length > 0)
    console.log(`\nThe fold logged (warn and above):\n${summarise(problems)}`);
}

/** Log lines grouped by message (and error), with their count. */
function summarise(lines: string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; error?: string; err?: { message?: string } };
    const what = [entry.msg, entry.error ?? entry.err?.message].filter(Boolean).join(': ');
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => `- ${n} × ${what}`).join('\n');
}

async function cleanUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin
    .deleteTopics({ topics: [...existing].filter((t) => t.startsWith(`${base}.`)) })
    .catch(() => undefined);
  const ours = (await admin.listGroups()).groups
    .map((g) => g.groupId)
    .filter((g) => g.startsWith(`${base}.`));
  if (ours.length > 0) await admin.deleteGroups(ours).catch(() => undefined);
  await admin.disconnect();
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (found.length > 0) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== '0');
}

try {
  await main();
} finally {
  await Promise.all([...folds].map((fold) => fold.stop()));
  if (args.keep) say(`kept topics ${base}.*, database ${database}, Redis keys ${prefix}:*`);
  else await cleanUp();
  await log.close();
  await clickhouse.close();
  redis.disconnect();
}
