import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startServiceChild, type ServiceChild } from '../support/service-child.js';
import { HISTORY_START_S, HISTORY_TENANT, loadHistoryData } from '../support/history-data.js';
import { summariseLogLines } from '../support/log-lines.js';
import { percentile } from '../support/stats.js';
import { workspaceSettings } from '../support/service-settings.js';
import { ROOT } from '../support/stack-env.js';
import { createBenchWorkspace } from '../support/workspace.js';
import type { Figure } from '../report/model.js';
import { repeat, type Scenario } from './scenario.js';

const DAYS = 30;
const HOUR_S = 3600;
const CHUNK = 2_000_000;
const WARM_UPS = 2;
/**
 * The API alone first: V8 optimises a function after it has run many times, so a fresh process's
 * first queries run unoptimised code (measured: ~2× slower over its first dozen queries), while a
 * server in service has answered thousands.
 */
const API_WARM_UPS = 200;
/** Queries over which each server's CPU per query is read, its own alone. */
const CPU_QUERIES = 300;

/** Bucket start (epoch s) → count: every path's answer in one shape, to compare them. */
type Answer = Map<number, number>;

const same = (a: Answer, b: Answer) =>
  a.size === b.size && [...a].every(([bucket, n]) => b.get(bucket) === n);

interface Path {
  name: 'api' | 'bare' | 'plain' | 'raw';
  ask(): Promise<Answer>;
}

interface PointsReply {
  data?: { history: { points: { time: string; value: number | null }[] }[] };
  errors?: unknown;
}

/** POSTs and reads a `history` answer's points (the API's and the bare server's shape). */
async function askForPoints(url: string, init: RequestInit): Promise<Answer> {
  const reply = (await (await fetch(url, { method: 'POST', ...init })).json()) as PointsReply;
  if (!reply.data) throw new Error(`history failed: ${JSON.stringify(reply.errors)}`);
  return new Map(
    reply.data.history[0]!.points.filter((p) => p.value !== null).map((p) => [
      Date.parse(p.time) / 1000,
      p.value!,
    ]),
  );
}

/** Times each path `queries` times, the paths interleaved so they share what the machine does. */
async function time(paths: Path[], queries: number): Promise<Map<Path['name'], number[]>> {
  const samples = new Map(paths.map((p) => [p.name, [] as number[]]));
  for (let i = 0; i < queries; i++)
    for (const path of paths) {
      const t0 = performance.now();
      await path.ask();
      samples.get(path.name)!.push(performance.now() - t0);
    }
  for (const list of samples.values()) list.sort((a, b) => a - b);
  return samples;
}

export const history: Scenario = {
  id: '4',
  key: 'history',
  title: 'History: a month at 1 h buckets through the API',
  method: (c) =>
    `${c.historyEvents.toLocaleString('en')} events generated inside ClickHouse over ${DAYS} days ` +
    "(bench/support/history-data.ts: the rollups' views run on them as on real inserts; page_view is half); " +
    'timing starts once ClickHouse has finished the merges the bulk load started (data that arrives over a month is merged as it comes). ' +
    `The query: COUNT of page_view over the ${DAYS} days at 1 h (${DAYS * 24} buckets), asked ${c.historyQueries} times per repeat ` +
    "over HTTP from this process, four ways interleaved: the API's `history` query (GraphQL, a child process " +
    'in production mode); the plain ClickHouse query over HTTP with no GraphQL, the one a ClickHouse user ' +
    'would write over the hour rollup (`countMerge(event_count)` of `events_hour`); that SQL through a bare Node ' +
    "server (bench/support/bare-history-server.ts: HTTP in, the API's keep-alive reads, the 720 points out in the " +
    'shape of `history`, no GraphQL), the floor of any API in front of this ClickHouse; and the same answer from ' +
    `raw events (\`count()\` of \`events\` by hour). All four answers must be equal. Warm-up: ${API_WARM_UPS} API and bare queries (a fresh Node process runs unoptimised code at first), then ${WARM_UPS} of each.`,
  async run(c) {
    const workspace = createBenchWorkspace('history', {
      say: c.say,
      clickhouse: {
        request_timeout: 600_000,
        // Progress headers keep the connection busy during the long INSERT ... SELECT of the load.
        clickhouse_settings: {
          send_progress_in_http_headers: 1,
          http_headers_progress_interval_ms: '5000',
        },
      },
    });
    const { env, database, clickhouse, log } = workspace;
    const topic = `${workspace.kafkaPrefix}.events`;
    const apiKey = `bench-${randomBytes(16).toString('hex')}`;
    let api: ApiProcess | undefined;
    let bare: ServiceChild<string> | undefined;
    const notes: string[] = [];
    const fromS = HISTORY_START_S;
    const toS = fromS + DAYS * 86_400;
    try {
      await createMigrator({ client: clickhouse, database }).apply();
      await log.ensureTopics([topic, `${topic}.dlq`], 1);
      c.say(`history: loading ${c.historyEvents.toLocaleString('en')} events into ${database}`);
      const loadStarted = performance.now();
      await loadHistoryData({
        client: clickhouse,
        database,
        events: c.historyEvents,
        days: DAYS,
        chunk: CHUNK,
        log: c.say,
      });
      notes.push(
        `Load: ${((performance.now() - loadStarted) / 1000).toFixed(0)} s (INSERT ... SELECT in chunks of ${CHUNK.toLocaleString('en')}).`,
      );
      api = await startApiProcess({
        settings: workspaceSettings(workspace, {
          topic,
          partitions: 1,
          apiKey,
          tenant: HISTORY_TENANT,
        }),
      });
      const apiUrl = api.url;
      bare = await startServiceChild({
        what: 'the bare history server',
        command: process.execPath,
        args: ['--import', 'tsx', 'bench/support/bare-history-server.ts'],
        cwd: ROOT,
        env: {
          CLICKHOUSE_URL: env.CLICKHOUSE_URL,
          CLICKHOUSE_DATABASE: database,
          FROM_MS: String(fromS * 1000),
          TO_MS: String(toS * 1000),
          INTERVAL_MS: String(HOUR_S * 1000),
        },
        started: (entry) => entry.url,
      });
      const bareUrl = bare.value;
      const graphql = JSON.stringify({
        query: `{ history(metric: { event: "page_view" }, from: "${new Date(fromS * 1000).toISOString()}", to: "${new Date(toS * 1000).toISOString()}", interval: "1h") { points { time value } } }`,
      });
      const scope = `tenant = '${HISTORY_TENANT}' AND name = 'page_view'`;
      const rollupSql =
        `SELECT toUInt32(hour) AS bucket, countMerge(event_count) AS n FROM ${database}.events_hour` +
        ` WHERE ${scope} AND dim_key = '' AND dim_value = '' AND hour >= toDateTime(${fromS}) AND hour < toDateTime(${toS})` +
        ' GROUP BY bucket ORDER BY bucket';
      const sql = {
        plain: `${rollupSql} FORMAT JSONEachRow`,
        raw:
          `SELECT intDiv(toUInt32(ts), ${HOUR_S}) * ${HOUR_S} AS bucket, count() AS n FROM ${database}.events` +
          ` WHERE ${scope} AND ts >= toDateTime(${fromS}) AND ts < toDateTime(${toS})` +
          ' GROUP BY bucket ORDER BY bucket FORMAT JSONEachRow',
      };
      const askClickHouse = async (query: string): Promise<Answer> => {
        const response = await fetch(env.CLICKHOUSE_URL, { method: 'POST', body: query });
        const body = await response.text();
        if (!response.ok) throw new Error(`ClickHouse answered ${response.status}: ${body}`);
        const rows = body
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as { bucket: number | string; n: number | string });
        return new Map(rows.map((r) => [Number(r.bucket), Number(r.n)]));
      };
      const paths: Path[] = [
        {
          name: 'api',
          ask: () =>
            askForPoints(apiUrl, {
              headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
              body: graphql,
            }),
        },
        { name: 'bare', ask: () => askForPoints(bareUrl, { body: rollupSql }) },
        { name: 'plain', ask: () => askClickHouse(sql.plain) },
        { name: 'raw', ask: () => askClickHouse(sql.raw) },
      ];
      const [viaApi, viaBare, plain, raw] = await Promise.all(paths.map((p) => p.ask()));
      if (!same(viaApi!, viaBare!) || !same(viaApi!, plain!) || !same(viaApi!, raw!))
        throw new Error(
          `the answers differ: API ${viaApi!.size} buckets, bare ${viaBare!.size}, plain ${plain!.size}, raw ${raw!.size}`,
        );
      const total = [...raw!.values()].reduce((a, b) => a + b, 0);
      notes.push(
        `All four answers equal: ${viaApi!.size} buckets, ${total.toLocaleString('en')} page_views.`,
      );
      const servers = [
        { path: paths.find((p) => p.name === 'api')!, usage: () => api!.usage() },
        { path: paths.find((p) => p.name === 'bare')!, usage: () => bare!.usage() },
      ];
      for (const { path } of servers) await time([path], API_WARM_UPS);
      const cpuMs: number[] = [];
      for (const { path, usage } of servers) {
        const before = usage().cpuSeconds;
        await time([path], CPU_QUERIES);
        cpuMs.push(((usage().cpuSeconds - before) * 1000) / CPU_QUERIES);
      }
      notes.push(
        `CPU per query (/proc, over ${CPU_QUERIES} queries back to back after the warm-up): the API ` +
          `${cpuMs[0]!.toFixed(2)} ms, the bare server ${cpuMs[1]!.toFixed(2)} ms; the rest of a path's time is waiting (ClickHouse, the other processes on the two cores).`,
      );
      await time(paths, WARM_UPS);
      const runs = await repeat(c, 'history', () => time(paths, c.historyQueries));
      const of = (name: Path['name'], q: number) => runs.map((r) => percentile(r.get(name)!, q));
      const figures: Figure[] = [];
      const againstPlain = {
        0.5: { kind: 'ratio-at-most', value: 1.5, text: '≤ 1.5× plain ClickHouse' },
        // the target (#4)
        0.95: { kind: 'at-most', value: 100, text: '≤ 100 ms' },
      } as const;
      for (const [q, label] of [
        [0.5, 'p50'],
        [0.95, 'p95'],
        [0.99, 'p99'],
      ] as const)
        figures.push(
          {
            measure: `${label}: the API against the plain ClickHouse query`,
            unit: 'ms',
            values: of('api', q),
            baseline: { label: 'plain ClickHouse over HTTP', values: of('plain', q) },
            ...(q in againstPlain ? { target: againstPlain[q as keyof typeof againstPlain] } : {}),
          },
          {
            measure: `${label}: the API against raw events`,
            unit: 'ms',
            values: of('api', q),
            baseline: { label: 'raw events over HTTP', values: of('raw', q) },
            ...(q === 0.5
              ? {
                  target: {
                    kind: 'times-faster',
                    value: 25,
                    text: '≥ 25× faster than raw',
                  } as const,
                }
              : {}),
          },
        );
      figures.push(
        {
          measure: 'p50: a bare Node server (no GraphQL) against raw events',
          unit: 'ms',
          values: of('bare', 0.5),
          baseline: { label: 'raw events over HTTP', values: of('raw', 0.5) },
        },
        {
          measure: 'p50: the API against the bare Node server',
          unit: 'ms',
          values: of('api', 0.5),
          baseline: { label: 'bare Node server, same SQL', values: of('bare', 0.5) },
        },
      );
      notes.push(
        `Each repeat: ${c.historyQueries} queries per path; the figures are that repeat's percentiles. ` +
          `Server CPU and rows read per query: \`system.query_log\` (see \`npx tsx bench/history.ts\`, which also times the other paths and aggregates).`,
      );
      return { figures, notes };
    } finally {
      await api?.stop();
      await bare?.stop();
      if (api) notes.push(...summariseLogLines(api.problems).map((l) => `The API logged: ${l}`));
      await workspace.close(c.keep);
    }
  },
};
