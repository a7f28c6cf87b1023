// Peers doing the same job (issue 6, scenario 6): this service, ClickHouse alone (Kafka engine →
// materialized view → AggregatingMergeTree) and Spark Structured Streaming writing to Redis, on the
// same generated events and windows: count, sum and uniques per event name and per dimension value
// over 1-minute and 10-second tumbling event-time windows.
//   npx tsx bench/peers/index.ts [--events N] [--quick] [--rate R] [--windows W] [--only a,b]
// --events N   events of the throughput topic (default 300 000; --quick: 100 000)
// --rate R     offered events/s of the latency runs (default 2 000: what Spark keeps up with here)
// --windows W  measured 10 s windows per latency run (default 6; --quick: 3)
// --only       systems to run (pulsegraph, clickhouse-kafka-engine, spark-structured-streaming)
// --keep       leave the run's topics, database and Redis keys for a look afterwards
// Addresses: KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL, else .stack/env (npm run stack:up).
//
// Each system runs alone in turn (2 cores: side by side they would measure each other):
// 1. throughput: one topic (4 partitions) filled with the events beforehand, read by each system
//    from its start; events/s from its consumer starting (engines and job up, start-up not counted)
//    until its sink holds every event (its own progress record: the fold's progress, Spark's
//    committed micro-batches, the rollup's count); then every series of every window in its sink
//    is compared with the counts computed here from the generated events;
// 2. latency: a topic of its own, the same sequence of events produced at a steady rate stamped
//    with the wall clock; for each 10 s window after a 30 s warm-up, the time from the window's
//    end until a reader of its sink sees the window's final count (Redis for this service's live
//    windows and for Spark, the AggregatingMergeTree for ClickHouse), p50/p99 over the windows.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { loadAverage } from '../support/proc.js';
import { createBenchWorkspace } from '../support/workspace.js';
import { formatCount, percentile } from '../support/stats.js';
import { markdownTable } from '../support/table.js';
import { createClickHouseKafkaPeer } from './clickhouse-kafka.js';
import { measureLatency, measureThroughput } from './measure.js';
import type { PeerContext, PeerSystem } from './peer.js';
import { createPulsegraphPeer } from './pulsegraph.js';
import { createSparkPeer } from './spark.js';
import { fillThroughputTopic } from './workload.js';

export interface PeerResult {
  system: string; // 'pulsegraph' | 'clickhouse-kafka-engine' | 'spark-structured-streaming'
  events: number; // events offered
  eventsPerSecond: number | null; // sustained throughput, null when it could not run
  windowLatencyMs: { p50: number; p99: number } | null; // window close -> final result visible
  countsMatch: boolean | null; // its per-window counts equal the ground truth
  note?: string; // why null / what limited it
}

export interface PeerOptions {
  events: number;
  quick: boolean;
  log: (line: string) => void;
  /** Offered events/s of the latency runs (default 2 000: what Spark keeps up with here). */
  latencyRate?: number;
  /** Measured 10 s windows per latency run (default 6; quick 3). */
  latencyWindows?: number;
  /** Only these systems (default all three). */
  only?: string[];
  /** Leave the run's topics, database and Redis keys for a look afterwards. */
  keep?: boolean;
}

const PARTITIONS = 4;
/** A system slower than 2,000 events/s (after two minutes of grace) is reported as not finishing. */
const throughputTimeoutMs = (events: number) => 120_000 + events / 2;
const SETTLE_MS = 60_000;
/**
 * Produced before the first measured window: a JVM's first micro-batches compile and warm up
 * (20-40 s for Spark's first two here, 10 s for the next, larger one).
 */
const WARMUP_SECONDS = 30;

export async function runPeers(options: PeerOptions): Promise<PeerResult[]> {
  const workspace = createBenchWorkspace('peers', { say: options.log });
  const { env, run, kafkaPrefix, database, log } = workspace;
  const redis = new Redis(env.REDIS_URL);
  const context: PeerContext = {
    env,
    brokers: workspace.brokers,
    kafkaPrefix,
    redisPrefix: workspace.redisPrefix,
    redis,
    clickhouse: workspace.clickhouse,
    partitions: PARTITIONS,
    log: options.log,
  };
  const systems: PeerSystem[] = [
    createPulsegraphPeer(context, database),
    createClickHouseKafkaPeer(context, database),
    createSparkPeer(context),
  ].filter((s) => !options.only || options.only.includes(s.system));
  const rate = options.latencyRate ?? 2_000;
  const windows = options.latencyWindows ?? (options.quick ? 3 : 6);
  const throughputTopic = `${kafkaPrefix}.all`;
  const latencyTopic = (system: string) => `${kafkaPrefix}.fresh.${system}`;

  try {
    await createMigrator({ client: workspace.clickhouse, database }).apply();
    await log.ensureTopics(
      [throughputTopic, ...systems.map((s) => latencyTopic(s.system))].flatMap((t) => [
        t,
        `${t}.dlq`,
      ]),
      PARTITIONS,
    );
    options.log(
      `peers ${run}: filling ${throughputTopic} with ${formatCount(options.events)} events`,
    );
    const workload = await fillThroughputTopic(log, throughputTopic, `${run}t`, options.events);

    const results: PeerResult[] = [];
    for (const system of systems) {
      const notes: string[] = [];
      const result: PeerResult = {
        system: system.system,
        events: options.events,
        eventsPerSecond: null,
        windowLatencyMs: null,
        countsMatch: null,
      };
      const loadBefore = loadAverage();
      const measured = { throughputNotes: [] as string[] };
      try {
        options.log(`${system.system}: throughput over ${formatCount(options.events)} events`);
        const throughput = await measureThroughput(
          system,
          throughputTopic,
          workload,
          throughputTimeoutMs(options.events),
        );
        result.eventsPerSecond = throughput.eventsPerSecond;
        measured.throughputNotes = throughput.notes;
        notes.push(...throughput.notes.map((n) => `throughput run: ${n}`));
        if (throughput.eventsPerSecond !== null) {
          result.countsMatch = throughput.differences.length === 0;
          options.log(
            `  ${formatCount(throughput.eventsPerSecond)} events/s; ${throughput.differences.length} series differ from the truth`,
          );
          if (throughput.differences.length > 0)
            notes.push(
              `${throughput.differences.length} window series differ (got / expected), e.g. ${throughput.differences.slice(0, 3).join('; ')}`,
            );
        }

        options.log(
          `${system.system}: latency at ${formatCount(rate)} events/s, ${windows} windows`,
        );
        const latency = await measureLatency(system, {
          log,
          topic: latencyTopic(system.system),
          run: `${run}f`,
          firstIndex: 0,
          eventsPerSecond: rate,
          warmupSeconds: WARMUP_SECONDS,
          windows,
          settleMs: SETTLE_MS,
        });
        // Notes that say the same in both runs (how the system is set up) are given once.
        const throughputNotes = new Set(measured.throughputNotes);
        notes.push(
          ...latency.notes.filter((n) => !throughputNotes.has(n)).map((n) => `latency run: ${n}`),
        );
        if (latency.latencies.length > 0)
          result.windowLatencyMs = {
            p50: percentile(latency.latencies, 0.5),
            p99: percentile(latency.latencies, 0.99),
          };
        options.log(
          `  window end → visible (ms): ${latency.latencies.map((l) => l.toFixed(0)).join(', ')}`,
        );
        if (latency.wrong.length > 0) {
          result.countsMatch = false;
          notes.push(
            `${latency.wrong.length} of ${latency.windows.length} 10 s windows never showed their count within ${SETTLE_MS / 1000} s (seen / produced): ${latency.wrong.join('; ')}`,
          );
        }
      } catch (error) {
        notes.push(`failed: ${(error as Error).message.split('\n').slice(0, 6).join(' ')}`);
        options.log(`  ${system.system} failed: ${(error as Error).stack ?? String(error)}`);
      }
      notes.push(`load average (1 min) ${loadBefore} → ${loadAverage()} on 2 cores`);
      result.note = notes.join('; ');
      results.push(result);
    }
    return results;
  } finally {
    redis.disconnect();
    await workspace.close(options.keep ?? false);
  }
}

/** The results as a Markdown table. */
export function peersTable(results: PeerResult[]): string {
  const ms = (n: number) => formatCount(n);
  return markdownTable(
    [
      'system',
      'events',
      'events/s',
      '10 s window end → visible p50 / p99 (ms)',
      'counts match',
      'note',
    ],
    results.map((r) => [
      r.system,
      formatCount(r.events),
      r.eventsPerSecond === null ? '–' : formatCount(r.eventsPerSecond),
      r.windowLatencyMs ? `${ms(r.windowLatencyMs.p50)} / ${ms(r.windowLatencyMs.p99)}` : '–',
      r.countsMatch === null ? '–' : r.countsMatch ? 'yes' : 'no',
      r.note ?? '',
    ]),
    new Set([1, 2, 3]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string' },
      quick: { type: 'boolean', default: false },
      rate: { type: 'string' },
      windows: { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const quick = args.quick;
  const results = await runPeers({
    events: Number(args.events ?? (quick ? 100_000 : 300_000)),
    quick,
    log: (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
    ...(args.rate ? { latencyRate: Number(args.rate) } : {}),
    ...(args.windows ? { latencyWindows: Number(args.windows) } : {}),
    ...(args.only ? { only: args.only.split(',') } : {}),
    keep: args.keep,
  });
  console.log(`\n### Peers doing the same job\n\n${peersTable(results)}`);
}
