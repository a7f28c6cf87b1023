import { randomBytes } from 'node:crypto';
import { createRedisFoldProgress } from '../../src/adapters/redis/fold-progress.js';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import type { Metric } from '../../src/events/metric.js';
import { TENANT } from '../support/events.js';
import { startFoldProcess } from '../support/fold-process.js';
import { serviceSettings } from '../support/service-settings.js';
import type { PeerContext, PeerSystem, RunningPeer } from './peer.js';
import {
  addWindowRows,
  EVENT_NAMES,
  LATENCY_WINDOW_SECONDS,
  seriesKey,
  type WindowCountRow,
  type WindowCounts,
} from './workload.js';

/** The fold's warnings and errors, one line per distinct message with its count. */
function summariseLogLines(lines: string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
    const what = [entry.msg, entry.err?.message].filter(Boolean).join(': ');
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => `the fold logged ${n} × "${what}"`);
}

/**
 * This service: its fold (consumers/fold.ts) in a child process, folding the topic into Redis live
 * windows (per-second buckets, read back over any range) and ClickHouse history (minute rollups).
 * Its 10 s windows are read from the live windows as the API reads them; its 1-minute windows
 * from the history rollup `events_minute`.
 */
export function createPulsegraphPeer(context: PeerContext, database: string): PeerSystem {
  let runs = 0;
  const live = createRedisLiveWindows({
    redis: context.redis,
    prefix: context.redisPrefix,
    horizonMs: 3_900_000,
  });
  const progress = createRedisFoldProgress({ redis: context.redis, prefix: context.redisPrefix });

  return {
    system: 'pulsegraph',
    pollMs: 10,
    async start(topic) {
      const fold = await startFoldProcess({
        settings: serviceSettings(context.env, {
          database,
          redisPrefix: context.redisPrefix,
          topic,
          consumerGroup: `${context.kafkaPrefix}.fold.${runs++}`,
          partitions: context.partitions,
          apiKey: randomBytes(16).toString('hex'),
          tenant: TENANT,
        }),
      });
      /** The live windows' stats of one 10 s window for one event name, grouped or not. */
      const readWindow = (startMs: number, event: string, groupBy: string | null) => {
        const metric: Metric = {
          event,
          aggregate: 'COUNT',
          filter: [{ key: 'topic', in: [topic] }],
          groupBy,
        };
        return live.read({
          tenant: TENANT,
          metric,
          fromMs: startMs,
          toMs: startMs + LATENCY_WINDOW_SECONDS * 1000,
          maxGroups: 1000,
        });
      };
      const peer: RunningPeer = {
        readyAt: fold.readyAt,
        notes: () => summariseLogLines(fold.problems),
        async folded() {
          const partitions = await progress.read([topic]);
          return partitions.reduce((sum, p) => sum + p.offset + 1, 0);
        },
        async windowTotal(startMs) {
          const totals = await Promise.all(
            EVENT_NAMES.map((name) => readWindow(startMs, name, null)),
          );
          return totals.reduce((sum, stats) => sum + (stats[0]?.count ?? 0), 0);
        },
        async windowCounts(query) {
          const counts: WindowCounts = new Map();
          for (const { seconds, startMs } of query.windows) {
            if (seconds !== LATENCY_WINDOW_SECONDS) continue;
            for (const name of query.names)
              for (const dimKey of ['', ...query.dimKeys]) {
                const stats = await readWindow(startMs, name, dimKey || null);
                for (const group of stats)
                  counts.set(
                    seriesKey({ seconds, startMs, name, dimKey, dimValue: group.group ?? '' }),
                    group.count,
                  );
              }
          }
          const rows = await (
            await context.clickhouse.query({
              query: `SELECT 60 AS window_seconds, name, dim_key, dim_value, toUInt32(minute) AS start,
                             countMerge(event_count) AS n
                      FROM ${database}.events_minute
                      WHERE tenant = '${TENANT}'
                      GROUP BY name, dim_key, dim_value, minute`,
              format: 'JSONEachRow',
            })
          ).json<WindowCountRow>();
          addWindowRows(counts, rows);
          return counts;
        },
        stop: () => fold.stop(),
      };
      return peer;
    },
  };
}
