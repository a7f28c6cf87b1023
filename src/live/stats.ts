import type { AnalyticsEvent } from '../events/event.js';
import type { BucketStats } from '../ports/live-windows.js';
import { addToSketch, mergeSketch, sketchKey } from './sketch.js';

/** Sums are kept in integer micro-units, so they add up exactly and in any order in every store. */
export const MICROS_PER_UNIT = 1_000_000;

/** A value (already rounded to 6 decimals) in integer micro-units. */
export const toMicros = (value: number): number => Math.round(value * MICROS_PER_UNIT);

/** The part of the stats every store keeps as plain numbers. */
export type ScalarStats = Pick<BucketStats, 'count' | 'valueCount' | 'sum' | 'min' | 'max'>;

export function emptyStats(): BucketStats {
  return {
    count: 0,
    valueCount: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
    users: new Set(),
    sketch: new Map(),
  };
}

export function addEvent(
  stats: BucketStats,
  event: Pick<AnalyticsEvent, 'userId' | 'value'>,
): void {
  stats.count++;
  if (event.userId !== null) stats.users.add(event.userId);
  if (event.value === null) return;
  stats.valueCount++;
  stats.sum += toMicros(event.value);
  if (event.value < stats.min) stats.min = event.value;
  if (event.value > stats.max) stats.max = event.value;
  addToSketch(stats.sketch, sketchKey(event.value));
}

export function mergeScalars(into: ScalarStats, from: ScalarStats): void {
  into.count += from.count;
  into.valueCount += from.valueCount;
  into.sum += from.sum;
  if (from.min < into.min) into.min = from.min;
  if (from.max > into.max) into.max = from.max;
}

export function mergeStats(into: BucketStats, from: BucketStats): void {
  mergeScalars(into, from);
  for (const user of from.users) into.users.add(user);
  mergeSketch(into.sketch, from.sketch);
}
