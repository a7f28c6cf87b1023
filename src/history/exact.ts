import { PERCENTILES, type Aggregate } from '../events/metric.js';
import type { CellStats } from './series.js';

/** The q-quantile as ClickHouse's quantileExact defines it: the element at floor(q·n) of the sorted values. */
export function exactQuantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Exact statistics of a set of events for one aggregate (distinct users and percentiles included), as CellStats. */
export interface ExactStats {
  add(userId: string | null, value: number | null, micros: number): void;
  stats(): CellStats;
}

export function createExactStats(aggregate: Aggregate): ExactStats {
  let n = 0;
  let vn = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const users = new Set<string>();
  const values: number[] = [];
  const level = PERCENTILES[aggregate];

  const figure = (): number | null => {
    switch (aggregate) {
      case 'COUNT':
        return n;
      case 'SUM':
      case 'AVG':
        return sum;
      case 'MIN':
        return vn === 0 ? null : min;
      case 'MAX':
        return vn === 0 ? null : max;
      case 'UNIQUES':
        return users.size;
      default:
        return exactQuantile(
          values.sort((a, b) => a - b),
          level!,
        );
    }
  };

  return {
    add(userId, value, micros) {
      n += 1;
      if (userId !== null && aggregate === 'UNIQUES') users.add(userId);
      if (value === null) return;
      vn += 1;
      sum += micros;
      if (micros < min) min = micros;
      if (micros > max) max = micros;
      if (level !== undefined) values.push(value);
    },
    stats: () => ({ n, vn, v: figure() }),
  };
}
