import type { ApiServices, Freshness } from '../app/services.js';
import type { ChangeNotice } from '../ports/change-feed.js';
import type { LiveWindowRead, LiveWindowStore, WindowStats } from '../ports/live-windows.js';
import { metricKey } from './inputs.js';

/** What the API does with the live windows: it reads them, the fold writes them. */
export type LiveWindowReader = Pick<LiveWindowStore, 'read' | 'horizonMs'>;

/**
 * A window's stats, and the freshness known when they were read. `stale`: a change notice touched
 * the window after that read (the answer is the last one, given while the new read is late): only
 * that freshness is true of it. Otherwise the stats are as good as a read now.
 */
export interface LiveAnswer {
  stats: WindowStats[];
  freshness: Freshness;
  stale: boolean;
}

export interface SharedLiveReads extends LiveWindowReader {
  /** read() with the freshness the answer can be trusted to include (it may be older than now). */
  answer(request: LiveWindowRead): Promise<LiveAnswer>;
  /** Marks the answers a change notice makes out of date (subscribe it to the change feed). */
  changed(notice: ChangeNotice): void;
  /** Stops reading ahead. */
  close(): void;
}

export interface SharedReadTimings {
  /** An answer is shared for at most this long (monotonic ms), notices or not. */
  maxAgeMs: number;
  /** How long a caller waits for a read again after a notice before it gets the last answer. */
  staleWaitMs: number;
  /** How long before a second ends the windows asked in it are read for the next second. */
  readAheadMs: number;
}

/**
 * A missed notice (they are at most once) leaves an answer stale for MAX_AGE at most, and windows
 * that end in the future (a `series` bucket still open) are read again as time goes by. 20 ms: a
 * read of a window while Redis runs the fold's scripts (tens of ms each) otherwise set the p99.
 */
export const SHARED_READ_TIMINGS: SharedReadTimings = {
  maxAgeMs: 1000,
  staleWaitMs: 20,
  readAheadMs: 100,
};

interface Entry {
  watchKey: string;
  fromMs: number;
  toMs: number;
  /** What a caller gets now. */
  answer: Promise<LiveAnswer>;
  /** The latest store read asked. */
  reading: Promise<LiveAnswer>;
  /** When the read behind `answer` was asked (monotonic ms). */
  askedAt: number;
  /** A change notice touched the window after that read was asked. */
  outdated: boolean;
  /** The latest answer the store gave for this window, and when it was asked. */
  last?: { answer: LiveAnswer; askedAt: number };
}

const watchKeyOf = (tenant: string, event: string) => `${tenant}\u0000${event}`;

const readKey = (request: LiveWindowRead) =>
  JSON.stringify([
    request.tenant,
    metricKey(request.metric),
    request.fromMs,
    request.toMs,
    request.maxGroups,
  ]);

/**
 * `services.live` with the answer of a window read shared by every caller that asks the same read
 * (tenant, metric, window, groups): a dashboard's viewers, a burst of queries and the tickers cost
 * one store read per window second and fold batch, not one each (a 1m window is ~60 Redis commands
 * and their decoding, and waits in Redis behind the fold's scripts).
 * - A change notice touching the window (or maxAgeMs) makes the next caller read again. Callers
 *   then wait for that read up to staleWaitMs; past that they get the last answer of the window
 *   (asked at most maxAgeMs ago), and the read's answer once it lands: a query never waits on a
 *   busy Redis for long, and is at most maxAgeMs behind the store.
 * - Each window asked during a second (one ending with that second: "now") is read again for the
 *   next second readAheadMs before that second starts, so the first callers of a second, a tick
 *   of every subscription among them, find their window read, and notices keep it up to date.
 * Each answer comes with the freshness known when its read was asked (taken before the read): a
 * stale one (given after staleWaitMs) is never said to include more than it does: `live` queries
 * report the older of it and the operation's (src/api/context.ts, extensions.ts), ticks push it.
 * The stats are shared between the callers: they are read, never changed. Failed reads are not
 * kept. The store is looked up at every call, so a store replaced in `services` is the one used.
 */
export function shareLiveReads(
  services: Pick<ApiServices, 'live' | 'freshness'>,
  options: {
    /** Epoch ms: the clock the windows are computed with. */
    clock: () => number;
    /** Monotonic ms (default performance.now). */
    monotonic?: () => number;
    timings?: SharedReadTimings;
  },
): SharedLiveReads {
  const { clock } = options;
  const monotonic = options.monotonic ?? (() => performance.now());
  const { maxAgeMs, staleWaitMs, readAheadMs } = options.timings ?? SHARED_READ_TIMINGS;
  const entries = new Map<string, Entry>();
  /** Per (tenant, event): the keys of its entries, for the notices. */
  const watched = new Map<string, Set<string>>();
  /** The windows asked that end with the current second, to read ahead for the next. */
  let current: { toMs: number; reads: Map<string, LiveWindowRead>; timer: NodeJS.Timeout } | null =
    null;
  let sweptAt = monotonic();

  const forget = (key: string, entry: Entry) => {
    if (entries.get(key) !== entry) return;
    entries.delete(key);
    const keys = watched.get(entry.watchKey);
    keys?.delete(key);
    if (keys?.size === 0) watched.delete(entry.watchKey);
  };

  const sweep = (now: number) => {
    if (now - sweptAt < maxAgeMs) return;
    sweptAt = now;
    for (const [key, entry] of entries) if (now - entry.askedAt > maxAgeMs) forget(key, entry);
  };

  /** The store's stats, with the freshness known before the read is asked (all it says is folded is in them). */
  const ask = (request: LiveWindowRead): Promise<LiveAnswer> => {
    const freshness = services.freshness.current();
    return Promise.all([services.live.read(request), freshness]).then(([stats, known]) => ({
      stats,
      freshness: known,
      stale: false,
    }));
  };

  /** Makes `read` the entry's answer; callers get its last answer instead past staleWaitMs. */
  const adopt = (key: string, entry: Entry, read: Promise<LiveAnswer>, now: number) => {
    entry.reading = read;
    entry.askedAt = now;
    entry.outdated = false;
    entry.answer = read;
    const fallback = entry.last && now - entry.last.askedAt <= maxAgeMs ? entry.last : undefined;
    if (fallback)
      entry.answer = Promise.race([
        read,
        new Promise<LiveAnswer>((resolve) =>
          setTimeout(resolve, staleWaitMs, { ...fallback.answer, stale: true }).unref(),
        ),
      ]);
    read.then(
      (answer) => {
        if (entry.reading !== read) return;
        entry.last = { answer, askedAt: now };
        entry.answer = read;
      },
      () => {
        if (entry.reading === read) forget(key, entry);
      },
    );
  };

  const remember = (key: string, request: LiveWindowRead) => {
    const toMs = Math.floor(clock() / 1000) * 1000 + 1000;
    if (request.toMs !== toMs) return;
    if (current?.toMs !== toMs) {
      if (current) clearTimeout(current.timer);
      const reads = new Map<string, LiveWindowRead>();
      const timer = setTimeout(
        () => {
          for (const ahead of reads.values())
            void shared
              .answer({ ...ahead, fromMs: ahead.fromMs + 1000, toMs: ahead.toMs + 1000 })
              .catch(() => undefined);
        },
        Math.max(0, toMs - readAheadMs - clock()),
      );
      timer.unref();
      current = { toMs, reads, timer };
    }
    current.reads.set(key, request);
  };

  const shared: SharedLiveReads = {
    get horizonMs() {
      return services.live.horizonMs;
    },
    read: (request) => shared.answer(request).then((answer) => answer.stats),
    answer(request) {
      const key = readKey(request);
      const now = monotonic();
      remember(key, request);
      let entry = entries.get(key);
      if (entry && !entry.outdated && now - entry.askedAt <= maxAgeMs) return entry.answer;
      const read = ask(request);
      if (!entry) {
        sweep(now);
        entry = {
          watchKey: watchKeyOf(request.tenant, request.metric.event),
          fromMs: request.fromMs,
          toMs: request.toMs,
          answer: read,
          reading: read,
          askedAt: now,
          outdated: false,
        };
        entries.set(key, entry);
        const keys = watched.get(entry.watchKey) ?? new Set();
        keys.add(key);
        watched.set(entry.watchKey, keys);
      }
      adopt(key, entry, read, now);
      return entry.answer;
    },
    changed(notice) {
      const keys = watched.get(watchKeyOf(notice.tenant, notice.event));
      if (!keys) return;
      const fromMs = notice.fromSec * 1000;
      const toMs = (notice.toSec + 1) * 1000;
      for (const key of keys) {
        const entry = entries.get(key)!;
        if (entry.fromMs < toMs && fromMs < entry.toMs) entry.outdated = true;
      }
    },
    close() {
      if (current) clearTimeout(current.timer);
      current = null;
    },
  };
  return shared;
}
