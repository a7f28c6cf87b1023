// The admin API of topic mappings over HTTP: set, read, delete and dry-run, admin keys only, every
// mapping pinned to the caller's tenant, bad mappings refused with BAD_USER_INPUT.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteTopicMappingDocument,
  DryRunTopicMappingDocument,
  SetTopicMappingDocument,
  TopicMappingsDocument,
  type TopicMappingInput,
} from '../generated/graphql.js';
import { startHarness, type Harness } from './harness.js';

const shop: TopicMappingInput = {
  name: 'shop',
  topic: 'transactions',
  eventName: '$.type',
  eventNamePrefix: 'shop.',
  timestamp: { path: '$.ts', format: 'EPOCH_MILLIS' },
  id: '$.txn.id',
  userId: '$.user.id',
  value: '$.txn.amount',
  dimensions: [{ name: 'country', path: '$.user.country' }],
  filter: [{ path: '$.type', in: ['checkout', 'refund'] }],
};

describe('topic mappings through the admin API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      tenants: ['acme', 'globex'],
      admins: ['acme', 'globex'],
      settings: { MAX_TOPIC_MAPPINGS: '3' },
    });
  });
  afterAll(() => h.close());

  const codeOf = (body: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    body.errors?.[0]?.extensions?.code;

  it('stores, lists, replaces and deletes mappings per tenant', async () => {
    const admin = h.keys['acme:admin']!;
    const set = await h.request(SetTopicMappingDocument, { mapping: shop }, admin);
    expect(set.body.errors).toBeUndefined();
    expect(set.body.data!.setTopicMapping).toMatchObject({
      name: 'shop',
      topic: 'transactions',
      eventName: '$.type',
      timestamp: { path: '$.ts', format: 'EPOCH_MILLIS' },
      filter: [{ path: '$.type', equals: null, in: ['checkout', 'refund'] }],
    });
    await h.request(
      SetTopicMappingDocument,
      { mapping: { name: 'clicks', topic: 'clicks', eventName: 'click' } },
      h.keys['globex:admin']!,
    );
    await h.request(SetTopicMappingDocument, { mapping: { ...shop, value: '$.total' } }, admin);

    const listed = await h.request(TopicMappingsDocument, {}, admin);
    expect(listed.body.data!.topicMappings.map((m) => [m.name, m.value])).toEqual([
      ['shop', '$.total'],
    ]);
    const globex = await h.request(TopicMappingsDocument, {}, h.keys['globex:admin']!);
    expect(globex.body.data!.topicMappings.map((m) => m.name)).toEqual(['clicks']);

    const removed = await h.request(DeleteTopicMappingDocument, { name: 'shop' }, admin);
    expect(removed.body.data!.deleteTopicMapping).toBe(true);
    const again = await h.request(DeleteTopicMappingDocument, { name: 'shop' }, admin);
    expect(again.body.data!.deleteTopicMapping).toBe(false);
    expect((await h.request(TopicMappingsDocument, {}, admin)).body.data!.topicMappings).toEqual(
      [],
    );
    const stored = await h.services.mappings.list();
    expect(stored.map((m) => [m.owner, m.spec.name])).toEqual([['globex', 'clicks']]);
  });

  it('admin keys only: a write key is FORBIDDEN, no key is UNAUTHENTICATED', async () => {
    const write = await h.request(SetTopicMappingDocument, { mapping: shop }, h.keys.acme!);
    expect(codeOf(write.body)).toBe('FORBIDDEN');
    const read = await h.request(TopicMappingsDocument, {}, h.keys.acme!);
    expect(codeOf(read.body)).toBe('FORBIDDEN');
    const dry = await h.request(
      DryRunTopicMappingDocument,
      { mapping: shop, messages: ['{}'] },
      h.keys.acme!,
    );
    expect(codeOf(dry.body)).toBe('FORBIDDEN');
    const none = await h.request(TopicMappingsDocument, {}, null);
    expect(codeOf(none.body)).toBe('UNAUTHENTICATED');
  });

  it('refuses bad mappings with BAD_USER_INPUT naming the field', async () => {
    const admin = h.keys['acme:admin']!;
    const cases: [Partial<TopicMappingInput>, RegExp][] = [
      [{ userId: '$.user..id' }, /userId: .*unsupported syntax/],
      [{ value: 'amount' }, /value: .*must start with \$/],
      [{ dimensions: [{ name: 'bad key', path: '$.a' }] }, /dimensions\[0\]\.name/],
      [{ filter: [{ path: '$.type' }] }, /exactly one of equals and in/],
      [{ topic: 'events' }, /ingest topic/],
      [{ topic: 'events.dead-letter' }, /dead-letter topic/],
      [{ topic: "x'; DROP TABLE events" }, /Kafka topic name/],
      [{ name: '' }, /mapping\.name/],
      [{ eventName: '$.a[*]' }, /eventName/],
    ];
    for (const [change, message] of cases) {
      const { body } = await h.request(
        SetTopicMappingDocument,
        { mapping: { ...shop, ...change } },
        admin,
      );
      expect(codeOf(body), JSON.stringify(change)).toBe('BAD_USER_INPUT');
      expect(body.errors![0]!.message, JSON.stringify(change)).toMatch(message);
    }
    const format = await h.post(
      JSON.stringify({
        query:
          'mutation { setTopicMapping(mapping: {name: "m", topic: "t", eventName: "e", timestamp: {path: "$.t", format: EPOCH_NANOS}}) { name } }',
      }),
      { authorization: `Bearer ${admin}` },
    );
    const formatBody = (await format.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(formatBody.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await h.services.mappings.list()).toHaveLength(1);
  });

  it('dry runs sample messages into the events they would become, with reasons', async () => {
    const ts = h.now() - 60_000;
    const { body } = await h.request(
      DryRunTopicMappingDocument,
      {
        mapping: shop,
        messages: [
          JSON.stringify({
            type: 'checkout',
            ts,
            txn: { id: 'T1', amount: '9.90' },
            user: { id: 7, country: 'FR' },
          }),
          JSON.stringify({ type: 'view', ts }),
          JSON.stringify({ type: 'refund', ts: 'soon', txn: { id: 'T2' } }),
          'not json',
        ],
      },
      h.keys['acme:admin']!,
    );
    expect(body.errors).toBeUndefined();
    const [ok, skipped, badTime, notJson] = body.data!.dryRunTopicMapping;
    expect(ok).toEqual({
      index: 0,
      skipped: false,
      rejections: [],
      events: [
        {
          id: 'T1',
          name: 'shop.checkout',
          timestamp: new Date(ts).toISOString(),
          userId: '7',
          value: 9.9,
          dimensions: { country: 'FR', topic: 'transactions' },
        },
      ],
    });
    expect(skipped).toMatchObject({ skipped: true, events: [], rejections: [] });
    expect(badTime!.rejections).toEqual([
      expect.stringMatching(/timestamp at \$\.ts must be a number/),
    ]);
    expect(notJson!.rejections).toEqual([expect.stringMatching(/not JSON/)]);
    expect(await h.services.mappings.list()).toHaveLength(1);
  });

  it('keeps at most MAX_TOPIC_MAPPINGS per tenant; replacing one is always allowed', async () => {
    const admin = h.keys['globex:admin']!;
    const existing = (await h.request(TopicMappingsDocument, {}, admin)).body.data!.topicMappings;
    for (let i = existing.length; i < 3; i++) {
      const { body } = await h.request(
        SetTopicMappingDocument,
        { mapping: { name: `m${i}`, topic: `t${i}`, eventName: 'e' } },
        admin,
      );
      expect(body.errors).toBeUndefined();
    }
    const over = await h.request(
      SetTopicMappingDocument,
      { mapping: { name: 'one-more', topic: 't', eventName: 'e' } },
      admin,
    );
    expect(codeOf(over.body)).toBe('BAD_USER_INPUT');
    expect(over.body.errors![0]!.extensions).toMatchObject({ limit: 'MAX_TOPIC_MAPPINGS', max: 3 });
    const replace = await h.request(
      SetTopicMappingDocument,
      { mapping: { name: 'm2', topic: 't2', eventName: 'renamed' } },
      admin,
    );
    expect(replace.body.errors).toBeUndefined();
    const acme = await h.request(
      SetTopicMappingDocument,
      { mapping: { name: 'own', topic: 't', eventName: 'e' } },
      h.keys['acme:admin']!,
    );
    expect(acme.body.errors).toBeUndefined();
  });
});
