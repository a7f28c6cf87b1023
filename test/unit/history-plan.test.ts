import { describe, expect, it } from 'vitest';
import type { Aggregate, DimensionFilter } from '../../src/events/metric.js';
import {
  normalizeFilters,
  planHistoryQuery,
  type RollupCapabilities,
} from '../../src/history/plan.js';
import type { HistoryQuery } from '../../src/ports/history.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const ALL: RollupCapabilities = { minute: true, hour: true };

const query = (
  aggregate: Aggregate,
  intervalMs: number,
  filter: DimensionFilter[] = [],
  groupBy: string | null = null,
): HistoryQuery => ({
  tenant: 't',
  metric: { event: 'e', aggregate, filter, groupBy },
  fromMs: 0,
  toMs: 24 * HOUR,
  intervalMs,
  maxGroups: 5,
});

describe('planHistoryQuery', () => {
  it('reads COUNT/SUM/AVG/MIN/MAX from the minute rollup at whole minutes, the hour rollup at whole hours', () => {
    for (const aggregate of ['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'] as Aggregate[]) {
      expect(planHistoryQuery(query(aggregate, MIN), ALL).path).toBe('rollup_minute');
      expect(planHistoryQuery(query(aggregate, 5 * MIN), ALL).path).toBe('rollup_minute');
      expect(planHistoryQuery(query(aggregate, 90 * MIN), ALL).path).toBe('rollup_minute');
      expect(planHistoryQuery(query(aggregate, HOUR), ALL).path).toBe('rollup_hour');
      expect(planHistoryQuery(query(aggregate, 24 * HOUR), ALL).path).toBe('rollup_hour');
      const minuteOnly = { minute: true, hour: false };
      expect(planHistoryQuery(query(aggregate, HOUR), minuteOnly).path).toBe('rollup_minute');
      expect(planHistoryQuery(query(aggregate, 10_000), ALL).path).toBe('raw');
      expect(planHistoryQuery(query(aggregate, 90_000), ALL).path).toBe('raw');
    }
  });

  it('reads UNIQUES and percentiles from the hour rollup at whole-hour intervals only', () => {
    for (const aggregate of ['UNIQUES', 'P50', 'P90', 'P95', 'P99'] as Aggregate[]) {
      expect(planHistoryQuery(query(aggregate, HOUR), ALL).path).toBe('rollup_hour');
      expect(planHistoryQuery(query(aggregate, 24 * HOUR), ALL).path).toBe('rollup_hour');
      expect(planHistoryQuery(query(aggregate, 30 * MIN), ALL).path).toBe('raw');
      expect(planHistoryQuery(query(aggregate, HOUR), { minute: true, hour: false }).path).toBe(
        'raw',
      );
    }
  });

  it('uses a rollup for one dimension key at most, never for key ""', () => {
    const country = { key: 'country', in: ['us', 'de'] };
    const plan = planHistoryQuery(query('COUNT', MIN, [country], 'country'), ALL);
    expect(plan).toMatchObject({
      path: 'rollup_minute',
      slice: { key: 'country', values: ['de', 'us'] },
    });
    expect(planHistoryQuery(query('SUM', MIN, [], 'plan'), ALL)).toMatchObject({
      path: 'rollup_minute',
      slice: { key: 'plan', values: null },
    });
    expect(planHistoryQuery(query('COUNT', MIN), ALL)).toMatchObject({
      slice: { key: '', values: null },
    });
    expect(planHistoryQuery(query('COUNT', MIN, [country], 'plan'), ALL).path).toBe('raw');
    expect(planHistoryQuery(query('COUNT', HOUR, [country], 'plan'), ALL).path).toBe('raw');
    expect(
      planHistoryQuery(query('P99', HOUR, [country, { key: 'plan', in: ['pro'] }]), ALL).path,
    ).toBe('raw');
    expect(planHistoryQuery(query('COUNT', MIN, [{ key: '', in: [''] }]), ALL).path).toBe('raw');
    expect(planHistoryQuery(query('COUNT', MIN), { minute: false, hour: false }).path).toBe('raw');
  });

  it('aligns the range and knows when no value can pass the filters', () => {
    const plan = planHistoryQuery(
      { ...query('COUNT', HOUR), fromMs: HOUR + 1, toMs: 2 * HOUR + 1 },
      ALL,
    );
    expect(plan.range).toEqual({ fromMs: HOUR, toMs: 3 * HOUR, intervalMs: HOUR });
    expect(
      planHistoryQuery(query('COUNT', MIN, [{ key: 'a', in: ['x'] }]), ALL).matchesNothing,
    ).toBe(false);
    expect(
      planHistoryQuery(
        query('COUNT', MIN, [
          { key: 'a', in: ['x'] },
          { key: 'a', in: ['y'] },
        ]),
        ALL,
      ).matchesNothing,
    ).toBe(true);
    expect(planHistoryQuery(query('COUNT', MIN, [{ key: 'a', in: [] }]), ALL).matchesNothing).toBe(
      true,
    );
    expect(() => planHistoryQuery(query('COUNT', 1500), ALL)).toThrow(RangeError);
  });
});

describe('normalizeFilters', () => {
  it('intersects filters on the same key, dedupes and sorts', () => {
    expect(
      normalizeFilters([
        { key: 'b', in: ['2', '1', '1'] },
        { key: 'a', in: ['x', 'y', 'z'] },
        { key: 'a', in: ['z', 'y', 'w'] },
      ]),
    ).toEqual([
      { key: 'a', in: ['y', 'z'] },
      { key: 'b', in: ['1', '2'] },
    ]);
  });
});
