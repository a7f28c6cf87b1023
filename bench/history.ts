// History reads over a month of data: rollups against raw events, on the real ClickHouse.
//   npx tsx bench/history.ts
// Settings (environment): CLICKHOUSE_URL (http://127.0.0.1:18123), EVENTS (20 000 000),
// DAYS (30), REPEATS (30), CHUNK (2 000 000 rows per INSERT ... SELECT), INSERT_EVENTS (500 000
// events written through the adapter's insert, 100 000 per call, tenant "insert"), KEEP=1 to keep the
// database bench_hist_<id> afterwards, DATABASE=<name> to reuse one kept earlier (no load).
// The data is generated inside ClickHouse (INSERT ... SELECT FROM numbers()), so the rollups'
// materialized views run on it as on real inserts: tenant "bench", 8 event names of which
// page_view is half, countries (10) and plans (3) as dimensions, 100 000 users, spread evenly
// over DAYS days. Measured: DAYS days at 1 h buckets for page_view, on each path that can answer
// (the default choice, the minute rollup alone, raw events alone), p50/p95 over REPEATS.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import { createClickHouseHistory } from '../src/adapters/clickhouse/history.js';
import { createMigrator } from '../src/adapters/clickhouse/migrate.js';
import type { PositionedEvent } from '../src/events/event.js';
import type { Aggregate, Metric } from '../src/events/metric.js';
import type { RollupCapabilities } from '../src/history/plan.js';
import type { HistoryQuery, HistoryResult, HistoryStore } from '../src/ports/history.js';
import { HISTORY_START_S, loadHistoryData } from './support/history-data.js';

const URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';
const EVENTS = Number(process.env.EVENTS ?? 20_000_000);
const DAYS = Number(process.env.DAYS ?? 30);
const REPEATS = Number(process.env.REPEATS ?? 30);
const CHUNK = Number(process.env.CHUNK ?? 2_000_000);
const INSERT_EVENTS = Number(process.env.INSERT_EVENTS ?? 500_000);
const INSERT_BATCH = 100_000;
const KEEP = process.env.KEEP === '1' || !!process.env.DATABASE;
const DATABASE = process.env.DATABASE ?? `bench_hist_${randomBytes(3).toString('hex')}`;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Whole days, so the range is exactly DAYS days of 1 h buckets. */
const START_S = HISTORY_START_S;

const client = createClient({
  url: URL,
  request_timeout: 600_000,
  // Progress headers keep the connection busy during the long INSERT ... SELECT of the load.
  clickhouse_settings: {
    send_progress_in_http_headers: 1,
    http_headers_progress_interval_ms: '5000',
  },
});

const count = async (sql: string): Promise<number> => {
  const rows = await (
    await client.query({ query: sql, format: 'JSONEachRow' })
  ).json<{ n: string }>();
  return Number(rows[0]?.n ?? 0);
};

/** The adapter's own insert path: JSONEachRow from Node, every view attached. */
async function measureInserts(store: HistoryStore): Promise<void> {
  const batches: PositionedEvent[][] = [];
  for (let offset = 0; offset < INSERT_EVENTS; offset += INSERT_BATCH)
    batches.push(
      Array.from({ length: Math.min(INSERT_BATCH, INSERT_EVENTS - offset) }, (_, i) => {
        const n = offset + i;
        return {
          id: `i${n}`,
          tenant: 'insert',
          name: ['page_view', 'click', 'purchase'][n % 3]!,
          timestamp: START_S * 1000 + Math.floor((n / INSERT_EVENTS) * DAY_MS),
          userId: n % 10 === 0 ? null : `u${(n * 7919) % 100_000}`,
          value: n % 7 === 0 ? null : ((n * 31) % 100_000) / 1000,
          dimensions: {
            country: `c${n % 10}`,
            plan: ['free', 'pro', 'team'][n % 3]!,
            device: `d${n % 4}`,
          },
          topic: 'events',
          partition: n % 8,
          offset: Math.floor(n / 8),
        };
      }),
    );
  const started = performance.now();
  for (const batch of batches) await store.insert(batch);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `insert(): ${INSERT_EVENTS.toLocaleString('en')} events with 3 dimensions, ${INSERT_BATCH.toLocaleString('en')} per call: ` +
      `${Math.round(INSERT_EVENTS / seconds).toLocaleString('en')} events/s (events + 4 views)\n`,
  );
}

const percentile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

interface Timing {
  p50: number;
  p95: number;
  /** Server CPU time and rows read per call, from system.query_log. */
  cpuMs: number;
  rowsRead: number;
  result: HistoryResult;
}

/** A store whose queries are logged under their own user agent, to find them in system.query_log. */
interface LoggedStore {
  store: HistoryStore;
  agent: string;
  close(): Promise<void>;
}

function loggedStore(rollups: RollupCapabilities, agent: string): LoggedStore {
  const own = createClient({
    url: URL,
    application: agent,
    clickhouse_settings: { log_queries: 1 },
  });
  return {
    store: createClickHouseHistory({ client: own, database: DATABASE, rollups }),
    agent,
    close: () => own.close(),
  };
}

/** CPU time is what a loaded machine does not inflate (wall time waits for a core). */
async function serverCost(
  agent: string,
  calls: number,
): Promise<{ cpuMs: number; rowsRead: number }> {
  const rows = await (
    await client.query({
      query: `SELECT sum(read_rows) AS rows_read,
          sum(arrayElement(ProfileEvents.Values, indexOf(ProfileEvents.Names, 'OSCPUVirtualTimeMicroseconds'))) AS cpu_us
        FROM system.query_log WHERE type = 2 AND event_date >= yesterday() AND http_user_agent LIKE '${agent} %'`,
      format: 'JSONEachRow',
    })
  ).json<{ rows_read: string; cpu_us: string }>();
  return {
    cpuMs: Number(rows[0]?.cpu_us ?? 0) / 1000 / calls,
    rowsRead: Number(rows[0]?.rows_read ?? 0) / calls,
  };
}

/**
 * Times the query on each store that takes a different path, the stores interleaved within each
 * repeat so that they share whatever else the machine is doing.
 */
async function time(stores: LoggedStore[], query: HistoryQuery): Promise<Timing[]> {
  const distinct: { logged: LoggedStore; result: HistoryResult; samples: number[] }[] = [];
  for (const logged of stores) {
    const result = await logged.store.query(query);
    if (!distinct.some((d) => d.result.path === result.path))
      distinct.push({ logged, result, samples: [] });
  }
  for (let i = 0; i < REPEATS + 1; i++)
    for (const d of distinct) {
      const t0 = performance.now();
      d.result = await d.logged.store.query(query);
      if (i > 0) d.samples.push(performance.now() - t0);
    }
  await client.command({ query: 'SYSTEM FLUSH LOGS' });
  const timings: Timing[] = [];
  for (const { logged, result, samples } of distinct) {
    samples.sort((a, b) => a - b);
    timings.push({
      p50: percentile(samples, 0.5),
      p95: percentile(samples, 0.95),
      ...(await serverCost(logged.agent, REPEATS + 2)),
      result,
    });
  }
  return timings;
}

const values = (r: HistoryResult) =>
  JSON.stringify(r.series.map((s) => [s.group, s.points.map((p) => p.value)]));

async function main(): Promise<void> {
  console.log(
    `ClickHouse ${await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>().then((r) => r[0]!.v)} at ${URL}, database ${DATABASE}`,
  );
  await createMigrator({ client, database: DATABASE }).apply();
  const present = await count(`SELECT count() AS n FROM \`${DATABASE}\`.events`);
  if (present === 0) {
    console.log(
      `loading ${EVENTS.toLocaleString('en')} events over ${DAYS} days in chunks of ${CHUNK.toLocaleString('en')}`,
    );
    await loadHistoryData({
      client,
      database: DATABASE,
      events: EVENTS,
      days: DAYS,
      chunk: CHUNK,
      log: (line) => console.log(line),
    });
  } else console.log(`reusing ${present.toLocaleString('en')} events already in ${DATABASE}`);
  const parts = await (
    await client.query({
      query: `SELECT table, count() AS parts, sum(rows) AS rows FROM system.parts WHERE database = '${DATABASE}' AND active GROUP BY table ORDER BY table`,
      format: 'JSONEachRow',
    })
  ).json<{ table: string; parts: string; rows: string }>();
  for (const p of parts)
    console.log(`  ${p.table}: ${Number(p.rows).toLocaleString('en')} rows in ${p.parts} parts`);
  const pageViews = await count(
    `SELECT count() AS n FROM \`${DATABASE}\`.events WHERE tenant = 'bench' AND name = 'page_view'`,
  );
  console.log(`  page_view: ${pageViews.toLocaleString('en')} events\n`);

  // The default choice first, then the minute rollup alone, then raw events alone.
  const choices: RollupCapabilities[] = [
    { minute: true, hour: true },
    { minute: true, hour: false },
    { minute: false, hour: false },
  ];
  if (
    INSERT_EVENTS > 0 &&
    (await count(`SELECT count() AS n FROM \`${DATABASE}\`.events WHERE tenant = 'insert'`)) === 0
  )
    await measureInserts(createClickHouseHistory({ client, database: DATABASE }));
  const cases: [string, Aggregate, Partial<Metric>][] = [
    ['COUNT', 'COUNT', {}],
    ['SUM', 'SUM', {}],
    ['COUNT by country, top 5', 'COUNT', { groupBy: 'country' }],
    ['UNIQUES', 'UNIQUES', {}],
    ['P95', 'P95', {}],
  ];
  const rows: string[][] = [];
  const run = randomBytes(3).toString('hex');
  for (const [index, [label, aggregate, extra]] of cases.entries()) {
    const query: HistoryQuery = {
      tenant: 'bench',
      metric: { event: 'page_view', aggregate, filter: [], groupBy: null, ...extra },
      fromMs: START_S * 1000,
      toMs: START_S * 1000 + DAYS * DAY_MS,
      intervalMs: HOUR_MS,
      maxGroups: 5,
    };
    const stores = choices.map((rollups, i) =>
      loggedStore(rollups, `bench-history-${run}-${index}-${i}`),
    );
    const timings = await time(stores, query);
    await Promise.all(stores.map((s) => s.close()));
    const raw = timings.find((t) => t.result.path === 'raw')!;
    for (const t of timings)
      rows.push([
        label,
        t.result.path,
        t.p50.toFixed(1),
        t.p95.toFixed(1),
        `${(raw.p50 / t.p50).toFixed(1)}x`,
        `${(raw.p95 / t.p95).toFixed(1)}x`,
        t.cpuMs.toFixed(1),
        Math.round(t.rowsRead).toLocaleString('en'),
        t === raw
          ? ''
          : ['COUNT', 'SUM'].includes(aggregate)
            ? values(t.result) === values(raw.result)
              ? 'equal'
              : 'DIFFER'
            : 'sketch',
      ]);
  }
  const header = [
    `${DAYS} d at 1 h, page_view`,
    'path',
    'p50 ms',
    'p95 ms',
    'raw/this p50',
    'raw/this p95',
    'server CPU ms/call',
    'rows read/call',
    'same numbers as raw',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(
    `\n${REPEATS} timed repeats after 2 warm-ups, paths interleaved, client-side wall time over HTTP; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}.`,
  );
}

try {
  await main();
} finally {
  if (!KEEP) await client.command({ query: `DROP DATABASE IF EXISTS \`${DATABASE}\`` });
  else console.log(`kept database ${DATABASE} (DATABASE=${DATABASE} to reuse it)`);
  await client.close();
}
