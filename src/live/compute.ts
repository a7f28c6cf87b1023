import { PERCENTILES, type Aggregate, type Metric } from '../events/metric.js';
import type { WindowStats } from '../ports/live-windows.js';
import { MICROS_PER_UNIT } from './stats.js';
import { quantile } from './sketch.js';

/**
 * The value of an aggregate over a window's stats.
 * - COUNT: events (0 is a value: the group exists, nothing fell in the window).
 * - SUM, AVG, MIN, MAX: over `value`; null when no event carried one. SUM, MIN, MAX are exact
 *   (sums in integer micro-units, exact up to 2^53 µ ≈ 9·10^9 units per window).
 * - UNIQUES: distinct userIds by HyperLogLog (p = 14): standard error ≈ 0.81 %, so within 2 %
 *   for about 19 windows out of 20; exact-looking for a few users, where HLL counts almost
 *   without collisions.
 * - P50…P99: from the log-bucketed sketch: within 1 % relative error of the exact lower
 *   quantile (rank floor(q·(n − 1))), and never outside [MIN, MAX]; null without values.
 */
export function aggregateValue(stats: WindowStats, aggregate: Aggregate): number | null {
  if (aggregate === 'COUNT') return stats.count;
  if (aggregate === 'UNIQUES') return stats.uniques;
  if (stats.valueCount === 0) return null;
  switch (aggregate) {
    case 'SUM':
      return stats.sum / MICROS_PER_UNIT;
    case 'AVG':
      return stats.sum / MICROS_PER_UNIT / stats.valueCount;
    case 'MIN':
      return stats.min;
    case 'MAX':
      return stats.max;
    default: {
      const value = quantile(stats.sketch, PERCENTILES[aggregate]!);
      return value === null ? null : Math.min(stats.max, Math.max(stats.min, value));
    }
  }
}

export function emptyWindowStats(group: string | null): WindowStats {
  return {
    group,
    count: 0,
    valueCount: 0,
    sum: 0,
    min: Infinity,
    max: -Infinity,
    uniques: 0,
    sketch: new Map(),
  };
}

/**
 * The answer of a window read from its merged groups: the `maxGroups` largest by the metric's
 * value (nulls last, ties by group name). Without groupBy there is exactly one group, null,
 * present even when no event matched (COUNT 0).
 */
export function rankGroups(
  groups: WindowStats[],
  metric: Metric,
  maxGroups: number,
): WindowStats[] {
  if (metric.groupBy === null) return [groups[0] ?? emptyWindowStats(null)];
  const valued = groups.map((stats) => ({ stats, value: aggregateValue(stats, metric.aggregate) }));
  valued.sort((a, b) => {
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      return b.value - a.value;
    }
    return (a.stats.group ?? '') < (b.stats.group ?? '') ? -1 : 1;
  });
  return valued.slice(0, maxGroups).map((entry) => entry.stats);
}
