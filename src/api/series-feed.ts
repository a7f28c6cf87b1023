import { Repeater, SlidingBuffer } from 'graphql-yoga';
import type { Freshness, FreshnessSource } from '../app/services.js';
import type { Metric } from '../events/metric.js';
import { aggregateValue } from '../live/compute.js';
import type { HistorySeries, HistoryStore } from '../ports/history.js';
import { alignDown } from './durations.js';
import type { FanOut, Ticker } from './fanout.js';
import { metricKey } from './inputs.js';
import type { LiveWindowReader } from './shared-reads.js';

/*
 * The seam between the history part and the live part of a `series` subscription.
 *
 * Every bucket is [start, start + interval) in EVENT time, so each event belongs to exactly one
 * bucket and no read of one bucket can count an event of another: there is no overlap to double
 * count. What could go wrong is WHEN a bucket is read: the fold writes the same records to Redis
 * and ClickHouse in the same consumer batch, but a bucket that has just closed may still have
 * records in the log that neither store has folded yet (or that one sink has and the other not).
 *
 * So a bucket becomes final only once it is *settled*: the fold has passed its end, i.e.
 * freshness.foldedThrough (every record that reached the log before that instant is in both
 * stores; it is "now" when the fold is at the end of the log) is at least the bucket's end plus
 * `settleMs`, the time an event stamped on receipt takes to reach the log. Its final value is then
 * read from HISTORY, once, for every subscriber: the final value is history's answer by
 * construction. Until then a bucket (the open one, and one that closed less than settleMs ago or
 * while the fold lags) is provisional: read from the live windows (or from history when the bucket
 * reaches past the live horizon), sent with final: false whenever it changes.
 *
 * A subscriber first reads history for [since, settledEnd) itself, then follows the shared frames:
 * each frame moves settledEnd forward and carries history's values for the buckets it settled. A
 * subscriber that missed frames (its one-slot buffer keeps only the latest) notices that the
 * frame's finals start after what it has, and reads the gap from history itself: no bucket is
 * skipped and none is sent final twice. Events stamped later than settleMs after their bucket
 * closed (a client's own old timestamps) reach both stores later; a final value is final for the
 * stream, and `history` shows the late events when asked again.
 */

export interface SeriesPoint {
  time: number;
  value: number | null;
}

export interface SeriesUpdate {
  group: string | null;
  point: SeriesPoint;
  final: boolean;
}

export type SeriesEvent = { update: SeriesUpdate; freshness: Freshness } | { error: unknown };

interface ProvisionalBucket {
  time: number;
  values: { group: string | null; value: number | null }[];
}

type SeriesFrame =
  | {
      settledEnd: number;
      /** History's answer for [finals.from, settledEnd): absent on a ticker's first frame. */
      finals?: { from: number; series: HistorySeries[] };
      provisional: ProvisionalBucket[];
      freshness: Freshness;
    }
  | { error: unknown };

export interface SeriesSubscription {
  tenant: string;
  metric: Metric;
  sinceMs: number;
  intervalMs: number;
}

export interface SeriesFeed {
  subscribe(subscription: SeriesSubscription): AsyncIterableIterator<SeriesEvent>;
}

/** Provisional buckets are at most this many (the open one and a few not yet settled). */
const MAX_PROVISIONAL = 3;

/** A bucket with no data is null, as in history (live counts say 0 for it). */
const bucketValue = (stats: Parameters<typeof aggregateValue>[0], metric: Metric) =>
  stats.count === 0 ? null : aggregateValue(stats, metric.aggregate);

export function createSeriesFeed(deps: {
  history: HistoryStore;
  live: LiveWindowReader;
  freshness: FreshnessSource;
  fanOut: FanOut;
  clock: () => number;
  maxGroups: number;
  settleMs: number;
  /** How often the open bucket is re-read (default one second). */
  tickMs?: number;
}): SeriesFeed {
  const readHistory = async (
    tenant: string,
    metric: Metric,
    fromMs: number,
    toMs: number,
    intervalMs: number,
  ) =>
    (
      await deps.history.query({
        tenant,
        metric,
        fromMs,
        toMs,
        intervalMs,
        maxGroups: deps.maxGroups,
      })
    ).series;

  function ticker(tenant: string, metric: Metric, intervalMs: number): Ticker<SeriesFrame> {
    let settledEnd: number | undefined;
    let lastSignature: string | undefined;

    const provisional = async (
      from: number,
      openStart: number,
      now: number,
    ): Promise<ProvisionalBucket[]> => {
      const first = Math.max(from, openStart - (MAX_PROVISIONAL - 1) * intervalMs);
      const liveFrom = now - deps.live.horizonMs;
      const buckets: ProvisionalBucket[] = [];
      const fromHistory: number[] = [];
      for (let time = first; time <= openStart; time += intervalMs)
        if (time >= liveFrom) {
          const stats = await deps.live.read({
            tenant,
            metric,
            fromMs: time,
            toMs: time + intervalMs,
            maxGroups: deps.maxGroups,
          });
          buckets.push({
            time,
            values: stats.map((s) => ({ group: s.group, value: bucketValue(s, metric) })),
          });
        } else fromHistory.push(time);
      if (fromHistory.length > 0) {
        const series = await readHistory(
          tenant,
          metric,
          fromHistory[0]!,
          fromHistory.at(-1)! + intervalMs,
          intervalMs,
        );
        const older = fromHistory.map((time) => ({
          time,
          values: series.map((s) => ({
            group: s.group,
            value: s.points.find((p) => p.time === time)?.value ?? null,
          })),
        }));
        buckets.unshift(...older);
      }
      return buckets;
    };

    return {
      everyMs: deps.tickMs ?? 1000,
      async compute() {
        try {
          const now = deps.clock();
          const openStart = alignDown(now, intervalMs);
          const freshness = await deps.freshness.current();
          const foldedThrough =
            freshness.behind === 0 ? now : (freshness.foldedThrough ?? -Infinity);
          const settled = Math.min(openStart, alignDown(foldedThrough - deps.settleMs, intervalMs));
          const previous = settledEnd;
          const end = previous === undefined ? settled : Math.max(previous, settled);
          // Until the fold has been heard of, nothing is settled (and -Infinity is no range to read).
          const finals =
            previous !== undefined && Number.isFinite(previous) && end > previous
              ? {
                  from: previous,
                  series: await readHistory(tenant, metric, previous, end, intervalMs),
                }
              : undefined;
          const buckets = await provisional(end, openStart, now);
          settledEnd = end;
          const signature = JSON.stringify([end, buckets]);
          if (signature === lastSignature && !finals) return undefined;
          lastSignature = signature;
          return { settledEnd: end, finals, provisional: buckets, freshness };
        } catch (error) {
          const signature = `error:${error instanceof Error ? error.message : String(error)}`;
          if (signature === lastSignature) return undefined;
          lastSignature = signature;
          return { error };
        }
      },
    };
  }

  return {
    subscribe({ tenant, metric, sinceMs, intervalMs }) {
      const key = JSON.stringify(['series', tenant, metricKey(metric), intervalMs]);
      const since = alignDown(sinceMs, intervalMs);

      return new Repeater<SeriesEvent>(async (push, stop) => {
        const frames = new Repeater<SeriesFrame>(async (pushFrame, stopFrames) => {
          const unsubscribe = deps.fanOut.subscribe(
            key,
            () => ticker(tenant, metric, intervalMs),
            (frame) => {
              void pushFrame(frame);
            },
          );
          await stopFrames;
          unsubscribe();
        }, new SlidingBuffer(1));
        void stop.then(() => frames.return());

        /** Buckets before this were sent final. */
        let settled = since;
        /** What was last sent for each provisional bucket and group. */
        const sent = new Map<number, Map<string | null, number | null>>();

        for await (const frame of frames) {
          if ('error' in frame) {
            await push({ error: frame.error });
            continue;
          }
          const { freshness } = frame;
          if (frame.settledEnd > settled) {
            let series: HistorySeries[];
            try {
              series =
                frame.finals && frame.finals.from <= settled
                  ? frame.finals.series
                  : await readHistory(tenant, metric, settled, frame.settledEnd, intervalMs);
            } catch (error) {
              await push({ error });
              continue;
            }
            const updates: SeriesUpdate[] = [];
            for (const s of series)
              for (const point of s.points)
                if (point.time >= settled && point.time < frame.settledEnd)
                  updates.push({ group: s.group, point, final: true });
            updates.sort((a, b) => a.point.time - b.point.time);
            for (const update of updates) await push({ update, freshness });
            settled = frame.settledEnd;
            for (const time of sent.keys()) if (time < settled) sent.delete(time);
          }
          for (const bucket of frame.provisional) {
            if (bucket.time < settled) continue;
            const before = sent.get(bucket.time) ?? new Map<string | null, number | null>();
            sent.set(bucket.time, before);
            for (const { group, value } of bucket.values) {
              if (before.has(group) && before.get(group) === value) continue;
              before.set(group, value);
              await push({
                update: { group, point: { time: bucket.time, value }, final: false },
                freshness,
              });
            }
          }
        }
      });
    },
  };
}
