import { describe, expect, it } from 'vitest';
import { createExactStats, exactQuantile } from '../../src/history/exact.js';
import { fromMicros, toMicros } from '../../src/history/micros.js';
import { alignRange, bucketStarts } from '../../src/history/range.js';
import { assembleSeries, emptySeries, metricValue, topGroups } from '../../src/history/series.js';

const MIN = 60_000;
const DAY = 86_400_000;

describe('alignRange', () => {
  it('rounds from down and to up to multiples of the interval since the epoch', () => {
    expect(alignRange({ fromMs: 7 * MIN + 1, toMs: 11 * MIN + 1, intervalMs: 5 * MIN })).toEqual({
      fromMs: 5 * MIN,
      toMs: 15 * MIN,
      intervalMs: 5 * MIN,
    });
    const day = Date.UTC(2024, 0, 2);
    expect(alignRange({ fromMs: day + 3_600_000, toMs: day + 1, intervalMs: DAY })).toEqual({
      fromMs: day,
      toMs: day + DAY,
      intervalMs: DAY,
    });
    expect(alignRange({ fromMs: 10 * MIN, toMs: 5 * MIN, intervalMs: MIN }).toMs).toBe(10 * MIN);
    expect(bucketStarts({ fromMs: 0, toMs: 3 * MIN, intervalMs: MIN })).toEqual([0, MIN, 2 * MIN]);
  });

  it('refuses intervals that are not whole seconds', () => {
    for (const bad of [0, -1000, 999, 1500, Number.NaN])
      expect(() => alignRange({ fromMs: 0, toMs: 1, intervalMs: bad })).toThrow(RangeError);
  });
});

describe('metricValue', () => {
  it('is null without events, and without values for value aggregates', () => {
    expect(metricValue('COUNT', { n: 0, vn: 0, v: 0 })).toBeNull();
    expect(metricValue('COUNT', { n: 3, vn: 0, v: 3 })).toBe(3);
    expect(metricValue('UNIQUES', { n: 3, vn: 0, v: 0 })).toBe(0);
    for (const aggregate of ['SUM', 'AVG', 'MIN', 'MAX', 'P50'] as const)
      expect(metricValue(aggregate, { n: 3, vn: 0, v: 0 })).toBeNull();
  });

  it('reads sums, minima and maxima in micro-units', () => {
    expect(metricValue('SUM', { n: 2, vn: 2, v: 3_500_001 })).toBe(3.500001);
    expect(metricValue('AVG', { n: 3, vn: 2, v: 3_000_000 })).toBe(1.5);
    expect(metricValue('MIN', { n: 1, vn: 1, v: -250_000 })).toBe(-0.25);
    expect(metricValue('P90', { n: 1, vn: 1, v: 12.5 })).toBe(12.5);
    expect(fromMicros(toMicros(0.1) + toMicros(0.2))).toBe(0.3);
  });
});

describe('topGroups', () => {
  it('keeps the largest by the metric, groups without a value last, ties by name', () => {
    const totals = new Map([
      ['b', { n: 5, vn: 1, v: 2_000_000 }],
      ['a', { n: 5, vn: 1, v: 2_000_000 }],
      ['c', { n: 9, vn: 0, v: 0 }],
      ['d', { n: 1, vn: 1, v: 9_000_000 }],
    ]);
    expect(topGroups('SUM', totals, 10)).toEqual(['d', 'a', 'b', 'c']);
    expect(topGroups('SUM', totals, 2)).toEqual(['d', 'a']);
    expect(topGroups('COUNT', totals, 2)).toEqual(['c', 'a']);
    expect(topGroups('COUNT', totals, 0)).toEqual([]);
  });
});

describe('assembleSeries', () => {
  it('fills every bucket, in the given group order, ignoring other groups', () => {
    const range = { fromMs: 0, toMs: 3 * MIN, intervalMs: MIN };
    const series = assembleSeries(
      'COUNT',
      range,
      ['y', 'x'],
      [
        { group: 'x', time: MIN, n: 2, vn: 0, v: 2 },
        { group: 'y', time: 0, n: 1, vn: 0, v: 1 },
        { group: 'z', time: 0, n: 7, vn: 0, v: 7 },
      ],
    );
    expect(series).toEqual([
      {
        group: 'y',
        points: [
          { time: 0, value: 1 },
          { time: MIN, value: null },
          { time: 2 * MIN, value: null },
        ],
      },
      {
        group: 'x',
        points: [
          { time: 0, value: null },
          { time: MIN, value: 2 },
          { time: 2 * MIN, value: null },
        ],
      },
    ]);
    expect(emptySeries('SUM', range, null)).toEqual([
      { group: null, points: [0, MIN, 2 * MIN].map((time) => ({ time, value: null })) },
    ]);
    expect(emptySeries('SUM', range, 'country')).toEqual([]);
  });
});

describe('exact statistics', () => {
  it('computes quantiles as quantileExact does: element floor(q·n) of the sorted values', () => {
    expect(exactQuantile([], 0.5)).toBeNull();
    expect(exactQuantile([1, 2, 3, 4], 0.5)).toBe(3);
    expect(exactQuantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(exactQuantile([7], 0.9)).toBe(7);
  });

  it('counts distinct non-null users and keeps value figures in micro-units', () => {
    const events: [string | null, number | null][] = [
      ['a', 1.5],
      ['a', null],
      [null, -2],
      ['b', 4.25],
    ];
    const stats = (aggregate: Parameters<typeof createExactStats>[0]) => {
      const s = createExactStats(aggregate);
      for (const [user, value] of events) s.add(user, value, value === null ? 0 : toMicros(value));
      return s.stats();
    };
    expect(stats('UNIQUES')).toEqual({ n: 4, vn: 3, v: 2 });
    expect(stats('SUM')).toEqual({ n: 4, vn: 3, v: 3_750_000 });
    expect(stats('MIN')).toEqual({ n: 4, vn: 3, v: -2_000_000 });
    expect(stats('MAX')).toEqual({ n: 4, vn: 3, v: 4_250_000 });
    expect(stats('P50')).toEqual({ n: 4, vn: 3, v: 1.5 });
  });
});
