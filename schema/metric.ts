import { AGGREGATES, type Aggregate as AggregateName } from '../src/events/metric.js';
import type { SeriesPoint } from '../src/api/series-feed.js';
import { builder } from './builder.js';

const descriptions: Record<AggregateName, string> = {
  COUNT: 'Events.',
  SUM: 'Sum of `value`.',
  AVG: 'Mean of `value`.',
  MIN: 'Least `value`.',
  MAX: 'Greatest `value`.',
  UNIQUES: 'Distinct `userId` (HyperLogLog estimate).',
  P50: 'Median of `value` (within 1 % relative error).',
  P90: '90th percentile of `value` (within 1 % relative error).',
  P95: '95th percentile of `value` (within 1 % relative error).',
  P99: '99th percentile of `value` (within 1 % relative error).',
};

export const Aggregate = builder.enumType('Aggregate', {
  values: Object.fromEntries(
    AGGREGATES.map((name) => [name, { description: descriptions[name] }]),
  ) as Record<AggregateName, { description: string }>,
});

export const DimensionFilter = builder.inputType('DimensionFilter', {
  description:
    'The dimension `key` has one of the given values. Give exactly one of `equals` and `in`.',
  fields: (t) => ({
    key: t.string({ required: true }),
    equals: t.string(),
    in: t.stringList(),
  }),
});

export const MetricInput = builder.inputType('MetricInput', {
  description:
    'An aggregate over the events of one name, optionally filtered and grouped by one dimension.',
  fields: (t) => ({
    event: t.string({ required: true, description: 'The event name.' }),
    aggregate: t.field({ type: Aggregate, required: true, defaultValue: 'COUNT' }),
    filter: t.field({ type: [DimensionFilter], description: 'All must hold.' }),
    groupBy: t.string({
      description: 'A dimension key: one series (or one value) per value of that dimension.',
    }),
  }),
});

export const Point = builder.objectRef<SeriesPoint>('Point').implement({
  fields: (t) => ({
    time: t.field({ type: 'DateTime', description: 'The bucket start.', resolve: (p) => p.time }),
    value: t.exposeFloat('value', {
      nullable: true,
      description: 'Null where the bucket holds no data.',
    }),
  }),
});
