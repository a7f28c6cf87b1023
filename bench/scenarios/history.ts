import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createMigrator } from '../../src/adapters/clickhouse/migrate.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { HISTORY_START_S, HISTORY_TENANT, loadHistoryData } from '../support/history-data.js';
import { summariseLogLines } from '../support/log-lines.js';
import { percentile } from '../support/stats.js';
import { workspaceSettings } from '../support/service-settings.js';
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

/** Bucket start (epoch s) → count: every path's answer in one shape, to compare them. */
type Answer = Map<number, number>;

const same = (a: Answer, b: Answer) =>
  a.size === b.size && [...a].every(([bucket, n]) => b.get(bucket) === n);

interface Path {
  name: 'api' | 'plain' | 'raw';
  ask(): Promise<Answer>;
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
    "over HTTP from this process, three ways interleaved: the API's `history` query (GraphQL, a child process " +
    'in production mode); the plain ClickHouse query over HTTP with no GraphQL, the one a ClickHouse user ' +
    'would write over the hour rollup (`countMerge(event_count)` of `events_hour`); and the same answer from ' +
    `raw events (\`count()\` of \`events\` by hour). All three answers must be equal. Warm-up: ${API_WARM_UPS} API queries (a fresh Node process runs unoptimised code at first), then ${WARM_UPS} of each.`,
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
      const graphql = JSON.stringify({
        query: `{ history(metric: { event: "page_view" }, from: "${new Date(fromS * 1000).toISOString()}", to: "${new Date(toS * 1000).toISOString()}", interval: "1h") { points { time value } } }`,
      });
      const scope = `tenant = '${HISTORY_TENANT}' AND name = 'page_view'`;
      const sql = {
        plain:
          `SELECT toUInt32(hour) AS bucket, countMerge(event_count) AS n FROM ${database}.events_hour` +
          ` WHERE ${scope} AND dim_key = '' AND dim_value = '' AND hour >= toDateTime(${fromS}) AND hour < toDateTime(${toS})` +
          ' GROUP BY bucket ORDER BY bucket FORMAT JSONEachRow',
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
          async ask() {
            const response = await fetch(apiUrl, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
              body: graphql,
            });
            const reply = (await response.json()) as {
              data?: { history: { points: { time: string; value: number | null }[] }[] };
              errors?: unknown;
            };
            if (!reply.data) throw new Error(`history failed: ${JSON.stringify(reply.errors)}`);
            return new Map(
              reply.data.history[0]!.points.filter((p) => p.value !== null).map((p) => [
                Date.parse(p.time) / 1000,
                p.value!,
              ]),
            );
          },
        },
        { name: 'plain', ask: () => askClickHouse(sql.plain) },
        { name: 'raw', ask: () => askClickHouse(sql.raw) },
      ];
      const [viaApi, plain, raw] = await Promise.all(paths.map((p) => p.ask()));
      if (!same(viaApi!, plain!) || !same(viaApi!, raw!))
        throw new Error(
          `the answers differ: API ${viaApi!.size} buckets, plain ${plain!.size}, raw ${raw!.size}`,
        );
      const total = [...raw!.values()].reduce((a, b) => a + b, 0);
      notes.push(
        `All three answers equal: ${viaApi!.size} buckets, ${total.toLocaleString('en')} page_views.`,
      );
      await time(
        paths.filter((p) => p.name === 'api'),
        API_WARM_UPS,
      );
      await time(paths, WARM_UPS);
      const cpuBefore = api.usage().cpuSeconds;
      const runs = await repeat(c, 'history', () => time(paths, c.historyQueries));
      const apiCpuMs =
        ((api.usage().cpuSeconds - cpuBefore) * 1000) / (c.historyQueries * c.repeats);
      notes.push(
        `The API process spends ${apiCpuMs.toFixed(1)} ms of CPU per history query (/proc, ` +
          'over every timed query): its part of the gap to the plain query, the rest is waiting.',
      );
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
      notes.push(
        `Each repeat: ${c.historyQueries} queries per path; the figures are that repeat's percentiles. ` +
          `Server CPU and rows read per query: \`system.query_log\` (see \`npx tsx bench/history.ts\`, which also times the other paths and aggregates).`,
      );
      return { figures, notes };
    } finally {
      await api?.stop();
      if (api) notes.push(...summariseLogLines(api.problems).map((l) => `The API logged: ${l}`));
      await workspace.close(c.keep);
    }
  },
};
