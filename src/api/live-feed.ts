import type { Freshness, FreshnessSource } from '../app/services.js';
import type { Metric } from '../events/metric.js';
import { aggregateValue } from '../live/compute.js';
import type { ChangeFeed, ChangeNotice } from '../ports/change-feed.js';
import type { WindowStats } from '../ports/live-windows.js';
import { slidingWindow } from './durations.js';
import type { FanOut, Ticker } from './fanout.js';
import { metricKey } from './inputs.js';
import type { SharedLiveReads } from './shared-reads.js';

export interface WindowValue {
  group: string | null;
  value: number | null;
  windowStart: number;
  windowEnd: number;
}

export const toWindowValues = (
  stats: WindowStats[],
  metric: Metric,
  window: { fromMs: number; toMs: number },
): WindowValue[] =>
  stats.map((s) => ({
    group: s.group,
    value: aggregateValue(s, metric.aggregate),
    windowStart: window.fromMs,
    windowEnd: window.toMs,
  }));

/** One push of a live subscription: the values, or the error the store gave this tick. */
export type LiveFrame = { values: WindowValue[]; freshness: Freshness } | { error: unknown };

export interface LiveSubscription {
  tenant: string;
  metric: Metric;
  windowMs: number;
  everyMs: number;
}

export interface LiveFeed {
  /** Starts listening to the change feed. */
  start(): Promise<void>;
  subscribe(subscription: LiveSubscription, listener: (frame: LiveFrame) => void): () => void;
  close(): Promise<void>;
}

/**
 * Without a change notice a window that held nothing still holds nothing, so an idle metric
 * costs no read; but notices are at most once, so it is re-read at least this often anyway.
 */
const QUIET_REREAD_MS = 5_000;

/**
 * Live subscriptions on the shared tickers of `fanOut`: one store read per (tenant, metric,
 * window, every) and tick, pushed only when a value changed. Change notices only mark a ticker
 * dirty: the value is always read from the store, never taken from the notice.
 */
export function createLiveFeed(deps: {
  live: SharedLiveReads;
  changes: ChangeFeed;
  freshness: FreshnessSource;
  fanOut: FanOut;
  clock: () => number;
  maxGroups: number;
}): LiveFeed {
  /** Per (tenant, event): the dirty flags of the tickers reading it. */
  const watchers = new Map<string, Set<(notice: ChangeNotice) => void>>();
  let unsubscribe: (() => Promise<void>) | undefined;

  const onNotice = (notice: ChangeNotice) => {
    for (const watcher of watchers.get(`${notice.tenant}\u0000${notice.event}`) ?? [])
      watcher(notice);
  };

  function ticker(subscription: LiveSubscription): Ticker<LiveFrame> {
    const { tenant, metric, windowMs, everyMs } = subscription;
    let dirty = true;
    let heldData = false;
    let lastRead = -Infinity;
    let lastSignature: string | undefined;

    const watchKey = `${tenant}\u0000${metric.event}`;
    const watcher = (notice: ChangeNotice) => {
      if (notice.toSec * 1000 >= slidingWindow(deps.clock(), windowMs).fromMs) dirty = true;
    };
    const watching = watchers.get(watchKey) ?? new Set();
    watching.add(watcher);
    watchers.set(watchKey, watching);

    return {
      everyMs,
      stop() {
        watching.delete(watcher);
        if (watching.size === 0 && watchers.get(watchKey) === watching) watchers.delete(watchKey);
      },
      async compute() {
        const now = deps.clock();
        if (!dirty && !heldData && now - lastRead < QUIET_REREAD_MS) return undefined;
        dirty = false;
        lastRead = now;
        const window = slidingWindow(now, windowMs);
        let frame: LiveFrame;
        let signature: string;
        try {
          const [answer, current] = await Promise.all([
            deps.live.answer({ tenant, metric, ...window, maxGroups: deps.maxGroups }),
            deps.freshness.current(),
          ]);
          const { stats } = answer;
          const freshness = answer.stale ? answer.freshness : current;
          heldData = stats.some((s) => s.count > 0);
          const values = toWindowValues(stats, metric, window);
          frame = { values, freshness };
          signature = JSON.stringify(values.map((v) => [v.group, v.value]));
        } catch (error) {
          dirty = true;
          frame = { error };
          signature = `error:${error instanceof Error ? error.message : String(error)}`;
        }
        if (signature === lastSignature) return undefined;
        lastSignature = signature;
        return frame;
      },
    };
  }

  return {
    async start() {
      unsubscribe ??= await deps.changes.subscribe(onNotice);
    },
    subscribe(subscription, listener) {
      const { tenant, metric, windowMs, everyMs } = subscription;
      const key = JSON.stringify(['live', tenant, metricKey(metric), windowMs, everyMs]);
      return deps.fanOut.subscribe(key, () => ticker(subscription), listener);
    },
    async close() {
      await unsubscribe?.();
      unsubscribe = undefined;
      watchers.clear();
    },
  };
}
