// Topic mappings on the real engines: a producer we do not control writes a foreign shape (nested
// user object, epoch-millisecond times, string amounts, several event types in one topic) to a
// topic of its own; with a mapping set through the admin API, history and live answer exactly as
// they do for the same events ingested natively by another tenant. A mapping changed at run time
// applies to the messages consumed after the change only, and messages the mapping cannot read go
// to the dead-letter topic with the mapping's name and the reason.
import { randomBytes } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/api/auth.js';
import {
  HistoryDocument,
  IngestDocument,
  LiveDocument,
  SetTopicMappingDocument,
  type Aggregate,
  type EventInput,
  type MetricInput,
  type TopicMappingInput,
} from '../generated/graphql.js';
import { startTestStack, type TestStack } from '../support/app.js';
import { apiClient, type ApiClient } from '../support/clients.js';
import { pick, seededRandom } from '../support/random.js';
import { testKafka, waitFor } from '../support/services.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const AGGREGATES: Aggregate[] = ['COUNT', 'SUM', 'MIN', 'MAX', 'UNIQUES'];
const TIMEOUT_MS = 45_000;

/** The foreign producer's message, and the same event in our own format. */
interface Pair {
  foreign: Record<string, unknown>;
  native: EventInput;
}

function generatePairs(count: number, fromMs: number, toMs: number, seed: number): Pair[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const type = pick(random, ['purchase', 'page_view', 'purchase', 'signup']);
    const ts = Math.floor(fromMs + random() * (toMs - fromMs));
    const user = {
      id: `u${Math.floor(random() * 40)}`,
      address: { country: pick(random, ['DE', 'FR', 'US']) },
    };
    const amount = (Math.floor(random() * 100_000) / 100).toFixed(2);
    const plan = pick(random, ['free', 'pro']);
    return {
      foreign: { type, ts, event_id: `m-${seed}-${i}`, user, amount, meta: { plans: [plan] } },
      native: {
        id: `n-${seed}-${i}`,
        name: type,
        timestamp: iso(ts),
        userId: user.id,
        value: Number(amount),
        dimensions: { country: user.address.country, plan },
      },
    };
  });
}

async function count(client: ApiClient, event: string) {
  const { body } = await client.request(LiveDocument, {
    metric: { event, aggregate: 'COUNT' },
    window: '1h',
  });
  return body.data?.live[0]?.value ?? 0;
}

describe('a mapped topic folds like the same events ingested natively', () => {
  const suffix = randomBytes(3).toString('hex');
  const nativeTenant = `map-native-${suffix}`;
  const mappedTenant = `map-foreign-${suffix}`;
  const nativeKey = `key-native-${suffix}`;
  const adminKey = `key-admin-${suffix}`;
  let stack: TestStack;
  let native: ApiClient;
  let admin: ApiClient;
  let foreignTopic: string;
  let producer: Producer;
  const now = Date.now();
  const fromMs = Math.floor(now / MIN) * MIN - 10 * MIN;
  const pairs = generatePairs(400, fromMs, now - 1000, 7);
  /** Filtered out by the mapping: the topic carries events nobody asked for. */
  const heartbeats = Array.from({ length: 20 }, (_, i) => ({ type: 'heartbeat', ts: now - i }));

  const mapping: TopicMappingInput = {
    name: 'shop',
    topic: '',
    eventName: '$.type',
    timestamp: { path: '$.ts', format: 'EPOCH_MILLIS' },
    id: '$.event_id',
    userId: '$.user.id',
    value: '$.amount',
    dimensions: [
      { name: 'country', path: '$.user.address.country' },
      { name: 'plan', path: '$.meta.plans[0]' },
    ],
    filter: [{ path: '$.type', in: ['purchase', 'page_view', 'signup'] }],
  };

  async function produce(messages: unknown[]) {
    await producer.send({
      topic: foreignTopic,
      messages: messages.map((m, i) => ({
        key: String(i % 7),
        value: typeof m === 'string' ? m : JSON.stringify(m),
      })),
    });
  }

  async function query(client: ApiClient, metric: MetricInput) {
    const history = await client.request(HistoryDocument, {
      metric,
      from: iso(fromMs),
      to: iso(fromMs + 11 * MIN),
      interval: '1m',
    });
    const live = await client.request(LiveDocument, { metric, window: '1h' });
    expect(history.body.errors, JSON.stringify(history.body.errors)).toBeUndefined();
    expect(live.body.errors, JSON.stringify(live.body.errors)).toBeUndefined();
    const sortGroups = <T extends { group?: string | null }>(rows: T[]) =>
      [...rows].sort((x, y) => String(x.group).localeCompare(String(y.group)));
    return {
      history: sortGroups(history.body.data!.history),
      live: sortGroups(live.body.data!.live).map(({ group, value }) => ({ group, value })),
    };
  }

  beforeAll(async () => {
    stack = await startTestStack('real', {
      API_KEYS: [
        `${hashApiKey(nativeKey)}:${nativeTenant}`,
        `${hashApiKey(adminKey)}:${mappedTenant}:admin`,
      ].join(','),
      MAPPINGS_POLL_MS: '200',
    });
    native = apiClient(stack.url, nativeKey);
    admin = apiClient(stack.url, adminKey);
    foreignTopic = `${stack.topic}.foreign`;
    mapping.topic = foreignTopic;
    producer = testKafka('foreign-producer').producer();
    await producer.connect();
  }, 60_000);
  afterAll(async () => {
    await producer?.disconnect();
    await stack?.stop();
  });

  it('history and live equal the native tenant for every aggregate, filter and groupBy', async () => {
    const set = await admin.request(SetTopicMappingDocument, { mapping });
    expect(set.body.errors).toBeUndefined();
    // The consumer learns of the new topic and subscribes (a rebalance) while messages arrive.
    await produce([...pairs.map((p) => p.foreign), ...heartbeats]);
    for (let i = 0; i < pairs.length; i += 200) {
      const { body } = await native.request(IngestDocument, {
        events: pairs.slice(i, i + 200).map((p) => p.native),
      });
      expect(body.data?.ingest.rejected).toEqual([]);
    }
    const expected = (name: string) => pairs.filter((p) => p.native.name === name).length;
    // Live windows take a batch before its history insert lands: wait for both sinks.
    const historyCount = async (client: ApiClient, event: string) => {
      const { history } = await query(client, { event, aggregate: 'COUNT' });
      return history[0]!.points.reduce((sum, point) => sum + (point.value ?? 0), 0);
    };
    for (const client of [native, admin])
      for (const event of ['purchase', 'page_view', 'signup'])
        await waitFor(
          async () =>
            (await count(client, event)) === expected(event) &&
            (await historyCount(client, event)) === expected(event),
          { timeout: TIMEOUT_MS, message: `every ${event} folded into both sinks` },
        );
    expect(stack.fold.topics()).toContain(foreignTopic);

    for (const event of ['purchase', 'page_view', 'signup'])
      for (const aggregate of AGGREGATES)
        for (const shape of [
          {},
          { groupBy: 'country' },
          { filter: [{ key: 'plan', equals: 'pro' }], groupBy: 'country' },
        ]) {
          const metric: MetricInput = { event, aggregate, ...shape };
          const [fromNative, fromMapped] = await Promise.all([
            query(native, metric),
            query(admin, metric),
          ]);
          expect(fromMapped, JSON.stringify(metric)).toEqual(fromNative);
        }
    expect(await count(admin, 'heartbeat')).toBe(0);
  }, 120_000);

  it('a mapping changed at run time applies only to messages consumed after the change', async () => {
    const before = await count(admin, 'purchase');
    const changed = await admin.request(SetTopicMappingDocument, {
      mapping: { ...mapping, eventNamePrefix: 'v2.' },
    });
    expect(changed.body.errors).toBeUndefined();
    const later = generatePairs(30, now - MIN, Date.now(), 8).map((p) => ({
      ...p.foreign,
      type: 'purchase',
    }));
    await produce(later);
    await waitFor(async () => (await count(admin, 'v2.purchase')) === later.length, {
      timeout: TIMEOUT_MS,
      message: 'the new messages under the new name',
    });
    expect(await count(admin, 'purchase')).toBe(before);
  }, 60_000);

  it('dead-letters what the mapping cannot read, with its name and the reason', async () => {
    const good = {
      ...pairs[0]!.foreign,
      event_id: `dl-ok-${suffix}`,
      type: 'signup',
      ts: Date.now() - 500,
    };
    const signupsBefore = await count(admin, 'v2.signup');
    await produce([
      { ...good, event_id: `dl-1-${suffix}`, ts: 'not a time' },
      { ...good, event_id: `dl-2-${suffix}`, amount: 'lots' },
      '{"type": "signup", "ts": ',
      good,
    ]);
    const kafka = testKafka('dlq-reader');
    const consumer = kafka.consumer({ groupId: `${stack.topic}.mapping-dlq-${suffix}` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${stack.topic}.dlq`, fromBeginning: true });
    const dead: { reason: string; mapping?: string; source: string }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push({
          reason: message.headers!['dlq-reason']!.toString(),
          mapping: message.headers!['dlq-mapping']?.toString(),
          source: message.headers!['dlq-source']!.toString(),
        });
      },
    });
    await waitFor(() => dead.length >= 3, { timeout: TIMEOUT_MS, message: 'dead letters' });
    await consumer.disconnect();
    expect(dead.every((d) => d.source.startsWith(`${foreignTopic}:`))).toBe(true);
    // Their partitions differ (keyed by position): the order across partitions is not defined.
    expect(dead.map((d) => [d.mapping, d.reason])).toHaveLength(3);
    expect(dead.map((d) => [d.mapping, d.reason])).toEqual(
      expect.arrayContaining([
        ['shop', expect.stringMatching(/timestamp at \$\.ts must be a number/)],
        ['shop', expect.stringMatching(/value at \$\.amount is not a number/)],
        [undefined, expect.stringMatching(/not JSON/)],
      ]),
    );
    await waitFor(async () => (await count(admin, 'v2.signup')) === signupsBefore + 1, {
      timeout: TIMEOUT_MS,
      message: 'the good neighbour folded',
    });
  }, 60_000);
});

describe('mappings on the embedded engines', () => {
  it('a mapping set at run time makes the embedded consumer read its topic too, and ingest goes on', async () => {
    const stack = await startTestStack('embedded', { MAPPINGS_POLL_MS: '100' });
    try {
      const client = apiClient(stack.url, null);
      const set = await client.request(SetTopicMappingDocument, {
        mapping: { name: 'clicks', topic: 'clickstream', eventName: 'click' },
      });
      expect(set.body.errors).toBeUndefined();
      await waitFor(() => stack.fold.topics().includes('clickstream'), {
        timeout: TIMEOUT_MS,
        message: 'the consumer reads the mapped topic',
      });
      const producer = stack.engines.log.producer();
      await producer.send('clickstream', [
        { key: null, value: Buffer.from('{"page": "/"}'), headers: {} },
      ]);
      await producer.close();
      const { body } = await client.request(IngestDocument, {
        events: [{ name: 'signup', timestamp: iso(Date.now() - 1000) }],
      });
      expect(body.data?.ingest.accepted).toBe(1);
      await waitFor(
        async () => (await count(client, 'click')) === 1 && (await count(client, 'signup')) === 1,
        { timeout: TIMEOUT_MS, message: 'both folded' },
      );
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
