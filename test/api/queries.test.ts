import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventNamesDocument,
  FreshnessNowDocument,
  HistoryDocument,
  IngestDocument,
  LiveDocument,
  PutLookupDocument,
} from '../generated/graphql.js';
import { startHarness, type Harness } from './harness.js';

const MIN = 60_000;

interface ErrorsReply {
  errors: { extensions: { code: string } }[];
}
const iso = (ms: number) => new Date(ms).toISOString();

describe('queries and mutations over HTTP', () => {
  let h: Harness;
  /** Start of a past hour with data at minutes 1, 2 and 4. */
  const base = Date.UTC(2024, 4, 1, 12, 0, 0);

  beforeAll(async () => {
    h = await startHarness();
    await h.fold([
      {
        tenant: 'acme',
        name: 'purchase',
        timestamp: base + 1 * MIN + 5_000,
        value: 10,
        userId: 'u1',
        dimensions: { country: 'FR' },
      },
      {
        tenant: 'acme',
        name: 'purchase',
        timestamp: base + 1 * MIN + 9_000,
        value: 30,
        userId: 'u2',
        dimensions: { country: 'DE' },
      },
      {
        tenant: 'acme',
        name: 'purchase',
        timestamp: base + 2 * MIN,
        value: 5,
        userId: 'u1',
        dimensions: { country: 'FR' },
      },
      {
        tenant: 'acme',
        name: 'purchase',
        timestamp: base + 4 * MIN + 59_999,
        value: 7,
        dimensions: { country: 'FR' },
      },
      {
        tenant: 'acme',
        name: 'page_view',
        timestamp: base + 3 * MIN,
        dimensions: { country: 'FR' },
      },
    ]);
  });
  afterAll(() => h.close());

  it('history: every bucket from `from` rounded down to `to` rounded up, null where empty, oldest first', async () => {
    const { status, body } = await h.request(
      HistoryDocument,
      {
        metric: { event: 'purchase', aggregate: 'SUM' },
        from: iso(base + MIN + 30_000),
        to: iso(base + 4 * MIN + 1),
        interval: '1m',
      },
      h.keys.acme,
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data?.history).toEqual([
      {
        group: null,
        points: [
          { time: iso(base + 1 * MIN), value: 40 },
          { time: iso(base + 2 * MIN), value: 5 },
          { time: iso(base + 3 * MIN), value: null },
          { time: iso(base + 4 * MIN), value: 7 },
        ],
      },
    ]);
    expect(body.extensions?.historyPath).toMatch(/^(rollup_minute|rollup_hour|raw)$/);
    expect(body.extensions?.freshness).toEqual({
      foldedThrough: expect.any(String),
      lagMs: 0,
      behind: 0,
    });
  });

  it('history: groupBy and filter (equals and in), larger intervals aligned to the epoch', async () => {
    const grouped = await h.request(
      HistoryDocument,
      {
        metric: { event: 'purchase', groupBy: 'country' },
        from: iso(base),
        to: iso(base + 10 * MIN),
        interval: '5m',
      },
      h.keys.acme,
    );
    expect(grouped.body.data?.history).toEqual([
      {
        group: 'FR',
        points: [
          { time: iso(base), value: 3 },
          { time: iso(base + 5 * MIN), value: null },
        ],
      },
      {
        group: 'DE',
        points: [
          { time: iso(base), value: 1 },
          { time: iso(base + 5 * MIN), value: null },
        ],
      },
    ]);
    const filtered = await h.request(
      HistoryDocument,
      {
        metric: { event: 'purchase', aggregate: 'MAX', filter: [{ key: 'country', equals: 'FR' }] },
        from: iso(base + 7 * MIN),
        to: iso(base + 8 * MIN),
        interval: '1h',
      },
      h.keys.acme,
    );
    expect(filtered.body.data?.history).toEqual([
      { group: null, points: [{ time: iso(base), value: 10 }] },
    ]);
    const inList = await h.request(
      HistoryDocument,
      {
        metric: {
          event: 'purchase',
          aggregate: 'COUNT',
          filter: [{ key: 'country', in: ['DE', 'XX'] }],
        },
        from: iso(base),
        to: iso(base + 60 * MIN),
        interval: '1h',
      },
      h.keys.acme,
    );
    expect(inList.body.data?.history[0]?.points).toEqual([{ time: iso(base), value: 1 }]);
  });

  it('history: several metrics in one request are each answered (dedupe through the DataLoader)', async () => {
    const query = h.services.history.query.bind(h.services.history);
    let storeCalls = 0;
    h.services.history.query = (q) => {
      storeCalls++;
      return query(q);
    };
    const response = await h.post(
      JSON.stringify({
        query: `query Many($from: DateTime!, $to: DateTime!) {
          a: history(metric: { event: "purchase" }, from: $from, to: $to, interval: "1h") { points { value } }
          b: history(metric: { event: "purchase" }, from: $from, to: $to, interval: "1h") { points { value } }
          c: history(metric: { event: "page_view" }, from: $from, to: $to, interval: "1h") { points { value } }
        }`,
        variables: { from: iso(base), to: iso(base + 60 * MIN) },
      }),
      { authorization: `Bearer ${h.keys.acme}` },
    );
    const body = (await response.json()) as {
      errors?: unknown;
      data: Record<string, { points: { value: number | null }[] }[]>;
      extensions: { historyPath: Record<string, string> };
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.a![0]!.points[0]!.value).toBe(4);
    expect(body.data.b).toEqual(body.data.a);
    expect(body.data.c![0]!.points[0]!.value).toBe(1);
    expect(Object.keys(body.extensions.historyPath).sort()).toEqual(['a', 'b', 'c']);
    h.services.history.query = query;
    expect(storeCalls).toBe(2); // a and b are one store call
  });

  it('live: the sliding window ending now, per group, with window bounds and freshness', async () => {
    const now = h.now();
    await h.fold([
      { tenant: 'acme', name: 'signup', timestamp: now - 5_000, dimensions: { plan: 'pro' } },
      { tenant: 'acme', name: 'signup', timestamp: now - 3_000, dimensions: { plan: 'pro' } },
      { tenant: 'acme', name: 'signup', timestamp: now - 30_000, dimensions: { plan: 'free' } },
    ]);
    const { body } = await h.request(
      LiveDocument,
      { metric: { event: 'signup', groupBy: 'plan' }, window: '10s' },
      h.keys.acme,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.live.map((v) => [v.group, v.value])).toEqual([['pro', 2]]);
    const [value] = body.data!.live;
    expect(Date.parse(value!.windowEnd) - Date.parse(value!.windowStart)).toBe(10_000);
    expect(Date.parse(value!.windowEnd)).toBeGreaterThan(now);
    expect(body.extensions?.freshness).toMatchObject({ behind: 0 });

    const minute = await h.request(LiveDocument, { metric: { event: 'signup' } }, h.keys.acme);
    expect(minute.body.data?.live).toEqual([expect.objectContaining({ group: null, value: 3 })]);
    const none = await h.request(
      LiveDocument,
      { metric: { event: 'nothing_here' }, window: '1h' },
      h.keys.acme,
    );
    expect(none.body.data?.live).toEqual([expect.objectContaining({ group: null, value: 0 })]);
  });

  it('eventNames: most recent first, limited', async () => {
    const { body } = await h.request(EventNamesDocument, { limit: 10 }, h.keys.acme);
    expect(body.data?.eventNames).toEqual(
      expect.arrayContaining(['purchase', 'page_view', 'signup']),
    );
    const one = await h.request(EventNamesDocument, { limit: 1 }, h.keys.acme);
    expect(one.body.data?.eventNames).toHaveLength(1);
  });

  it('freshness: the Freshness of the source', async () => {
    h.freshness.foldedThrough = h.now() - 1500;
    h.freshness.behind = 42;
    try {
      const { body } = await h.request(FreshnessNowDocument, {}, h.keys.acme);
      expect(body.data?.freshness.behind).toBe(42);
      expect(body.data?.freshness.lagMs).toBeGreaterThanOrEqual(1500);
      expect(Date.parse(body.data!.freshness.foldedThrough!)).toBe(h.freshness.foldedThrough);
    } finally {
      h.freshness.foldedThrough = null;
      h.freshness.behind = 0;
    }
  });

  it('ingest: valid events accepted (written to the log), invalid ones listed with the reason', async () => {
    const logEnd = async () =>
      (await h.log.endOffsets(['events'])).reduce((sum, p) => sum + p.offset, 0);
    const before = await logEnd();
    const { body } = await h.request(
      IngestDocument,
      {
        events: [
          { name: 'page_view', userId: 'u1', dimensions: { page: '/home' } },
          { name: 'purchase', value: 12.5, timestamp: iso(h.now() - 1000), id: 'order-1' },
          { name: 'bad', dimensions: { nested: { no: 'objects' } } },
          { name: '' },
        ],
      },
      h.keys.acme,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.ingest.accepted).toBe(2);
    expect(body.data?.ingest.rejected.map((r) => r.index)).toEqual([2, 3]);
    expect(body.data?.ingest.rejected[0]?.reason).toMatch(/dimension/);
    expect(await logEnd()).toBeGreaterThan(before);
  });

  it('putLookup: stores the rows for the tenant', async () => {
    const { body } = await h.request(
      PutLookupDocument,
      {
        table: 'ads',
        keyDimension: 'ad_id',
        rows: [
          { key: 'a1', values: { campaign_id: 'c7' } },
          { key: 'a2', values: { campaign_id: 'c8' } },
        ],
      },
      h.keys.acme,
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.putLookup).toBe(2);
    const tables = (await h.services.reference.lookups()).get('acme');
    expect(tables?.[0]).toMatchObject({ table: 'ads', keyDimension: 'ad_id' });
    expect(tables?.[0]?.rows.get('a1')).toEqual({ campaign_id: 'c7' });
  });

  it('queries over GET answer as over POST, with the key; mutations over GET are refused', async () => {
    const get = (query: string, variables: object, key?: string) =>
      fetch(`${h.url}?${new URLSearchParams({ query, variables: JSON.stringify(variables) })}`, {
        headers: {
          accept: 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
      });
    const variables = {
      metric: { event: 'purchase', aggregate: 'SUM' as const },
      from: iso(base),
      to: iso(base + 5 * MIN),
      interval: '5m',
    };
    const viaGet = await get(print(HistoryDocument), variables, h.keys.acme);
    expect(viaGet.status).toBe(200);
    const answer = (await viaGet.json()) as { data?: unknown };
    expect(answer.data).toEqual({
      history: [{ group: null, points: [{ time: iso(base), value: 52 }] }],
    });
    expect(answer.data).toEqual(
      (await h.request(HistoryDocument, variables, h.keys.acme)).body.data,
    );

    const anonymous = await get('{ eventNames }', {});
    expect(((await anonymous.json()) as ErrorsReply).errors[0]?.extensions.code).toBe(
      'UNAUTHENTICATED',
    );

    const before = (await h.services.reference.lookups()).get('acme')?.length ?? 0;
    const mutation = await get(
      print(PutLookupDocument),
      { table: 'over_get', keyDimension: 'k', rows: [{ key: 'x', values: { y: 'z' } }] },
      h.keys.acme,
    );
    expect(mutation.status).toBe(405);
    expect(((await mutation.json()) as ErrorsReply).errors[0]?.extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await h.services.reference.lookups()).get('acme')?.length ?? 0).toBe(before);
  });
});

describe('development mode without API keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ open: true, settings: { NODE_ENV: 'development' } });
  });
  afterAll(() => h.close());

  it('serves everything as tenant `default` and says so loudly', async () => {
    expect(h.api.open).toBe(true);
    expect(h.api.warnings.join()).toMatch(/NO API KEYS CONFIGURED.*tenant "default"/);
    expect(h.logged).toEqual(expect.arrayContaining(h.api.warnings));
    await h.fold([{ tenant: 'default', name: 'dev_event', timestamp: h.now() - 1000 }]);
    const { status, body } = await h.request(EventNamesDocument, {}, null);
    expect(status).toBe(200);
    expect(body.data?.eventNames).toEqual(['dev_event']);
  });

  it('GraphiQL at /graphql with example operations', async () => {
    const page = await fetch(h.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('pulsegraph');
    expect(html).toContain('subscription LiveCount');
  });
});

describe('production-like mode', () => {
  it('no GraphiQL outside development', async () => {
    const h = await startHarness();
    try {
      const page = await fetch(h.url, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('subscription LiveCount');
      expect(h.api.open).toBe(false);
      expect(h.api.warnings).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
