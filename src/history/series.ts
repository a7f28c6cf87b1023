import type { Aggregate } from '../events/metric.js';
import type { HistorySeries } from '../ports/history.js';
import { bucketStarts, type BucketRange } from './range.js';
import { fromMicros } from './micros.js';

/**
 * What a store reads for one (group, bucket) or one group over the whole range: the number of
 * events, how many carried a value, and the aggregate's own figure `v`: the count; the sum (SUM,
 * AVG), min or max in integer micro-units (exact in every store); distinct users; the percentile.
 */
export interface CellStats {
  n: number;
  vn: number;
  v: number | null;
}

export interface Cell extends CellStats {
  group: string | null;
  /** Bucket start, epoch ms. */
  time: number;
}

/**
 * The metric's value. Null where no event fell (every aggregate), and for SUM, AVG, MIN, MAX and
 * the percentiles where no event carried a value. UNIQUES counts distinct non-null user ids (0
 * when events fell but none carried one).
 */
export function metricValue(aggregate: Aggregate, { n, vn, v }: CellStats): number | null {
  if (n === 0) return null;
  switch (aggregate) {
    case 'COUNT':
      return n;
    case 'UNIQUES':
      return v ?? 0;
    case 'SUM':
    case 'MIN':
    case 'MAX':
      return vn === 0 || v === null ? null : fromMicros(v);
    case 'AVG':
      return vn === 0 || v === null ? null : fromMicros(v) / vn;
    default:
      return vn === 0 ? null : v;
  }
}

/** Order of groups: the largest metric first, groups without a value last, then by name. */
export function compareGroups(
  a: { group: string; value: number | null },
  b: { group: string; value: number | null },
): number {
  if (a.value !== b.value) {
    if (a.value === null) return 1;
    if (b.value === null) return -1;
    return b.value - a.value;
  }
  return a.group < b.group ? -1 : a.group > b.group ? 1 : 0;
}

/** The `maxGroups` largest groups by their metric over the whole range, in that order. */
export function topGroups(
  aggregate: Aggregate,
  totals: Map<string, CellStats>,
  maxGroups: number,
): string[] {
  return [...totals]
    .map(([group, stats]) => ({ group, value: metricValue(aggregate, stats) }))
    .sort(compareGroups)
    .slice(0, Math.max(0, maxGroups))
    .map((entry) => entry.group);
}

/**
 * One series per group, in the given order, every bucket of the range present (null where no
 * cell). Cells of groups not listed are ignored. Without groupBy the only group is null.
 */
export function assembleSeries(
  aggregate: Aggregate,
  range: BucketRange,
  groups: (string | null)[],
  cells: Iterable<Cell>,
): HistorySeries[] {
  const starts = bucketStarts(range);
  const values = new Map<string | null, (number | null)[]>(
    groups.map((group) => [group, starts.map(() => null)]),
  );
  for (const cell of cells) {
    const points = values.get(cell.group);
    const index = (cell.time - range.fromMs) / range.intervalMs;
    if (points && Number.isInteger(index) && index >= 0 && index < starts.length)
      points[index] = metricValue(aggregate, cell);
  }
  return groups.map((group) => ({
    group,
    points: starts.map((time, i) => ({ time, value: values.get(group)![i]! })),
  }));
}

/** The answer when nothing matches: one empty series without groupBy, no series with it. */
export const emptySeries = (
  aggregate: Aggregate,
  range: BucketRange,
  groupBy: string | null,
): HistorySeries[] => (groupBy === null ? assembleSeries(aggregate, range, [null], []) : []);
