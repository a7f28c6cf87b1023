// The pipeline's measurements on the real engines (see bench/pipeline.ts for what each one means):
// Kafka -> the fold (consumers/fold.ts in a child process) -> Redis live windows + ClickHouse
// history, each against its raw kafkajs baseline. Every measurement runs on a topic of its own
// (4 partitions), all sharing one ClickHouse database and Redis prefix of the bench's run.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { RecordMetadata } from 'kafkajs';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { createRedisFoldProgress } from '../../src/adapters/redis/fold-progress.js';
import { liveKeys } from '../../src/adapters/redis/live-keys.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import { redisKey } from '../../src/adapters/redis/keys.js';
import type { LogMessage } from '../../src/ports/event-log.js';
import {
  arrayMessage,
  EVENT_NAMES,
  generateEvent,
  singleEventMessage,
  TENANT,
  type GeneratedEvent,
} from './events.js';
import { startFoldProcess, type FoldProcess } from './fold-process.js';
import { foreignMapping, foreignMessage, writeMappingsFile } from './mapped-events.js';
import { loadAverage, processUsage } from './proc.js';
import { rawConsume, type RawConsumeResult } from './raw-consume.js';
import { stackPid } from './stack-env.js';
import { redisCommandStats, redisCpuSeconds } from './redis-info.js';
import { formatCount } from './stats.js';
import { createOffsetTimeline, type OffsetTimeline } from './timeline.js';
import { createBenchWorkspace } from './workspace.js';

export const PARTITIONS = 4;
/** Produce ticks of the freshness phase: each sends the events that fell due since the last. */
const TICK_MS = 5;
const MAX_SEND = 1000;
const NAMES = [...new Set(EVENT_NAMES)];
const DONE_TIMEOUT_MS = 600_000;

/** The engines' CPU time and, from INFO commandstats, the Redis commands run (by name). */
export interface EngineCpu {
  kafka: number;
  clickhouse: number;
  redis: number;
  /** Per command: calls and the microseconds Redis spent in them. */
  redisCalls: Map<string, { calls: number; usec: number }>;
}

export interface FoldRun {
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

export interface Freshness {
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

export interface PipelineBenchOptions {
  /** Events per throughput topic. */
  events: number;
  /** Events carry ids (else the fold derives them from log positions, no id claims). */
  withIds: boolean;
  say: (line: string) => void;
  /** The fold children run with `node --cpu-prof`, profiles land here. */
  profile?: string;
  /** NAME=VALUE settings for the fold children on top of the run's. */
  foldEnv?: string[];
  /** Another checkout whose consumers/fold.ts runs. */
  foldRoot?: string;
  /** Append the fold children's output to this file. */
  foldLog?: string;
  foldNodeArgs?: string[];
}

/** A throughput measurement: a filled topic, read by raw kafkajs, then folded. */
export interface ThroughputRun {
  events: number;
  messages: number;
  raw: RawConsumeResult;
  fold: FoldRun;
  /** What both sinks held at the end (they must hold every event). */
  verified: string;
}

export interface PipelineBench {
  /** Creates the run's ClickHouse database. */
  setUp(): Promise<void>;
  /** `events` (default: the options') in one-event messages or JSON arrays of 100-500 events. */
  /** `mapped`: one-event messages in a foreign shape, read through a topic mapping. */
  throughput(kind: 'single' | 'batched' | 'mapped', events?: number): Promise<ThroughputRun>;
  /** Events produced at `rate` per second for `seconds`, one per message: produce -> visible. */
  freshness(rate: number, seconds: number): Promise<Freshness & { verified: string }>;
  /** Stops any fold child left, removes the run's topics, database and keys unless `keep`. */
  close(keep: boolean): Promise<void>;
}

export function createPipelineBench(options: PipelineBenchOptions): PipelineBench {
  const EVENTS = options.events;
  const WITH_IDS = options.withIds;
  const say = options.say;
  const workspace = createBenchWorkspace('pipeline', { say });
  const { env, brokers, run, database, clickhouse, kafka, log } = workspace;
  const base = workspace.kafkaPrefix;
  const prefix = workspace.redisPrefix;
  const redis = new Redis(env.REDIS_URL);
  const progress = createRedisFoldProgress({ redis, prefix });
  const live = createRedisLiveWindows({ redis, prefix, horizonMs: 3_900_000 });
  const keys = liveKeys(prefix);
  let groups = 0;
  const groupId = (what: string) => `${base}.${what}.${groups++}`;
  let topicCount = 0;
  /** A topic (and its dead-letter topic) of its own for one measurement. */
  const newTopic = async (what: string) => {
    const topic = `${base}.${what}.${topicCount++}`;
    await log.ensureTopics([topic, `${topic}.dlq`], PARTITIONS);
    return topic;
  };

  async function engineCpu(): Promise<EngineCpu> {
    const [redisCpu, redisCalls] = await Promise.all([
      redisCpuSeconds(redis),
      redisCommandStats(redis),
    ]);
    const cpuOf = (file: string) => {
      const pid = stackPid(file);
      return pid === null ? NaN : processUsage(pid).cpuSeconds;
    };
    return {
      kafka: cpuOf('kafka/kafka.pid'),
      clickhouse: cpuOf('clickhouse/clickhouse.pid'),
      redis: redisCpu,
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

  /** `settings` on top of the run's: a mapped topic's fold reads it through its mappings file. */
  async function startFold(
    topic: string,
    settings: Record<string, string> = {},
  ): Promise<FoldProcess> {
    if (options.profile) mkdirSync(options.profile, { recursive: true });
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
        ...settings,
        ...Object.fromEntries(
          (options.foldEnv ?? []).map((setting) => {
            const eq = setting.indexOf('=');
            return [setting.slice(0, eq), setting.slice(eq + 1)];
          }),
        ),
      },
      ...(options.profile ? { cpuProfileDir: options.profile } : {}),
      ...(options.foldRoot ? { root: options.foldRoot } : {}),
      ...(options.foldLog ? { logFile: options.foldLog } : {}),
      nodeArgs: options.foldNodeArgs ?? [],
    });
    folds.add(fold);
    return fold;
  }

  /**
   * A mapped topic's fold: the topic is read through the mappings file, so it is not an ingest
   * topic (the fold's ingest topic is an empty one beside it).
   */
  function mappedFoldSettings(topic: string): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-mappings-'));
    return {
      INGEST_TOPICS: `${topic}.native`,
      TOPIC_MAPPINGS_FILE: writeMappingsFile(dir, foreignMapping(topic, WITH_IDS)),
    };
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

  function singleMessages(
    ids: string,
    count: number,
    toMessage: (event: GeneratedEvent) => LogMessage = singleEventMessage,
  ): LogMessage[] {
    const last = Date.now();
    // Event time spreads over the minute before now, as a busy stream's would.
    return Array.from({ length: count }, (_, i) =>
      toMessage(generateEvent(ids, i, last - 60_000 + Math.floor((i * 60_000) / count), WITH_IDS)),
    );
  }

  function arrayMessages(ids: string, count: number): LogMessage[] {
    const last = Date.now();
    const messages: LogMessage[] = [];
    for (let i = 0; i < count;) {
      const size = Math.min(count - i, 100 + ((i * 7919) % 401));
      const events = Array.from({ length: size }, (_, k) =>
        generateEvent(ids, i + k, last - 60_000 + Math.floor(((i + k) * 60_000) / count), WITH_IDS),
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

  async function progressOffsets(topic: string): Promise<Map<number, number>> {
    const rows = await progress.read([topic]);
    return new Map(rows.map((row) => [row.partition, row.offset]));
  }

  /** Runs a fold process over a filled topic until its progress reaches the topic's end. */
  async function foldAll(topic: string, settings: Record<string, string> = {}): Promise<FoldRun> {
    const ends = await log.endOffsets([topic]);
    const total = ends.reduce((sum, end) => sum + end.offset, 0);
    const loadBefore = loadAverage();
    const enginesBefore = await engineCpu();
    const fold = await startFold(topic, settings);
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
        throw new Error(
          `the fold of ${topic} did not finish in time: ${folded} of ${total} records`,
        );
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
        metric: {
          event,
          aggregate: 'COUNT',
          filter: [{ key: 'topic', in: [topic] }],
          groupBy: null,
        },
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

  async function freshness(
    topic: string,
    rate: number,
    durationSeconds: number,
  ): Promise<Freshness> {
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
          generateEvent(topic, produced + k, Date.now(), WITH_IDS),
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
        const sent: Sent = {
          producedAt: at,
          partitions,
          names: events.map((e) => e.name),
          metadata,
        };
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
        if (performance.now() > deadline)
          throw new Error('the warm-up events never became visible');
        await sleep(5);
      }

      say(`  producing ${formatCount(rate)} events/s for ${durationSeconds} s`);
      const enginesBefore = await engineCpu();
      const cpuBefore = fold.usage().cpuSeconds;
      const sends: Sent[] = [];
      const start = performance.now();
      const firstMeasured = produced;
      for (let now = start; now - start < durationSeconds * 1000; now = performance.now()) {
        const due = Math.floor(((now - start) * rate) / 1000) - (produced - firstMeasured);
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
  return {
    async setUp() {
      say(`pipeline run ${run}: database ${database}, topics ${base}.*, load ${loadAverage()}`);
      await createMigrator({ client: clickhouse, database }).apply();
    },
    async throughput(kind, events = EVENTS) {
      const topic = await newTopic(kind);
      const startMs = Date.now();
      const messages =
        kind === 'single'
          ? singleMessages(topic, events)
          : kind === 'mapped'
            ? singleMessages(topic, events, foreignMessage)
            : arrayMessages(topic, events);
      await fill(topic, messages);
      const raw = await bestRaw(topic, messages.length);
      const fold = await foldAll(topic, kind === 'mapped' ? mappedFoldSettings(topic) : {});
      const verified = await verify(topic, events, startMs);
      say(`  the fold: ${formatCount(events / fold.seconds)} events/s; ${verified}`);
      return { events, messages: messages.length, raw, fold, verified };
    },
    async freshness(rate, seconds) {
      const topic = await newTopic('fresh');
      const startMs = Date.now();
      const result = await freshness(topic, rate, seconds);
      // The warm-up sent one event per partition before the measured ones.
      const verified = await verify(topic, result.events + PARTITIONS, startMs);
      return { ...result, verified };
    },
    async close(keep) {
      try {
        await Promise.all([...folds].map((fold) => fold.stop()));
      } finally {
        redis.disconnect();
        await workspace.close(keep);
      }
    },
  };
}
