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
import { parseArgs } from 'node:util';
import { summariseLogLines } from './support/log-lines.js';
import { createPipelineBench, PARTITIONS, type EngineCpu } from './support/pipeline-bench.js';
import { loadAverage } from './support/proc.js';
import { formatCount, formatMiB, percentile } from './support/stats.js';
import { markdownTable } from './support/table.js';

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
const say = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const bench = createPipelineBench({
  events: EVENTS,
  withIds: WITH_IDS,
  say,
  foldEnv: args['fold-env'],
  foldNodeArgs: args['fold-node-arg'],
  ...(args.profile ? { profile: args.profile } : {}),
  ...(args['fold-root'] ? { foldRoot: args['fold-root'] } : {}),
  ...(args['fold-log'] ? { foldLog: args['fold-log'] } : {}),
});

const rate = (n: number, seconds: number) => formatCount(n / seconds);
const ms = (sorted: number[], q: number) => percentile(sorted, q).toFixed(1);
const micros = (cpuSeconds: number, n: number) => ((cpuSeconds * 1e6) / n).toFixed(2);

async function main(): Promise<void> {
  say(
    `${formatCount(EVENTS)} events per throughput topic, freshness ${formatCount(FRESH_RATE)}/s for ${FRESH_SECONDS} s, load ${loadAverage()}`,
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
    say('phases 1 and 2: raw kafkajs baseline, then the fold, on a one-event topic');
    const { raw, fold } = await bench.throughput('single');
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
    say('phase 3: raw kafkajs baseline and the fold on an array topic');
    const { raw, fold, messages } = await bench.throughput('batched');
    rows.push(
      [
        `array messages (${formatCount(EVENTS / messages)} events each on average): start → both sinks (events/s)`,
        rate(EVENTS, fold.seconds),
        `${rate(messages, raw.fromStartSeconds)} raw kafkajs records/s = ${rate(EVENTS, raw.fromStartSeconds)} events/s`,
        (raw.fromStartSeconds / fold.seconds).toFixed(2),
        '≥ 200,000 events/s',
      ],
      [
        '  same, steady: after the first batch (events/s)',
        formatCount((fold.steadyRecordsPerSecond * EVENTS) / messages),
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
    say('phase 4: freshness');
    const f = await bench.freshness(FRESH_RATE, FRESH_SECONDS);
    say(`  ${rate(f.events, f.seconds)} events/s produced; ${f.verified}`);
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
    console.log(
      `\nThe fold logged (warn and above):\n${summariseLogLines(problems)
        .map((line) => `- ${line}`)
        .join('\n')}`,
    );
}

try {
  await bench.setUp();
  await main();
} finally {
  await bench.close(args.keep);
}
