import { describe, expect, it } from 'vitest';
import type { Aggregate, Metric } from '../../src/events/metric.js';
import { aggregateValue, emptyWindowStats, rankGroups } from '../../src/live/compute.js';
import { addContribution, contributionOf, emptyStats } from '../../src/live/stats.js';
import type { WindowStats } from '../../src/ports/live-windows.js';

function windowOf(
  values: (number | null)[],
  group: string | null = null,
  uniques = 0,
): WindowStats {
  const stats = emptyStats();
  for (const value of values) addContribution(stats, contributionOf({ userId: null, value }));
  const { users: _users, ...rest } = stats;
  return { ...rest, group, uniques };
}

const metric = (aggregate: Aggregate, groupBy: string | null = 'g'): Metric => ({
  event: 'e',
  aggregate,
  filter: [],
  groupBy,
});

describe('aggregateValue', () => {
  const stats = windowOf([0.1, 0.2, null, 5, -1.5, 100.000001], null, 3);

  it('computes COUNT, SUM, AVG, MIN, MAX exactly from integer micro-units', () => {
    expect(aggregateValue(stats, 'COUNT')).toBe(6);
    expect(aggregateValue(stats, 'SUM')).toBe(103.800001);
    expect(aggregateValue(stats, 'AVG')).toBeCloseTo(103.800001 / 5, 12);
    expect(aggregateValue(stats, 'MIN')).toBe(-1.5);
    expect(aggregateValue(stats, 'MAX')).toBe(100.000001);
    expect(aggregateValue(windowOf([0.1, 0.2]), 'SUM')).toBe(0.3);
  });

  it('passes UNIQUES through', () => {
    expect(aggregateValue(stats, 'UNIQUES')).toBe(3);
  });

  it('computes percentiles within 1 % and inside [MIN, MAX]', () => {
    const values = Array.from({ length: 1001 }, (_, i) => i + 1);
    const window = windowOf(values);
    expect(Math.abs(aggregateValue(window, 'P50')! - 501)).toBeLessThanOrEqual(5.01);
    expect(Math.abs(aggregateValue(window, 'P99')! - 991)).toBeLessThanOrEqual(9.91);
    expect(aggregateValue(windowOf([7.25, 7.25]), 'P90')).toBe(7.25);
  });

  it('gives COUNT 0 and nulls for value aggregates when there is nothing', () => {
    const empty = emptyWindowStats('x');
    expect(aggregateValue(empty, 'COUNT')).toBe(0);
    expect(aggregateValue(empty, 'UNIQUES')).toBe(0);
    for (const aggregate of ['SUM', 'AVG', 'MIN', 'MAX', 'P50', 'P95'] as const)
      expect(aggregateValue(windowOf([null, null]), aggregate)).toBeNull();
  });
});

describe('rankGroups', () => {
  const groups = [
    windowOf([1], 'a'),
    windowOf([1, 2, 3], 'b'),
    windowOf([null, null], 'c'),
    windowOf([5, 5], 'd'),
  ];

  it('keeps the largest groups by the metric, nulls last, ties by name', () => {
    expect(rankGroups(groups, metric('COUNT'), 3).map((g) => g.group)).toEqual(['b', 'c', 'd']);
    expect(rankGroups(groups, metric('SUM'), 10).map((g) => g.group)).toEqual(['d', 'b', 'a', 'c']);
    expect(rankGroups(groups, metric('MIN'), 2).map((g) => g.group)).toEqual(['d', 'a']);
  });

  it('answers one null group without groupBy, even when nothing matched', () => {
    expect(rankGroups([], metric('COUNT', null), 5)).toEqual([emptyWindowStats(null)]);
    const only = windowOf([1]);
    expect(rankGroups([only], metric('COUNT', null), 5)).toEqual([only]);
  });
});
