// The GraphQL API on the real engines, each figure next to its baseline measured in the same run.
//   npm run bench:api -- [--quick] [--seconds S] [--connections C] [--subscribers 1000,5000,10000]
//                        [--rate R] [--profile DIR] [--keep]
// --quick          5 s per HTTP run and 8 s per fan-out level (default 20 s and 20 s)
// --connections C  wrk's keep-alive connections (default 32)
// --subscribers    the fan-out levels, subscribers on one API process (default 1000,5000,10000)
// --rate R         events per second produced straight to Kafka throughout (default 10 000)
// --phases         http,fanout (default both)
// --profile DIR    every API child runs with `node --cpu-prof`, profiles land in DIR
//                  (summarise one: npx tsx bench/support/profile-summary.ts DIR/<file>)
// --keep           leave the topic, database and keys for a look afterwards
// Addresses: KAFKA_BROKERS, REDIS_URL, CLICKHOUSE_URL, else .stack/env (npm run stack:up).
//
// The service runs as it does in production, in child processes on the real engines with API keys
// (NODE_ENV=production): the fold (consumers/fold.ts) and the API (src/main.ts, ROLE=api), under a
// ClickHouse database, topic, consumer group and Redis prefix of this run (removed at the end). The
// rate limit is raised out of the way: it would otherwise be what is measured.
// Events go STRAIGHT TO KAFKA from this process, not through the ingest mutation, so the API process
// serves only what is measured: every 10 ms JSON-array messages of the events due (~100,
// ~50% page_view). Arrays keep the fold (sharing the 2 cores) caught up, so `live` changes every
// second; one event per message at 10 000/s left it minutes behind on a loaded machine.
// 1. HTTP: wrk (Debian's package, installed when missing) POSTs one operation over keep-alive
//    connections for S seconds: `{ __typename }` (the baseline: auth, parse, validate, execute
//    of the same server, no store), then `live` of page_view over 1m (one Redis read per request,
//    freshness cached 250 ms), then the same grouped by country (20 groups).
// 2. Fan-out: for each level, a fresh API process and child processes holding one graphql-ws
//    socket per subscriber (at most 2 000 per process), each subscribed to `live` of page_view, 1m,
//    every 1s. Push lag = a frame's arrival minus the tick that computed it (the API ticks on whole
//    seconds, and the frame's windowEnd is its tick + 1 s; same clock on one machine). Baseline:
//    the lag of the first frame of each tick to arrive anywhere (compute + first write).
import { parseArgs } from 'node:util';
import {
  checkOpenFileLimit,
  createApiBench,
  type FanOutRow,
  type HttpRow,
} from './support/api-bench.js';
import { formatCount, formatMiB, percentile } from './support/stats.js';
import { markdownTable } from './support/table.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    subscribers: { type: 'string', default: '1000,5000,10000' },
    rate: { type: 'string', default: '10000' },
    phases: { type: 'string', default: 'http,fanout' },
    profile: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds ?? (args.quick ? 5 : 20));
const FANOUT_SECONDS = args.quick ? 8 : 20;
const CONNECTIONS = Number(args.connections);
const LEVELS = args.subscribers.split(',').map(Number);
const RATE = Number(args.rate);
const PHASES = new Set(args.phases.split(','));
const say = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const bench = createApiBench({
  rate: RATE,
  say,
  ...(args.profile ? { profile: args.profile } : {}),
});

const ms = (value: number) => value.toFixed(1);

function report(http: HttpRow[], fanOut: FanOutRow[], producedPerSecond: number) {
  console.log(
    `\n### GraphQL API on the real engines, ${formatCount(producedPerSecond)} events/s produced straight to Kafka throughout\n`,
  );
  const baseline = http[0]!;
  const rps = (row: HttpRow) => row.result.requests / row.result.seconds;
  const rows: string[][] = http.slice(1).flatMap((row) => [
    [
      `HTTP ${row.name}: throughput (req/s), ${CONNECTIONS} keep-alive connections`,
      formatCount(rps(row)),
      `${formatCount(rps(baseline))} \`{ __typename }\``,
      (rps(row) / rps(baseline)).toFixed(2),
      '≥ 3,000',
    ],
    [
      '  latency p50 / p99 (ms)',
      `${ms(row.result.p50)} / ${ms(row.result.p99)}`,
      `${ms(baseline.result.p50)} / ${ms(baseline.result.p99)}`,
      '',
      'p99 ≤ 50',
    ],
    [
      '  failed responses / API CPU (cores) / fold lag max (ms) / load',
      `${row.result.failed} / ${row.apiCores.toFixed(2)} / ${row.foldLagMs} / ${row.load}`,
      `${baseline.result.failed} / ${baseline.apiCores.toFixed(2)} / ${baseline.foldLagMs} / ${baseline.load}`,
      '',
      '',
    ],
  ]);
  for (const level of fanOut)
    rows.push(
      [
        `${formatCount(level.subscribers)} graphql-ws subscribers of \`live\` every 1s: push lag p50 / p99 (ms)`,
        `${ms(percentile(level.lags, 0.5))} / ${ms(percentile(level.lags, 0.99))}`,
        `${ms(percentile(level.firstLags, 0.5))} / ${ms(percentile(level.firstLags, 0.99))} first frame of a tick`,
        '',
        level.subscribers >= 10_000 ? 'p99 ≤ 250' : '',
      ],
      [
        '  max lag (ms) / frames received of expected',
        `${ms(percentile(level.lags, 1))} / ${formatCount(level.frames)} of ${formatCount(level.expected)}`,
        '',
        '',
        '',
      ],
      [
        '  API RSS now / peak; CPU (cores)',
        `${formatMiB(level.rss)} / ${formatMiB(level.peakRss)}; ${level.apiCores.toFixed(2)}`,
        `${formatMiB(level.idleRss)} API idle`,
        '',
        '',
      ],
      [
        '  subscribed in (s) / clients CPU (cores) / fold lag max (ms) / load',
        `${level.connectSeconds.toFixed(1)} / ${level.clientCores.toFixed(2)} / ${level.foldLagMs} / ${level.load}`,
        '',
        '',
        '',
      ],
    );
  console.log(
    markdownTable(['measure', 'API', 'baseline', 'ratio', 'target'], rows, new Set([1, 3])),
  );
  const problems = fanOut.filter((l) => l.lost > 0 || l.failedToConnect > 0 || l.errors.length);
  for (const l of problems)
    console.log(
      `\n${l.subscribers} subscribers: ${l.failedToConnect} failed to connect, ${l.lost} lost; ${l.errors.slice(0, 3).join('; ')}`,
    );
}

async function main(): Promise<void> {
  if (PHASES.has('fanout')) checkOpenFileLimit(Math.max(...LEVELS));
  await bench.start();
  const http = PHASES.has('http') ? await bench.http(SECONDS, CONNECTIONS) : [];
  const fanOut: FanOutRow[] = [];
  if (PHASES.has('fanout'))
    for (const level of LEVELS) {
      say(`fan-out: ${formatCount(level)} subscribers`);
      const row = await bench.fanOut(level, FANOUT_SECONDS);
      say(
        `  push lag p50 ${ms(percentile(row.lags, 0.5))} ms, p99 ${ms(percentile(row.lags, 0.99))} ms, ${formatCount(row.frames)} of ${formatCount(row.expected)} frames; API ${row.apiCores.toFixed(2)} cores, RSS ${formatMiB(row.rss)}; fold lag ≤ ${row.foldLagMs} ms; load ${row.load}`,
      );
      fanOut.push(row);
    }
  report(http, fanOut, bench.producedPerSecond());
  if (bench.problems.length > 0)
    console.log(
      `\nThe service logged ${bench.problems.length} warnings, first: ${bench.problems[0]}`,
    );
}

try {
  await main();
} finally {
  await bench.close(args.keep);
}
