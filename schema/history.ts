import type { SeriesEvent, SeriesUpdate as SeriesUpdateShape } from '../src/api/series-feed.js';
import { badUserInput } from '../src/api/errors.js';
import { bucketRange, historyInterval, toMetric } from '../src/api/inputs.js';
import type { HistorySeries } from '../src/ports/history.js';
import { builder } from './builder.js';
import { MetricInput, Point } from './metric.js';

/** Store-backed fields weigh more in the operation cost (src/api/query-limits.ts). */
export const HISTORY_COST = 50;
const MAX_EVENT_NAMES = 1000;

const Series = builder.objectRef<HistorySeries>('Series').implement({
  fields: (t) => ({
    group: t.exposeString('group', {
      nullable: true,
      description: 'The dimension value; null without groupBy.',
    }),
    points: t.field({ type: [Point], resolve: (s) => s.points }),
  }),
});

const SeriesUpdate = builder.objectRef<SeriesUpdateShape>('SeriesUpdate').implement({
  fields: (t) => ({
    group: t.exposeString('group', { nullable: true }),
    point: t.field({ type: Point, resolve: (u) => u.point }),
    final: t.exposeBoolean('final', {
      description: 'The bucket is closed: this value will not change.',
    }),
  }),
});

builder.queryField('history', (t) =>
  t.field({
    type: [Series],
    description:
      'Tumbling buckets [from, to) of size `interval`, oldest first, every bucket present (value null if empty). `from` is rounded down and `to` (default: now) up to a bucket boundary; buckets are whole multiples of `interval` since the epoch.',
    extensions: { cost: HISTORY_COST },
    args: {
      metric: t.arg({ type: MetricInput, required: true }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime' }),
      interval: t.arg.string({ required: true, defaultValue: '1m' }),
    },
    async resolve(_root, args, context, info) {
      const metric = toMetric(args.metric, context.inputRules);
      const intervalMs = historyInterval(args.interval);
      const range = bucketRange(
        args.from,
        args.to ?? context.clock(),
        intervalMs,
        context.limits.MAX_BUCKETS,
      );
      const [result, freshness] = await Promise.all([
        context.history.load({
          tenant: context.tenant,
          metric,
          ...range,
          maxGroups: context.limits.MAX_GROUPS,
        }),
        context.freshness(),
      ]);
      context.response.freshness = freshness;
      context.response.historyPaths.set(info.path.key.toString(), result.path);
      return result.series;
    },
  }),
);

builder.queryField('eventNames', (t) =>
  t.field({
    type: ['String'],
    description: 'Event names this tenant has sent, most recent first.',
    extensions: { cost: 5 },
    args: { limit: t.arg.int({ defaultValue: 100 }) },
    resolve(_root, args, context) {
      const limit = args.limit ?? 100;
      if (limit < 1 || limit > MAX_EVENT_NAMES)
        throw badUserInput(`limit must be between 1 and ${MAX_EVENT_NAMES}`, { argument: 'limit' });
      return context.services.history.eventNames(context.tenant, limit);
    },
  }),
);

builder.subscriptionField('series', (t) =>
  t.field({
    type: SeriesUpdate,
    description:
      'History first, then live: every closed bucket since `since` (final: true), then updates of the open bucket (final: false) and each new bucket as it opens; a bucket is sent final once it has closed and history holds all of it. No gap and no double count between the history part and the live part.',
    extensions: { cost: HISTORY_COST },
    args: {
      metric: t.arg({ type: MetricInput, required: true }),
      since: t.arg({ type: 'DateTime', required: true }),
      interval: t.arg.string({ required: true, defaultValue: '1m' }),
    },
    subscribe(_root, args, context) {
      const metric = toMetric(args.metric, context.inputRules);
      const intervalMs = historyInterval(args.interval);
      const now = context.clock();
      if (args.since > now)
        throw badUserInput('since must not be in the future', { argument: 'since' });
      bucketRange(args.since, now + 1, intervalMs, context.limits.MAX_BUCKETS, {
        from: 'since',
        to: 'now',
        interval: 'interval',
      });
      return context.seriesFeed.subscribe({
        tenant: context.tenant,
        metric,
        sinceMs: args.since,
        intervalMs,
      });
    },
    resolve(event: SeriesEvent, _args, context) {
      if ('error' in event) throw event.error;
      context.response.freshness = event.freshness;
      return event.update;
    },
  }),
);
