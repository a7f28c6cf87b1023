import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  bucketRange,
  historyInterval,
  liveWindow,
  metricKey,
  tickEvery,
  toMetric,
  type InputRules,
} from '../../src/api/inputs.js';

const rules: InputRules = {
  maxNameLength: 20,
  maxDimensionKeyLength: 10,
  maxDimensionValueLength: 8,
  maxDimensions: 3,
  maxFilterValues: 4,
};

function refusal(work: () => unknown): Record<string, unknown> {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return { message: (error as GraphQLError).message, ...(error as GraphQLError).extensions };
  }
  throw new Error('expected a refusal');
}

describe('MetricInput -> Metric', () => {
  it('normalises equals to in, sorts filters and values, drops duplicate values', () => {
    const metric = toMetric(
      {
        event: 'buy',
        aggregate: 'SUM',
        filter: [
          { key: 'plan', in: ['pro', 'free', 'pro'] },
          { key: 'country', equals: 'FR' },
        ],
        groupBy: 'page',
      },
      rules,
    );
    expect(metric).toEqual({
      event: 'buy',
      aggregate: 'SUM',
      filter: [
        { key: 'country', in: ['FR'] },
        { key: 'plan', in: ['free', 'pro'] },
      ],
      groupBy: 'page',
    });
    const same = toMetric(
      {
        event: 'buy',
        aggregate: 'SUM',
        filter: [
          { key: 'country', in: ['FR'] },
          { key: 'plan', in: ['free', 'pro'] },
        ],
        groupBy: 'page',
      },
      rules,
    );
    expect(metricKey(same)).toBe(metricKey(metric));
    expect(toMetric({ event: 'buy', aggregate: 'COUNT' }, rules)).toEqual({
      event: 'buy',
      aggregate: 'COUNT',
      filter: [],
      groupBy: null,
    });
  });

  it('says what is wrong and where', () => {
    const metric = (input: object) =>
      refusal(() => toMetric({ event: 'e', aggregate: 'COUNT', ...input }, rules));
    expect(metric({ event: '' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'metric.event',
    });
    expect(metric({ event: 'x'.repeat(21) })).toMatchObject({ argument: 'metric.event' });
    expect(metric({ event: 'a\nb' })).toMatchObject({ argument: 'metric.event' });
    expect(metric({ filter: [{ key: 'k' }] })).toMatchObject({ argument: 'metric.filter[0]' });
    expect(metric({ filter: [{ key: 'k', equals: 'a', in: ['a'] }] })).toMatchObject({
      argument: 'metric.filter[0]',
    });
    expect(metric({ filter: [{ key: 'k', in: [] }] })).toMatchObject({
      argument: 'metric.filter[0].in',
    });
    expect(metric({ filter: [{ key: 'k', in: ['a', 'b', 'c', 'd', 'e'] }] })).toMatchObject({
      argument: 'metric.filter[0].in',
    });
    expect(metric({ filter: [{ key: 'k', in: ['ok', 'toolongvalue'] }] })).toMatchObject({
      argument: 'metric.filter[0].in[1]',
    });
    expect(metric({ filter: [{ key: "k'--", equals: 'a' }] })).toMatchObject({
      argument: 'metric.filter[0].key',
    });
    expect(metric({ filter: [1, 2, 3, 4].map(() => ({ key: 'k', equals: 'a' })) })).toMatchObject({
      argument: 'metric.filter',
    });
    expect(metric({ groupBy: '1abc' })).toMatchObject({ argument: 'metric.groupBy' });
  });
});

describe('durations as arguments', () => {
  it('history intervals: whole minutes from 1m', () => {
    expect(historyInterval('1m')).toBe(60_000);
    expect(historyInterval('90m')).toBe(5_400_000);
    expect(historyInterval('1d')).toBe(86_400_000);
    expect(refusal(() => historyInterval('30s'))).toMatchObject({ argument: 'interval' });
    expect(refusal(() => historyInterval('90s'))).toMatchObject({ argument: 'interval' });
    expect(refusal(() => historyInterval('1 m'))).toMatchObject({ argument: 'interval' });
  });

  it('live windows within the horizon, ticks up to an hour', () => {
    expect(liveWindow('1s', 3_900_000)).toBe(1000);
    expect(liveWindow('1h', 3_900_000)).toBe(3_600_000);
    expect(refusal(() => liveWindow('2h', 3_900_000))).toMatchObject({ argument: 'window' });
    expect(tickEvery('1s')).toBe(1000);
    expect(refusal(() => tickEvery('2h'))).toMatchObject({ argument: 'every' });
  });

  it('bucket ranges: from down, to up, refused above the bucket limit before any query', () => {
    const m = 60_000;
    expect(bucketRange(90_000, 150_001, m, 10)).toEqual({
      fromMs: 60_000,
      toMs: 180_000,
      intervalMs: m,
    });
    expect(refusal(() => bucketRange(0, 11 * m, m, 10))).toMatchObject({
      limit: 'MAX_BUCKETS',
      max: 10,
      argument: 'interval',
    });
    expect(refusal(() => bucketRange(5 * m, 5 * m, m, 10))).toMatchObject({ argument: 'to' });
    expect(refusal(() => bucketRange(0, Date.UTC(2024, 0, 1), m, 10_000)).message).toMatch(
      /buckets/,
    );
  });
});
