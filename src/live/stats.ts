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

/** What one event adds to each series it is counted in: computed once per event, not per series. */
export interface Contribution {
  userId: string | null;
  value: number | null;
  micros: number;
  sketchKey: number;
}

export function contributionOf(event: Pick<AnalyticsEvent, 'userId' | 'value'>): Contribution {
  const { userId, value } = event;
  return value === null
    ? { userId, value, micros: 0, sketchKey: 0 }
    : { userId, value, micros: toMicros(value), sketchKey: sketchKey(value) };
}

export function addContribution(stats: BucketStats, c: Contribution): void {
  stats.count++;
  if (c.userId !== null) stats.users.add(c.userId);
  if (c.value === null) return;
  stats.valueCount++;
  stats.sum += c.micros;
  if (c.value < stats.min) stats.min = c.value;
  if (c.value > stats.max) stats.max = c.value;
  addToSketch(stats.sketch, c.sketchKey);
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
