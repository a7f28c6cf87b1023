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
//    socket per subscriber (at most 5 000 per process), each subscribed to `live` of page_view, 1m,
//    every 1s. Push lag = a frame's arrival minus the tick that computed it (the API ticks on whole
//    seconds, and the frame's windowEnd is its tick + 1 s; same clock on one machine). Baseline:
//    the lag of the first frame of each tick to arrive anywhere (compute + first write).
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createClient } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { createMigrator } from '../src/adapters/clickhouse/migrate.js';
import { createKafkaEventLog } from '../src/adapters/kafka/event-log.js';
import { hashApiKey } from '../src/api/auth.js';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { arrayMessage, generateEvent, TENANT } from './support/events.js';
import { startFoldProcess, type FoldProcess } from './support/fold-process.js';
import { loadAverage } from './support/proc.js';
import { ROOT, stackEnv } from './support/stack-env.js';
import { formatCount, formatMiB, percentile } from './support/stats.js';
import { markdownTable } from './support/table.js';
import { hardOpenFileLimit, withOpenFileLimit } from './support/ulimit.js';
import { ensureWrk, runWrk, type WrkResult } from './support/wrk.js';
import type { ChildMessage, ParentMessage } from './support/ws-subscribers.js';

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
const SUBSCRIBERS_PER_PROCESS = 5_000;
const PARTITIONS = 4;
const PRODUCE_TICK_MS = 10;
const EVENTS_PER_MESSAGE = 200;

const env = stackEnv();
const brokers = env.KAFKA_BROKERS.split(',');
const run = randomBytes(3).toString('hex');
const topic = `bench.api.${run}.events`;
const database = `bench_api_${run}`;
const prefix = `bapi.${run}`;
const apiKey = `bench-${randomBytes(16).toString('hex')}`;
const say = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

const settings: Record<string, string> = {
  NODE_ENV: 'production',
  // The children's start-up lines (engines ready, listening) are at info.
  LOG_LEVEL: 'info',
  KAFKA_BROKERS: env.KAFKA_BROKERS,
  REDIS_URL: env.REDIS_URL,
  CLICKHOUSE_URL: env.CLICKHOUSE_URL,
  CLICKHOUSE_DATABASE: database,
  REDIS_PREFIX: prefix,
  INGEST_TOPICS: topic,
  DEAD_LETTER_TOPIC: `${topic}.dlq`,
  CONSUMER_GROUP: `bench.api.${run}.fold`,
  TOPIC_PARTITIONS: String(PARTITIONS),
  API_KEYS: `${hashApiKey(apiKey)}:${TENANT}`,
  SERVER_HOST: '127.0.0.1',
  PORT: '0',
  RATE_LIMIT_PER_SECOND: '1000000',
  RATE_LIMIT_BURST: '1000000',
};

const LIVE =
  'live(metric: { event: "page_view" }, window: "1m") { group value windowStart windowEnd }';
const operations = {
  hello: '{ __typename }',
  live: `{ ${LIVE} }`,
  grouped:
    '{ live(metric: { event: "page_view", groupBy: "country" }, window: "1m") { group value windowStart windowEnd } }',
  subscription:
    'subscription { live(metric: { event: "page_view" }, window: "1m", every: "1s") { group value windowStart windowEnd } }',
};

const clickhouse = createClient({ url: env.CLICKHOUSE_URL });
const kafka = new Kafka({ clientId: 'bench-api', brokers, logLevel: logLevel.NOTHING });
const log = createKafkaEventLog({
  brokers,
  clientId: 'bench-api',
  logger: pino({ level: 'silent' }),
});

/**
 * Events at a steady rate straight to Kafka, stamped with the time they are sent: every tick the
 * events due, in arrays of at most EVENTS_PER_MESSAGE (a stalled tick stays under Kafka's
 * message size). A plain producer (acks -1) with sends in flight at once: kafkajs' idempotent
 * producer sends one request at a time, and its queue, not the fold, then delayed the events.
 */
async function startProducing() {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let produced = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let stopped = false;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  const loop = (async () => {
    while (!stopped) {
      const due = Math.floor(((performance.now() - started) * RATE) / 1000) - produced;
      const now = Date.now();
      const messages = [];
      for (let from = 0; from < due; from += EVENTS_PER_MESSAGE)
        messages.push(
          arrayMessage(
            Array.from({ length: Math.min(EVENTS_PER_MESSAGE, due - from) }, (_, k) =>
              generateEvent(run, produced + from + k, now),
            ),
          ),
        );
      if (due > 0) {
        const count = due;
        produced += due;
        const sent = producer
          .send({ topic, acks: -1, messages })
          .then(() => undefined)
          .catch((error: Error) => {
            failed += count;
            firstFailure ??= error.message;
          });
        pending.add(sent);
        void sent.finally(() => pending.delete(sent));
      }
      await sleep(PRODUCE_TICK_MS);
    }
  })();
  return {
    /** Events per second so far. */
    rate: () => (produced * 1000) / (performance.now() - started),
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(pending);
      await producer.disconnect();
      return { produced, failed, firstFailure, seconds: (performance.now() - started) / 1000 };
    },
  };
}

async function post(url: string, query: string): Promise<{ data?: unknown; errors?: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: unknown; errors?: unknown };
}

/** Waits until the fold has made page_views visible to a live query of the API. */
async function waitForLiveData(url: string): Promise<void> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const body = await post(url, operations.live);
    const value = (body.data as { live?: { value: number | null }[] } | undefined)?.live?.[0]
      ?.value;
    if (body.errors) throw new Error(`live query failed: ${JSON.stringify(body.errors)}`);
    if (value && value > 0) return;
    if (performance.now() > deadline) throw new Error('no live data after 120 s');
    await sleep(250);
  }
}

/** Polls the API's freshness once a second: how far the fold is behind while measuring. */
function watchFoldLag(url: string) {
  let maxLagMs = 0;
  let watching = true;
  const loop = (async () => {
    while (watching) {
      const body = await post(url, '{ freshness { lagMs } }');
      const lagMs = (body.data as { freshness: { lagMs: number | null } } | undefined)?.freshness
        .lagMs;
      maxLagMs = Math.max(maxLagMs, lagMs ?? Infinity);
      await sleep(1000);
    }
  })();
  return async () => {
    watching = false;
    await loop;
    return maxLagMs;
  };
}

function startApi(phase: string): Promise<ApiProcess> {
  if (args.profile) mkdirSync(args.profile, { recursive: true });
  return startApiProcess({
    settings,
    ...(args.profile ? { cpuProfileDir: `${args.profile}/${phase}` } : {}),
  });
}

interface HttpRow {
  name: string;
  result: WrkResult;
  apiCores: number;
  load: number;
  foldLagMs: number;
}

async function httpPhase(api: ApiProcess): Promise<HttpRow[]> {
  ensureWrk(say);
  const rows: HttpRow[] = [];
  for (const [name, query] of [
    ['`{ __typename }` (baseline)', operations.hello],
    ['`live` page_view 1m', operations.live],
    ['`live` page_view 1m by country (20 groups)', operations.grouped],
  ] as const) {
    const check = await post(api.url, query);
    if (check.errors || !check.data)
      throw new Error(`${name} does not answer: ${JSON.stringify(check)}`);
    const before = api.usage().cpuSeconds;
    const foldLag = watchFoldLag(api.url);
    const result = await runWrk(
      {
        url: api.url,
        body: JSON.stringify({ query }),
        headers: { Authorization: `Bearer ${apiKey}` },
      },
      { connections: CONNECTIONS, seconds: SECONDS },
    );
    const apiCores = (api.usage().cpuSeconds - before) / result.seconds;
    const load = loadAverage();
    const foldLagMs = await foldLag();
    say(
      `  ${name}: ${formatCount(result.requests / result.seconds)} req/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, ${result.failed} failed, API ${apiCores.toFixed(2)} cores, load ${load}`,
    );
    rows.push({ name, result, apiCores, load, foldLagMs });
  }
  return rows;
}

interface Clients {
  children: ChildProcess[];
  /** Subscribers each child holds. */
  sizes: number[];
  /** Resolves with the next message of every child. */
  next(): Promise<ChildMessage[]>;
  send(message: ParentMessage): void;
  exited: Promise<unknown>;
}

function startClients(count: number): Clients {
  const sizes: number[] = [];
  for (let left = count; left > 0; left -= SUBSCRIBERS_PER_PROCESS)
    sizes.push(Math.min(left, SUBSCRIBERS_PER_PROCESS));
  const inboxes = sizes.map(() => [] as ChildMessage[]);
  const waiters = sizes.map(() => [] as ((message: ChildMessage) => void)[]);
  const children = sizes.map((_, i) => {
    const [command, childArgs] = withOpenFileLimit(process.execPath, [
      '--import',
      'tsx',
      'bench/support/ws-subscribers.ts',
    ]);
    const child = spawn(command, childArgs, {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (message: ChildMessage) => {
      const waiter = waiters[i]!.shift();
      if (waiter) waiter(message);
      else inboxes[i]!.push(message);
    });
    return child;
  });
  const exited = Promise.all(
    children.map((child) => new Promise((resolve) => child.once('exit', resolve))),
  );
  return {
    children,
    exited,
    next: () =>
      Promise.race([
        Promise.all(
          children.map(
            (_, i) =>
              new Promise<ChildMessage>((resolve) => {
                const queued = inboxes[i]!.shift();
                if (queued) resolve(queued);
                else waiters[i]!.push(resolve);
              }),
          ),
        ),
        exited.then(() => {
          throw new Error('a subscriber process exited early');
        }),
      ]),
    sizes,
    send(message) {
      children.forEach((child) => child.send(message));
    },
  };
}

interface FanOutRow {
  subscribers: number;
  connectSeconds: number;
  failedToConnect: number;
  lags: number[];
  firstLags: number[];
  frames: number;
  expected: number;
  lost: number;
  errors: string[];
  apiCores: number;
  clientCores: number;
  idleRss: number;
  rss: number;
  peakRss: number;
  load: number;
  foldLagMs: number;
}

async function fanOutLevel(subscribers: number, problems: string[]): Promise<FanOutRow> {
  const api = await startApi(`fanout-${subscribers}`);
  const clients = startClients(subscribers);
  try {
    clients.children.forEach((child, i) =>
      child.send({
        type: 'start',
        url: api.url,
        key: apiKey,
        query: operations.subscription,
        count: clients.sizes[i]!,
      } satisfies ParentMessage),
    );
    const ready = (await clients.next()) as Extract<ChildMessage, { type: 'ready' }>[];
    const connectSeconds = Math.max(...ready.map((r) => r.connectSeconds));
    const failedToConnect = ready.reduce((n, r) => n + r.failed, 0);
    say(
      `  ${formatCount(subscribers - failedToConnect)} subscribed in ${connectSeconds.toFixed(1)} s (${failedToConnect} failed)`,
    );
    // Half a second past a tick, so each tick's frames fall wholly inside or outside the window.
    const fromMs = Math.ceil((Date.now() + 2000) / 1000) * 1000 + 500;
    const toMs = fromMs + FANOUT_SECONDS * 1000;
    clients.send({ type: 'measure', fromMs, toMs });
    await sleep(fromMs - Date.now());
    const before = api.usage();
    const foldLag = watchFoldLag(api.url);
    await sleep(toMs - Date.now());
    const after = api.usage();
    const load = loadAverage();
    const foldLagMs = await foldLag();
    const results = (await clients.next()) as Extract<ChildMessage, { type: 'result' }>[];
    const firstArrival = new Map<number, number>();
    for (const r of results)
      for (const [tick, at] of Object.entries(r.firstArrival))
        firstArrival.set(Number(tick), Math.min(firstArrival.get(Number(tick)) ?? Infinity, at));
    const sorted = (values: number[]) => values.sort((a, b) => a - b);
    return {
      subscribers: subscribers - failedToConnect,
      connectSeconds,
      failedToConnect,
      lags: sorted(results.flatMap((r) => r.lags)),
      firstLags: sorted([...firstArrival].map(([tick, at]) => at - tick)),
      frames: results.reduce((n, r) => n + r.frames, 0),
      expected: results.reduce((n, r) => n + r.expected, 0),
      lost: results.reduce((n, r) => n + r.lost, 0),
      errors: results.flatMap((r) => r.errors),
      apiCores: (after.cpuSeconds - before.cpuSeconds) / FANOUT_SECONDS,
      clientCores: results.reduce((n, r) => n + r.cpuSeconds, 0) / (FANOUT_SECONDS + 1.5),
      idleRss: api.idle.rssBytes,
      rss: after.rssBytes,
      peakRss: after.peakRssBytes,
      load,
      foldLagMs,
    };
  } finally {
    clients.send({ type: 'close' });
    await clients.exited;
    await api.stop();
    problems.push(...api.problems);
  }
}

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
  const limit = hardOpenFileLimit();
  const most = PHASES.has('fanout') ? Math.max(...LEVELS) : 0;
  if (limit < most + 1000)
    throw new Error(`the open-file hard limit (${limit}) is too low for ${most} subscribers`);
  say(`run ${run}: ${formatCount(RATE)} events/s to ${topic}, load ${loadAverage()}`);
  await createMigrator({ client: clickhouse, database }).apply();
  await log.ensureTopics([topic, `${topic}.dlq`], PARTITIONS);
  const fold: FoldProcess = await startFoldProcess({ settings });
  const producing = await startProducing();
  const problems: string[] = [...fold.problems];
  try {
    let http: HttpRow[] = [];
    if (PHASES.has('http')) {
      const api = await startApi('http');
      try {
        await waitForLiveData(api.url);
        say(`HTTP: wrk, 1 thread, ${CONNECTIONS} connections, ${SECONDS} s per operation`);
        http = await httpPhase(api);
      } finally {
        await api.stop();
        problems.push(...api.problems);
      }
    }
    const fanOut: FanOutRow[] = [];
    if (PHASES.has('fanout'))
      for (const level of LEVELS) {
        say(`fan-out: ${formatCount(level)} subscribers`);
        const row = await fanOutLevel(level, problems);
        say(
          `  push lag p50 ${ms(percentile(row.lags, 0.5))} ms, p99 ${ms(percentile(row.lags, 0.99))} ms, ${formatCount(row.frames)} of ${formatCount(row.expected)} frames; API ${row.apiCores.toFixed(2)} cores, RSS ${formatMiB(row.rss)}; fold lag ≤ ${row.foldLagMs} ms; load ${row.load}`,
        );
        fanOut.push(row);
      }
    report(http, fanOut, producing.rate());
    if (problems.length > 0)
      console.log(`\nThe service logged ${problems.length} warnings, first: ${problems[0]}`);
  } finally {
    const sent = await producing.stop();
    if (sent.failed > 0)
      say(`${sent.failed} of ${sent.produced} events failed to send, first: ${sent.firstFailure}`);
    await fold.stop();
  }
}

async function cleanUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
  await admin.deleteGroups([settings.CONSUMER_GROUP!]).catch(() => undefined);
  await admin.disconnect();
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  const redis = new Redis(env.REDIS_URL);
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (found.length > 0) await redis.unlink(...found);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

try {
  await main();
} finally {
  if (args.keep) say(`kept topic ${topic}, database ${database}, Redis keys ${prefix}:*`);
  else await cleanUp();
  await log.close();
  await clickhouse.close();
}
