// The fold against real Kafka, Redis and ClickHouse: events go in through the ingestor or straight
// into the topic; live windows and history must equal a ground truth computed here, for every
// aggregate, with filters, groupBy, late events, repeated ids, lookups and several tenants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventLimitsFrom } from '../../src/events/validate.js';
import { AGGREGATES, type Aggregate, type Metric } from '../../src/events/metric.js';
import { createIngestor } from '../../src/ingest/ingestor.js';
import { aggregateValue } from '../../src/live/compute.js';
import type { EventLogProducer } from '../../src/ports/event-log.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { singleBucket, tenantKeys } from '../support/generator.js';
import { testKafka, waitFor } from '../support/services.js';

interface Input {
  id?: string;
  name: string;
  timestamp: string;
  userId?: string;
  value?: number;
  dimensions?: Record<string, string>;
}

let app: TestApp;
let producer: EventLogProducer;
const now = Date.now();
const minuteStart = Math.floor(now / 60_000) * 60_000 - 5 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  app = await startTestApp({ API_KEYS: tenantKeys(), MAX_MESSAGE_BYTES: '65536' });
  producer = app.engines.log.producer();
});
afterAll(async () => {
  await producer?.close();
  await app?.stop();
});

function ingestor() {
  return createIngestor({
    producer,
    topic: app.topic,
    limits: eventLimitsFrom(app.config.fold),
    maxBatch: 1000,
    maxMessageBytes: 64 * 1024,
  });
}

/** The expected value of `aggregate` over `events`, as API.md defines it. */
function expected(events: Input[], aggregate: Aggregate): number | null {
  const values = events.flatMap((e) => (e.value === undefined ? [] : [e.value]));
  const sorted = [...values].sort((a, b) => a - b);
  switch (aggregate) {
    case 'COUNT':
      return events.length;
    case 'SUM':
      return values.length ? values.reduce((sum, v) => sum + Math.round(v * 1e6), 0) / 1e6 : null;
    case 'AVG':
      return values.length
        ? values.reduce((sum, v) => sum + Math.round(v * 1e6), 0) / 1e6 / values.length
        : null;
    case 'MIN':
      return values.length ? sorted[0]! : null;
    case 'MAX':
      return values.length ? sorted[sorted.length - 1]! : null;
    case 'UNIQUES':
      return new Set(events.flatMap((e) => (e.userId ? [e.userId] : []))).size;
    default: {
      const q = { P50: 0.5, P90: 0.9, P95: 0.95, P99: 0.99 }[aggregate];
      return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
    }
  }
}

async function liveValues(tenant: string, metric: Metric) {
  const stats = await app.engines.live.read({
    tenant,
    metric,
    fromMs: minuteStart - 3_600_000,
    toMs: now + 60_000,
    maxGroups: 50,
  });
  return new Map(stats.map((s) => [s.group, aggregateValue(s, metric.aggregate)]));
}

async function historyValues(tenant: string, metric: Metric) {
  const range = singleBucket(minuteStart - 3 * 3_600_000, now + 60_000);
  const result = await app.engines.history.query({ tenant, metric, ...range, maxGroups: 50 });
  return new Map(result.series.map((s) => [s.group, s.points[0]!.value]));
}

const close = (actual: number | null | undefined, wanted: number | null, aggregate: Aggregate) => {
  if (wanted === null || actual === null || actual === undefined) return actual === wanted;
  if (aggregate === 'UNIQUES') return Math.abs(actual - wanted) <= Math.max(1, wanted * 0.02);
  if (aggregate.startsWith('P')) return Math.abs(actual - wanted) <= Math.abs(wanted) * 0.05 + 1;
  return actual === wanted;
};

describe('fold into Redis and ClickHouse', () => {
  const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
  const acme: Input[] = [];
  for (let i = 0; i < 300; i++)
    acme.push({
      id: `acme-${i}`,
      name: i % 3 === 0 ? 'page_view' : 'purchase',
      timestamp: iso(minuteStart + ((i * 997) % 240_000)),
      userId: users[i % users.length],
      ...(i % 3 === 0 ? {} : { value: Math.round(((i * 7919) % 10_000) * 1.37) / 100 }),
      dimensions: {
        country: ['de', 'fr', 'us'][i % 3]!,
        plan: ['free', 'pro'][i % 2]!,
        ad_id: `a${i % 4}`,
      },
    });
  const late: Input = {
    id: 'late-1',
    name: 'purchase',
    timestamp: iso(now - 2 * 3_600_000),
    userId: 'u9',
    value: 1000,
    dimensions: { country: 'de', plan: 'pro', ad_id: 'a1' },
  };
  const beta: Input[] = acme.slice(0, 50).map((e, i) => ({ ...e, id: `beta-${i}`, value: 1 }));
  const purchases = () => acme.filter((e) => e.name === 'purchase');

  it('folds ingested events, skips repeated ids, sends late ones to history only', async () => {
    await app.engines.reference.putLookup('acme', 'ads', 'ad_id', [
      { key: 'a1', values: { campaign: 'c1' } },
      { key: 'a2', values: { campaign: 'c2', plan: 'overridden?' } },
    ]);
    const ingest = ingestor();
    const first = await ingest.ingest('acme', acme.slice(0, 150));
    expect(first).toEqual({ accepted: 150, rejected: [] });
    // The second batch repeats ten ids of the first: a client retry.
    const second = await ingest.ingest('acme', [...acme.slice(140, 300), late]);
    expect(second.accepted).toBe(161);
    expect((await ingest.ingest('beta', beta)).accepted).toBe(50);

    const total = acme.length + 1 + beta.length;
    await waitFor(async () => app.fold.fold.metrics.folded.values().get('') === total, {
      timeout: 30_000,
      message: 'events folded',
    });
    expect(app.fold.fold.metrics.duplicates.values().get('')).toBe(10);
    expect(app.fold.fold.metrics.late.values().get('live')).toBe(1);
  });

  const aggregates: readonly Aggregate[] = AGGREGATES;

  it.each(aggregates)(
    '%s agrees with the ground truth in live and history, total and grouped',
    async (aggregate) => {
      const name = 'purchase';
      const cases: { metric: Metric; groups: Map<string | null, Input[]>; withLate: boolean }[] = [
        {
          metric: { event: name, aggregate, filter: [], groupBy: null },
          groups: new Map([[null, purchases()]]),
          withLate: true,
        },
        {
          metric: { event: name, aggregate, filter: [], groupBy: 'country' },
          groups: groupBy(purchases(), (e) => e.dimensions!.country!),
          withLate: true,
        },
        {
          metric: {
            event: name,
            aggregate,
            filter: [{ key: 'plan', in: ['pro'] }],
            groupBy: 'country',
          },
          groups: groupBy(
            purchases().filter((e) => e.dimensions!.plan === 'pro'),
            (e) => e.dimensions!.country!,
          ),
          withLate: true,
        },
        {
          metric: {
            event: name,
            aggregate,
            filter: [
              { key: 'country', in: ['de', 'us'] },
              { key: 'plan', in: ['free'] },
            ],
            groupBy: null,
          },
          groups: new Map([
            [
              null,
              purchases().filter(
                (e) =>
                  ['de', 'us'].includes(e.dimensions!.country!) && e.dimensions!.plan === 'free',
              ),
            ],
          ]),
          withLate: false,
        },
      ];
      for (const { metric, groups, withLate } of cases) {
        const live = await liveValues('acme', metric);
        for (const [group, events] of groups)
          expect(
            close(live.get(group), expected(events, aggregate), aggregate),
            `live ${JSON.stringify(metric)} ${group}: ${live.get(group)} vs ${expected(events, aggregate)}`,
          ).toBe(true);
        expect(live.size).toBe(groups.size);

        const history = await historyValues('acme', metric);
        for (const [group, events] of groups) {
          const all =
            withLate && (group === null || group === late.dimensions!.country)
              ? [...events, late]
              : events;
          const want = expected(all, aggregate);
          expect(
            close(history.get(group), want, aggregate),
            `history ${JSON.stringify(metric)} ${group}: ${history.get(group)} vs ${want}`,
          ).toBe(true);
        }
      }
    },
  );

  it('joins lookups: groupBy a dimension only the lookup provides, own dimensions win', async () => {
    const metric: Metric = {
      event: 'purchase',
      aggregate: 'COUNT',
      filter: [],
      groupBy: 'campaign',
    };
    const want = groupBy(
      purchases().filter((e) => ['a1', 'a2'].includes(e.dimensions!.ad_id!)),
      (e) => (e.dimensions!.ad_id === 'a1' ? 'c1' : 'c2'),
    );
    const live = await liveValues('acme', metric);
    expect(Object.fromEntries(live)).toEqual(
      Object.fromEntries([...want].map(([g, e]) => [g, e.length])),
    );
    const planOfA2 = await liveValues('acme', {
      event: 'purchase',
      aggregate: 'COUNT',
      filter: [{ key: 'plan', in: ['overridden?'] }],
      groupBy: null,
    });
    expect(planOfA2.get(null) ?? 0).toBe(0);
  });

  it('keeps tenants apart', async () => {
    const metric: Metric = { event: 'purchase', aggregate: 'SUM', filter: [], groupBy: null };
    const betaPurchases = beta.filter((e) => e.name === 'purchase');
    expect((await liveValues('beta', metric)).get(null)).toBe(betaPurchases.length);
    expect((await historyValues('beta', metric)).get(null)).toBe(betaPurchases.length);
    expect((await liveValues('nobody', metric)).get(null) ?? null).toBeNull();
    expect((await historyValues('nobody', metric)).get(null) ?? null).toBeNull();
    expect(await app.engines.history.eventNames('beta', 10)).toEqual(
      expect.arrayContaining(['purchase', 'page_view']),
    );
  });

  it('dead-letters poison with the reason while valid neighbours in the same batch fold', async () => {
    const kafka = testKafka('poison');
    const raw = kafka.producer();
    await raw.connect();
    const before = app.fold.fold.metrics.folded.values().get('') ?? 0;
    const valid = (id: string) =>
      JSON.stringify({ id, name: 'signup', timestamp: now - 1000, userId: 'p1' });
    await raw.send({
      topic: app.topic,
      messages: [
        { key: 'k', value: valid('ok-1'), headers: { tenant: 'acme' } },
        { key: 'k', value: 'not json at all', headers: { tenant: 'acme' } },
        { key: 'k', value: JSON.stringify({ name: 42 }), headers: { tenant: 'acme' } },
        {
          key: 'k',
          value: 'x'.repeat(app.config.fold.MAX_MESSAGE_BYTES + 1),
          headers: { tenant: 'acme' },
        },
        { key: 'k', value: valid('ok-2'), headers: { tenant: 'mallory' } },
        {
          key: 'k',
          value: JSON.stringify([JSON.parse(valid('ok-3')), { name: 'x', value: 'NaN' }]),
          headers: { tenant: 'acme' },
        },
      ],
    });
    await raw.disconnect();
    await waitFor(async () => (app.fold.fold.metrics.folded.values().get('') ?? 0) - before === 2, {
      timeout: 20_000,
    });

    const consumer = kafka.consumer({ groupId: `${app.topic}.dlq-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${app.topic}.dlq`, fromBeginning: true });
    const dead: { reason: string; value: string }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push({
          reason: message.headers!['dlq-reason']!.toString(),
          value: message.value!.toString().slice(0, 40),
        });
      },
    });
    await waitFor(() => dead.length >= 5, { timeout: 20_000, message: 'dead letters' });
    await consumer.disconnect();
    expect(dead.map((d) => d.reason)).toEqual([
      expect.stringContaining('not JSON'),
      expect.stringContaining('name is required'),
      expect.stringContaining('more than the limit'),
      expect.stringContaining('unknown tenant "mallory"'),
      expect.stringContaining('value must be a finite number'),
    ]);
    expect(dead[0]!.value).toBe('not json at all');
    const signups = await liveValues('acme', {
      event: 'signup',
      aggregate: 'COUNT',
      filter: [],
      groupBy: null,
    });
    expect(signups.get(null)).toBe(2);
  });
});

function groupBy<T>(items: T[], key: (item: T) => string): Map<string | null, T[]> {
  const groups = new Map<string | null, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
