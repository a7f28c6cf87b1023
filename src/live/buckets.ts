import type { BucketStats } from '../ports/live-windows.js';
import { mergeScalars, type ScalarStats } from './stats.js';

/**
 * Two bucket levels keep long windows cheap: every second, and every minute (the merge of its 60
 * seconds). A window reads whole minutes where it can and seconds at its edges: a 1 h window is
 * about 60 minute buckets plus at most 118 seconds. Buckets are named by their first epoch second.
 */
export const MINUTE_SECONDS = 60;

/** Buckets are kept this long past the horizon, so a window at the horizon's edge still finds them. */
const EXPIRY_SLACK_MS = 60_000;

/** When the bucket of `lengthSeconds` starting at `second` may be dropped (epoch ms). */
export const bucketExpiresAt = (second: number, lengthSeconds: number, horizonMs: number): number =>
  (second + lengthSeconds) * 1000 + horizonMs + EXPIRY_SLACK_MS;

export const minuteOf = (second: number): number =>
  Math.floor(second / MINUTE_SECONDS) * MINUTE_SECONDS;

export interface WindowBuckets {
  seconds: number[];
  minutes: number[];
}

/** The buckets of the window [fromMs, toMs): the seconds s with fromMs ≤ s·1000 < toMs. */
export function windowBuckets(fromMs: number, toMs: number): WindowBuckets {
  const first = Math.ceil(fromMs / 1000);
  const end = Math.ceil(toMs / 1000);
  const range = (from: number, to: number, step = 1) => {
    const out: number[] = [];
    for (let s = from; s < to; s += step) out.push(s);
    return out;
  };
  const firstMinute = Math.ceil(first / MINUTE_SECONDS) * MINUTE_SECONDS;
  const endMinute = minuteOf(end);
  if (firstMinute >= endMinute) return { seconds: range(first, end), minutes: [] };
  return {
    seconds: [...range(first, firstMinute), ...range(endMinute, end)],
    minutes: range(firstMinute, endMinute, MINUTE_SECONDS),
  };
}

export type SecondBuckets = Map<number, Map<string, BucketStats>>;

/** A series over a minute: its scalars and users merged over the minute's seconds. */
export interface MinuteSeries extends ScalarStats {
  users: ReadonlySet<string>;
}

/** A minute's seconds, and each series merged over them. */
export interface MinuteOfSeconds {
  series: Map<string, MinuteSeries>;
  seconds: [second: number, series: Map<string, BucketStats>][];
}

/** Per-second stats grouped by minute (keyed by its first second), in the order they come. */
export function groupByMinute(seconds: SecondBuckets): Map<number, MinuteOfSeconds> {
  const minutes = new Map<number, MinuteOfSeconds>();
  /** The users sets made here (the others are a second's, not to be changed) */
  const own = new Set<Set<string>>();
  for (const [second, series] of seconds) {
    const minute = minuteOf(second);
    let target = minutes.get(minute);
    if (!target) minutes.set(minute, (target = { series: new Map(), seconds: [] }));
    target.seconds.push([second, series]);
    for (const [id, stats] of series) {
      const merged = target.series.get(id);
      if (!merged) {
        // a minute of one second (the usual live write) shares that second's users
        const { count, valueCount, sum, min, max, users } = stats;
        target.series.set(id, { count, valueCount, sum, min, max, users });
        continue;
      }
      mergeScalars(merged, stats);
      if (stats.users.size === 0) continue;
      let users = merged.users as Set<string>;
      if (!own.has(users)) own.add((users = new Set(users)));
      for (const user of stats.users) users.add(user);
      merged.users = users;
    }
  }
  return minutes;
}
