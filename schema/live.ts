import { Repeater, SlidingBuffer } from 'graphql-yoga';
import type { LiveFrame, WindowValue as WindowValueShape } from '../src/api/live-feed.js';
import { toWindowValues } from '../src/api/live-feed.js';
import { slidingWindow } from '../src/api/durations.js';
import { liveWindow, tickEvery, toMetric } from '../src/api/inputs.js';
import { builder } from './builder.js';
import { MetricInput } from './metric.js';

export const LIVE_COST = 20;

const WindowValue = builder.objectRef<WindowValueShape>('WindowValue').implement({
  fields: (t) => ({
    group: t.exposeString('group', {
      nullable: true,
      description: 'The dimension value; null without groupBy.',
    }),
    value: t.exposeFloat('value', { nullable: true }),
    windowStart: t.field({ type: 'DateTime', resolve: (v) => v.windowStart }),
    windowEnd: t.field({ type: 'DateTime', resolve: (v) => v.windowEnd }),
  }),
});

builder.queryField('live', (t) =>
  t.field({
    type: [WindowValue],
    description:
      'The sliding window ending now (`"1m"`: the last 60 seconds, the current second included), at one-second resolution.',
    extensions: { cost: LIVE_COST },
    args: {
      metric: t.arg({ type: MetricInput, required: true }),
      window: t.arg.string({ required: true, defaultValue: '1m' }),
    },
    async resolve(_root, args, context) {
      const metric = toMetric(args.metric, context.inputRules);
      const windowMs = liveWindow(args.window, context.services.live.horizonMs);
      const window = slidingWindow(context.clock(), windowMs);
      const [stats, freshness] = await Promise.all([
        context.services.live.read({
          tenant: context.tenant,
          metric,
          ...window,
          maxGroups: context.limits.MAX_GROUPS,
        }),
        context.freshness(),
      ]);
      context.response.freshness = freshness;
      return toWindowValues(stats, metric, window);
    },
  }),
);

builder.subscriptionField('live', (t) =>
  t.field({
    type: [WindowValue],
    description:
      'The sliding window, pushed every `every` while it changes (and once at the start). Subscribers of the same metric, window and cadence share one computation.',
    extensions: { cost: LIVE_COST },
    args: {
      metric: t.arg({ type: MetricInput, required: true }),
      window: t.arg.string({ required: true, defaultValue: '1m' }),
      every: t.arg.string({ required: true, defaultValue: '1s' }),
    },
    subscribe(_root, args, context) {
      const metric = toMetric(args.metric, context.inputRules);
      const windowMs = liveWindow(args.window, context.services.live.horizonMs);
      const everyMs = tickEvery(args.every);
      const subscription = { tenant: context.tenant, metric, windowMs, everyMs };
      // One slot: a slow client skips to the latest value instead of queueing every tick.
      return new Repeater<LiveFrame>(async (push, stop) => {
        const unsubscribe = context.liveFeed.subscribe(subscription, (frame) => void push(frame));
        await stop;
        unsubscribe();
      }, new SlidingBuffer(1));
    },
    resolve(frame: LiveFrame, _args, context) {
      if ('error' in frame) throw frame.error;
      context.response.freshness = frame.freshness;
      return frame.values;
    },
  }),
);
