import type { ApiServices } from '../app/services.js';
import type { ChangeNotice } from '../ports/change-feed.js';
import type { LiveWindowStore, WindowStats } from '../ports/live-windows.js';
import { metricKey } from './inputs.js';

/** What the API does with the live windows: it reads them, the fold writes them. */
export type LiveWindowReader = Pick<LiveWindowStore, 'read' | 'horizonMs'>;

export interface SharedLiveReads extends LiveWindowReader {
  /** Forgets the answers a change notice makes out of date (subscribe it to the change feed). */
  changed(notice: ChangeNotice): void;
}

interface Entry {
  watchKey: string;
  fromMs: number;
  toMs: number;
  /** When the read was asked (monotonic ms). */
  askedAt: number;
  read: Promise<WindowStats[]>;
}

/**
 * An answer is shared for at most this long, notices or not: a missed notice (they are at most
 * once) leaves an answer stale for no longer, and windows that end in the future (a `series`
 * bucket still open) are read again as time goes by.
 */
const MAX_AGE_MS = 1000;

const watchKeyOf = (tenant: string, event: string) => `${tenant}\u0000${event}`;

/**
 * `services.live` with the answer of a window read shared by every caller that asks the same read
 * (tenant, metric, window, groups) until a change notice touches its window: a dashboard's viewers
 * or a burst of queries cost one store read per window second and fold batch, not one each (a 1m
 * window is ~60 Redis commands and their decoding, and waits behind the fold's scripts in Redis).
 * A read in flight when a notice arrives is forgotten too: a caller after the notice reads again,
 * so an answer holds every write whose notice this process had seen when it was asked.
 * An answer is shared for MAX_AGE_MS at most; failed reads are not kept. The stats are
 * shared between the callers: they are read, never changed. The store is looked up at every call,
 * so a store replaced in `services` is the one used.
 */
export function shareLiveReads(
  services: Pick<ApiServices, 'live'>,
  /** Monotonic milliseconds (default performance.now). */
  monotonic: () => number = () => performance.now(),
): SharedLiveReads {
  const entries = new Map<string, Entry>();
  /** Per (tenant, event): the keys of its entries, for the notices. */
  const watched = new Map<string, Set<string>>();
  let sweptAt = monotonic();

  const forget = (key: string, entry: Entry) => {
    if (entries.get(key) !== entry) return;
    entries.delete(key);
    const keys = watched.get(entry.watchKey);
    keys?.delete(key);
    if (keys?.size === 0) watched.delete(entry.watchKey);
  };

  /** Windows of past seconds are not asked again: at most once a MAX_AGE_MS, the old go. */
  const sweep = (now: number) => {
    if (now - sweptAt < MAX_AGE_MS) return;
    sweptAt = now;
    for (const [key, entry] of entries) if (now - entry.askedAt > MAX_AGE_MS) forget(key, entry);
  };

  return {
    get horizonMs() {
      return services.live.horizonMs;
    },
    read(request) {
      const key = JSON.stringify([
        request.tenant,
        metricKey(request.metric),
        request.fromMs,
        request.toMs,
        request.maxGroups,
      ]);
      const now = monotonic();
      const cached = entries.get(key);
      if (cached && now - cached.askedAt <= MAX_AGE_MS) return cached.read;
      if (cached) forget(key, cached);
      sweep(now);
      const entry: Entry = {
        watchKey: watchKeyOf(request.tenant, request.metric.event),
        fromMs: request.fromMs,
        toMs: request.toMs,
        askedAt: now,
        read: services.live.read(request),
      };
      entry.read.catch(() => forget(key, entry));
      entries.set(key, entry);
      const keys = watched.get(entry.watchKey) ?? new Set();
      keys.add(key);
      watched.set(entry.watchKey, keys);
      return entry.read;
    },
    changed(notice) {
      const keys = watched.get(watchKeyOf(notice.tenant, notice.event));
      if (!keys) return;
      const fromMs = notice.fromSec * 1000;
      const toMs = (notice.toSec + 1) * 1000;
      for (const key of keys) {
        const entry = entries.get(key)!;
        if (entry.fromMs < toMs && fromMs < entry.toMs) forget(key, entry);
      }
    },
  };
}
