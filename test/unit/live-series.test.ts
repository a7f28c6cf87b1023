import { describe, expect, it } from 'vitest';
import type { Metric } from '../../src/events/metric.js';
import {
  knownSeries,
  planSeries,
  seriesMatcher,
  seriesOf,
  TOTAL_SERIES,
} from '../../src/live/series.js';
import { pick, seededRandom } from '../support/random.js';

const metric = (filter: Metric['filter'], groupBy: string | null = null): Metric => ({
  event: 'e',
  aggregate: 'COUNT',
  filter,
  groupBy,
});

describe('seriesOf', () => {
  it('gives the total alone for an event without dimensions', () => {
    expect(seriesOf({})).toEqual([TOTAL_SERIES]);
  });

  it('gives the total and the dimension for one dimension (the combination would repeat it)', () => {
    expect(seriesOf({ country: 'DE' })).toEqual(['', 'country=DE']);
  });

  it('gives total, each dimension and the sorted combination, whatever the key order', () => {
    const expected = ['', 'a=1', 'b=2', 'c=3', 'a=1&b=2&c=3'];
    expect(seriesOf({ c: '3', a: '1', b: '2' })).toEqual(expected);
    expect(seriesOf({ b: '2', c: '3', a: '1' })).toEqual(expected);
  });

  it('encodes separators and braces so they cannot collide', () => {
    const ids = seriesOf({ 'a=b': 'c&d', x: '{y}' });
    expect(ids).toEqual(['', 'a%3Db=c%26d', 'x=%7By%7D', 'a%3Db=c%26d&x=%7By%7D']);
    expect(seriesOf({ a: 'b=c' })).not.toEqual(seriesOf({ 'a=b': 'c' }));
  });
});

describe('planSeries', () => {
  it('uses the total without filter or groupBy', () => {
    expect(planSeries(metric([]))).toEqual({ family: 'total' });
  });

  it('uses one dimension when filters and groupBy name a single key', () => {
    expect(planSeries(metric([], 'plan'))).toEqual({ family: 'dimension', key: 'plan' });
    expect(planSeries(metric([{ key: 'plan', in: ['a', 'b'] }], 'plan'))).toEqual({
      family: 'dimension',
      key: 'plan',
    });
    expect(
      planSeries(
        metric([
          { key: 'plan', in: ['a'] },
          { key: 'plan', in: ['a', 'b'] },
        ]),
      ),
    ).toEqual({
      family: 'dimension',
      key: 'plan',
    });
  });

  it('uses the combination for two or more keys', () => {
    expect(planSeries(metric([{ key: 'plan', in: ['a'] }], 'country'))).toEqual({
      family: 'combination',
    });
    expect(
      planSeries(
        metric([
          { key: 'a', in: ['1'] },
          { key: 'b', in: ['2'] },
        ]),
      ),
    ).toEqual({ family: 'combination' });
  });
});

describe('knownSeries', () => {
  it('names the total, and a filtered dimension by its allowed values', () => {
    expect(knownSeries(metric([]))).toEqual(['']);
    expect(knownSeries(metric([{ key: 'k&', in: ['a', 'b=', 'a'] }], 'k&'))).toEqual([
      'k%26=a',
      'k%26=b%3D',
    ]);
    expect(
      knownSeries(
        metric([
          { key: 'k', in: ['a', 'b'] },
          { key: 'k', in: ['b', 'c'] },
        ]),
      ),
    ).toEqual(['k=b']);
  });

  it('cannot name the series of a groupBy alone or of a combination', () => {
    expect(knownSeries(metric([], 'k'))).toBeNull();
    expect(knownSeries(metric([{ key: 'a', in: ['1'] }], 'b'))).toBeNull();
  });
});

describe('seriesMatcher', () => {
  it('matches only the total series without filter or groupBy', () => {
    const match = seriesMatcher(metric([]));
    expect(match('')).toBeNull();
    expect(match('a=1')).toBeUndefined();
    expect(match('a=1&b=2')).toBeUndefined();
  });

  it('matches dimension series of the key, filtered, grouped by the decoded value', () => {
    const match = seriesMatcher(metric([{ key: 'k=1', in: ['x&y', 'z'] }], 'k=1'));
    const [, id] = seriesOf({ 'k=1': 'x&y' });
    expect(match(id!)).toBe('x&y');
    expect(match(seriesOf({ 'k=1': 'other' })[1]!)).toBeUndefined();
    expect(match('')).toBeUndefined();
    expect(match(seriesOf({ 'k=1': 'z', b: '1' })[3]!)).toBeUndefined();
  });

  it('intersects filters on the same key', () => {
    const match = seriesMatcher(
      metric([
        { key: 'a', in: ['1', '2'] },
        { key: 'a', in: ['2', '3'] },
      ]),
    );
    expect(match('a=1')).toBeUndefined();
    expect(match('a=2')).toBeNull();
  });

  it('answers every metric exactly: each matching event counted once in its group, others never', () => {
    const random = seededRandom(7);
    const keys = ['country', 'plan', 'device', 'k&=%'];
    const values = ['a', 'b', 'c=', '{d}'];
    const events = Array.from({ length: 400 }, () => {
      const dimensions: Record<string, string> = {};
      for (const key of keys) if (random() < 0.6) dimensions[key] = pick(random, values);
      return dimensions;
    });
    const wrong: string[] = [];
    for (let m = 0; m < 300; m++) {
      const filter = Array.from({ length: Math.floor(random() * 3) }, () => ({
        key: pick(random, keys),
        in: values.filter(() => random() < 0.5),
      }));
      const groupBy = random() < 0.5 ? pick(random, keys) : null;
      const match = seriesMatcher(metric(filter, groupBy));
      for (const dimensions of events) {
        const passes = filter.every((f) => f.in.includes(dimensions[f.key] as string));
        const expected = !passes ? undefined : groupBy === null ? null : dimensions[groupBy];
        const hits = seriesOf(dimensions)
          .map(match)
          .filter((group) => group !== undefined);
        const want = expected === undefined ? [] : [expected];
        if (JSON.stringify(hits) !== JSON.stringify(want))
          wrong.push(`${JSON.stringify({ filter, groupBy, dimensions })}: ${JSON.stringify(hits)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
