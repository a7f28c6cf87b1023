import type { BucketStats } from '../ports/live-windows.js';
import { emptyStats, mergeStats } from './stats.js';

/**
 * Two bucket levels keep long windows cheap: every second, and every minute (the merge of its 60
 * seconds, written in the same atomic step). A window reads whole minutes where it can and
 * seconds at its edges: a 1 h window is about 60 minute buckets plus at most 118 seconds.
 * Buckets are named by their first epoch second.
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

/** The minute buckets of per-second stats: each series' stats merged over the minute's seconds. */
export function rollUpMinutes(seconds: SecondBuckets): SecondBuckets {
  const minutes: SecondBuckets = new Map();
  for (const [second, series] of seconds) {
    const minute = minuteOf(second);
    let target = minutes.get(minute);
    if (!target) minutes.set(minute, (target = new Map()));
    for (const [id, stats] of series) {
      let merged = target.get(id);
      if (!merged) target.set(id, (merged = emptyStats()));
      mergeStats(merged, stats);
    }
  }
  return minutes;
}
