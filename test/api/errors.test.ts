import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisLiveWindows } from '../../src/adapters/redis/live-windows.js';
import {
  EventNamesDocument,
  HistoryDocument,
  IngestDocument,
  LiveDocument,
  PutLookupDocument,
  WatchLiveDocument,
  WatchSeriesDocument,
  type WatchLiveSubscription,
} from '../generated/graphql.js';
import { waitFor } from '../support/services.js';
import { collect, operation, startHarness, type Harness } from './harness.js';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

interface ErrorBody {
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  data?: unknown;
}

const firstError = (result: unknown) => {
  const body = result as ErrorBody;
  expect(body.errors?.length, JSON.stringify(body)).toBeGreaterThan(0);
  return body.errors![0]!;
};

describe('errors: every bad input answered with its code, the server staying up', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ readOnly: ['acme'] });
  });
  afterAll(() => h.close());

  const metric = { event: 'page_view' };
  const history = (variables: Record<string, unknown>) =>
    h.request(
      HistoryDocument,
      { metric, from: iso(Date.now() - HOUR), ...variables } as never,
      h.keys.acme,
    );

  const badInput = async (response: Promise<{ body: unknown }>, argument?: string) => {
    const { body } = await response;
    const error = firstError(body as ErrorBody);
    expect(error.extensions?.code, error.message).toBe('BAD_USER_INPUT');
    if (argument) expect(error.extensions?.argument).toBe(argument);
    return error;
  };

  it('durations: strict forms only, intervals whole minutes from 1m, windows within the live horizon', async () => {
    for (const interval of [
      '1x',
      '10s',
      '90s',
      ' 1m',
      '1.5m',
      '-1m',
      '01m',
      '',
      '1m30s',
      '1M',
      '5 m',
      '1e3m',
    ])
      await badInput(history({ interval }), 'interval');
    for (const window of ['0s', '2h', '1w', 'forever', '60'])
      await badInput(h.request(LiveDocument, { metric, window }, h.keys.acme), 'window');
    // Millions of buckets are refused before the store is asked.
    const millions = await badInput(history({ from: iso(0), interval: '1m' }), 'interval');
    expect(millions.extensions).toMatchObject({ limit: 'MAX_BUCKETS', max: 10_000 });
  });

  it('times: not ISO-8601 with a zone, or `to` not after `from`', async () => {
    for (const from of [
      'yesterday',
      '2024-01-01',
      '2024-01-01T00:00:00',
      '2024-13-01T00:00:00Z',
      '1714564800000',
    ])
      await badInput(history({ from }));
    await badInput(history({ from: iso(Date.now()), to: iso(Date.now() - HOUR) }), 'to');
  });

  it('metrics: unknown aggregates, filters with both or neither of equals/in, hostile keys, control characters', async () => {
    await badInput(history({ metric: { event: 'x', aggregate: 'MEDIAN' } }));
    const literal = await h.post(
      JSON.stringify({ query: '{ live(metric: { event: "x", aggregate: MEDIAN }) { value } }' }),
      { authorization: `Bearer ${h.keys.acme}` },
    );
    await badInput(literal.json().then((body) => ({ body })));
    const filter = (f: Record<string, unknown>) =>
      history({ metric: { event: 'x', filter: [{ key: 'country', equals: 'FR' }, f] } });
    await badInput(filter({ key: 'plan', equals: 'pro', in: ['pro'] }), 'metric.filter[1]');
    await badInput(filter({ key: 'plan' }), 'metric.filter[1]');
    await badInput(filter({ key: 'plan', in: [] }), 'metric.filter[1].in');
    await badInput(filter({ key: "plan' OR '1'='1", equals: 'x' }), 'metric.filter[1].key');
    await badInput(filter({ key: 'plan', in: ['ok', 'bad\u0000value'] }), 'metric.filter[1].in[1]');
    await badInput(
      filter({ key: 'plan', equals: 'lone \ud800 surrogate' }),
      'metric.filter[1].equals',
    );
    await badInput(history({ metric: { event: '\udfff' } }), 'metric.event');
    await badInput(
      history({ metric: { event: 'x', groupBy: 'country); DROP TABLE events; --' } }),
      'metric.groupBy',
    );
    await badInput(history({ metric: { event: 'tab\there' } }), 'metric.event');
    await badInput(history({ metric: { event: 'x'.repeat(500) } }), 'metric.event');
    await badInput(history({ metric: { event: '' } }), 'metric.event');
  });

  it('hostile strings that can be real names and values are answered harmlessly, as no data', async () => {
    for (const name of [
      "x'; DROP TABLE events; --",
      "' OR '1'='1",
      '{name:String}',
      '`backtick`',
      '\\',
    ]) {
      const { body } = await history({
        metric: { event: name, filter: [{ key: 'country', in: ["' OR 1=1 --", '\\"'] }] },
        interval: '1h',
      });
      expect(body.errors, name).toBeUndefined();
      expect(body.data?.history).toHaveLength(1);
      expect(body.data?.history[0]?.points.every((p) => p.value === null)).toBe(true);
    }
  });

  it('other arguments: eventNames limit, putLookup table, key dimension and values', async () => {
    await badInput(h.request(EventNamesDocument, { limit: 0 }, h.keys.acme), 'limit');
    await badInput(h.request(EventNamesDocument, { limit: 5000 }, h.keys.acme), 'limit');
    const lookup = (variables: Record<string, unknown>) =>
      h.request(
        PutLookupDocument,
        {
          table: 'ads',
          keyDimension: 'ad_id',
          rows: [{ key: 'a1', values: { c: 'x' } }],
          ...variables,
        } as never,
        h.keys.acme,
      );
    await badInput(lookup({ table: 'ads; DROP' }), 'table');
    await badInput(lookup({ keyDimension: 'a d' }), 'keyDimension');
    await badInput(lookup({ rows: [{ key: 'a1', values: ['x'] }] }), 'rows[0].values');
    await badInput(lookup({ rows: [{ key: 'a1', values: { c: 7 } }] }), 'rows[0].values.c');
    await badInput(lookup({ rows: [{ key: '', values: {} }] }), 'rows[0].key');
  });

  it('malformed requests: invalid JSON, no query, unknown fields, syntax errors', async () => {
    const auth = { authorization: `Bearer ${h.keys.acme}` };
    for (const body of [
      '{not json',
      '{}',
      JSON.stringify({ query: '{ nope }' }),
      JSON.stringify({ query: '{ live(' }),
    ]) {
      const response = await h.post(body, auth);
      await badInput(response.json().then((json) => ({ body: json })));
    }
  });

  it('authentication: missing, malformed and unknown keys are UNAUTHENTICATED (401); read-only keys may not write', async () => {
    for (const key of [null, 'not-a-key']) {
      const { status, body } = await h.request(EventNamesDocument, {}, key);
      expect(status).toBe(401);
      expect(firstError(body).extensions?.code).toBe('UNAUTHENTICATED');
    }
    const basic = await h.post(JSON.stringify({ query: '{ eventNames }' }), {
      authorization: `Basic ${h.keys.acme}`,
    });
    expect(basic.status).toBe(401);
    expect(firstError((await basic.json()) as ErrorBody).extensions?.code).toBe('UNAUTHENTICATED');

    const readOnly = h.keys['acme:read']!;
    expect((await h.request(EventNamesDocument, {}, readOnly)).body.errors).toBeUndefined();
    const { status, body } = await h.request(IngestDocument, { events: [{ name: 'x' }] }, readOnly);
    expect(status).toBe(403);
    expect(firstError(body).extensions?.code).toBe('FORBIDDEN');
    const lookup = await h.request(
      PutLookupDocument,
      { table: 't', keyDimension: 'k', rows: [] },
      readOnly,
    );
    expect(firstError(lookup.body).extensions?.code).toBe('FORBIDDEN');
  });

  it('authentication over graphql-ws: no or a bad key closes the connection with 4401', async () => {
    for (const key of [null, 'wrong']) {
      let closed: { code?: number; reason?: string } | undefined;
      const client = h.ws(key, (event) => {
        closed = event as { code: number; reason: string };
      });
      const seen = collect<WatchLiveSubscription>((sink) =>
        client.subscribe(operation(WatchLiveDocument, { metric }), sink),
      );
      await waitFor(() => closed, { message: 'closed' });
      expect(closed?.code).toBe(4401);
      expect(closed?.reason).toMatch(/^UNAUTHENTICATED/);
      expect(seen.results).toEqual([]);
      await client.dispose();
    }
  });

  it('authentication over SSE: a bad key is refused', async () => {
    const client = h.sse('wrong');
    const seen = collect<WatchLiveSubscription>((sink) =>
      client.subscribe(operation(WatchLiveDocument, { metric }), sink),
    );
    await waitFor(() => seen.error ?? seen.results.length > 0, { message: 'refused' });
    expect(
      seen.results
        .flatMap((r) => r.errors ?? [])
        .map((e) => e.extensions?.code)
        .concat(String(seen.error))
        .join(),
    ).toMatch(/UNAUTHENTICATED|401/);
    client.dispose();
  });

  it('subscription arguments are checked like query arguments', async () => {
    const client = h.ws(h.keys.acme!);
    try {
      for (const [document, variables, argument] of [
        [WatchLiveDocument, { metric, every: '0s' }, 'every'],
        [WatchLiveDocument, { metric, every: '2h' }, 'every'],
        [WatchLiveDocument, { metric, window: '1d' }, 'window'],
        [WatchSeriesDocument, { metric, since: iso(Date.now() + HOUR) }, 'since'],
        [WatchSeriesDocument, { metric, since: iso(0) }, 'interval'],
        [WatchSeriesDocument, { metric, since: iso(Date.now()), interval: '30s' }, 'interval'],
      ] as const) {
        const seen = collect<unknown>((sink) =>
          client.subscribe(operation(document as never, variables as never), sink),
        );
        await waitFor(() => seen.completed || seen.error, { message: argument });
        const error = (seen.results[0]?.errors ??
          (seen.error as { extensions?: unknown }[]))[0] as {
          extensions?: Record<string, unknown>;
        };
        expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
      }
    } finally {
      await client.dispose();
    }
  });

  it('a store that cannot be reached is UNAVAILABLE; a bug is INTERNAL without details; the server stays up', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    dead.on('error', () => undefined);
    const live = h.services.live;
    h.services.live = createRedisLiveWindows({
      redis: dead,
      prefix: 'nowhere',
      horizonMs: live.horizonMs,
    });
    try {
      const { status, body } = await h.request(LiveDocument, { metric }, h.keys.acme);
      expect(status).toBe(503);
      expect(firstError(body).extensions?.code).toBe('UNAVAILABLE');
    } finally {
      h.services.live = live;
      dead.disconnect();
    }

    const query = h.services.history.query.bind(h.services.history);
    h.services.history.query = async () => {
      throw new TypeError('secret detail at /srv/pulsegraph/db.sqlite');
    };
    try {
      const { body } = await history({});
      const error = firstError(body);
      expect(error).toEqual({
        message: 'Internal error.',
        extensions: { code: 'INTERNAL' },
        locations: expect.any(Array),
        path: ['history'],
      });
      expect(JSON.stringify(body)).not.toMatch(/secret|\/srv|stack|at /);
    } finally {
      h.services.history.query = query;
    }
    expect((await history({ interval: '1h' })).body.errors).toBeUndefined();
    expect((await h.request(LiveDocument, { metric }, h.keys.acme)).body.errors).toBeUndefined();
  });
});

describe('limits: each with a default, a setting and a clear error', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      settings: {
        MAX_INGEST_BATCH: '3',
        MAX_BODY_BYTES: '2048',
        MAX_QUERY_COST: '120',
        MAX_BUCKETS: '100',
        MAX_GROUPS: '2',
        MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
        RATE_LIMIT_PER_SECOND: '1',
        RATE_LIMIT_BURST: '1000',
      },
    });
  });
  afterAll(() => h.close());
  const auth = () => ({ authorization: `Bearer ${h.keys.acme}` });

  it('batch size', async () => {
    const { body } = await h.request(
      IngestDocument,
      { events: Array.from({ length: 4 }, () => ({ name: 'x' })) },
      h.keys.acme,
    );
    expect(firstError(body).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'events',
      limit: 'MAX_INGEST_BATCH',
      max: 3,
    });
  });

  it('body size, with or without a Content-Length', async () => {
    const big = JSON.stringify({ query: `{ eventNames }`, variables: { pad: 'x'.repeat(4096) } });
    const sized = await h.post(big, auth());
    expect(sized.status).toBe(413);
    expect(firstError((await sized.json()) as ErrorBody).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      limit: 'MAX_BODY_BYTES',
    });
    const chunked = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('query depth and cost, fragments followed', async () => {
    const shallow = await startHarness({ settings: { MAX_QUERY_DEPTH: '2' } });
    try {
      const query = `{ history(metric: {event: "x"}, from: "2024-01-01T00:00:00Z", to: "2024-01-01T01:00:00Z") { points { time } } }`;
      const deep = await shallow.post(JSON.stringify({ query }), {
        authorization: `Bearer ${shallow.keys.acme}`,
        accept: 'application/graphql-response+json',
      });
      expect(deep.status).toBe(400);
      expect(firstError((await deep.json()) as ErrorBody).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        limit: 'MAX_QUERY_DEPTH',
        max: 2,
      });
    } finally {
      await shallow.close();
    }
    const aliases = Array.from(
      { length: 7 },
      (_, i) => `a${i}: live(metric: {event: "x"}) { value }`,
    ).join(' ');
    const costly = await h.post(JSON.stringify({ query: `{ ${aliases} }` }), auth());
    expect(firstError((await costly.json()) as ErrorBody).extensions).toMatchObject({
      limit: 'MAX_QUERY_COST',
      max: 120,
    });
    // Each fragment spreads the next twice: 2^20 copies of eventNames, measured in linear time.
    const fragments = Array.from(
      { length: 20 },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const bomb = await h.post(
      JSON.stringify({
        query: `query { ...F0 } ${fragments.join(' ')} fragment F20 on Query { eventNames }`,
      }),
      auth(),
    );
    expect(firstError((await bomb.json()) as ErrorBody).extensions).toMatchObject({
      limit: 'MAX_QUERY_COST',
    });
    // Introspection is not held to MAX_QUERY_DEPTH (tools need it deeper).
    const types = await h.post(
      JSON.stringify({ query: '{ __schema { types { fields { type { ofType { name } } } } } }' }),
      auth(),
    );
    expect(((await types.json()) as ErrorBody).errors).toBeUndefined();
  });

  it('buckets per series and groups per answer', async () => {
    const { body } = await h.request(
      HistoryDocument,
      { metric: { event: 'x' }, from: iso(Date.now() - 101 * 60_000), interval: '1m' },
      h.keys.acme,
    );
    expect(firstError(body).extensions).toMatchObject({ limit: 'MAX_BUCKETS', max: 100 });
    const now = h.now();
    await h.fold(
      ['a', 'b', 'c', 'b', 'c', 'c'].map((g) => ({
        tenant: 'acme',
        name: 'grp',
        timestamp: now - 1000,
        dimensions: { g },
      })),
    );
    const live = await h.request(
      LiveDocument,
      { metric: { event: 'grp', groupBy: 'g' } },
      h.keys.acme,
    );
    expect(live.body.data?.live.map((v) => [v.group, v.value])).toEqual([
      ['c', 3],
      ['b', 2],
    ]);
    const hist = await h.request(
      HistoryDocument,
      { metric: { event: 'grp', groupBy: 'g' }, from: iso(now - 60_000), interval: '1h' },
      h.keys.acme,
    );
    expect(hist.body.data?.history.map((s) => s.group)).toEqual(['c', 'b']);
  });

  it('subscriptions per connection', async () => {
    const client = h.ws(h.keys.acme!);
    const subs = ['s1', 's2', 's3'].map((event) =>
      collect<WatchLiveSubscription>((sink) =>
        client.subscribe(operation(WatchLiveDocument, { metric: { event } }), sink),
      ),
    );
    try {
      await waitFor(
        () =>
          subs[0]!.results.length > 0 &&
          subs[1]!.results.length > 0 &&
          (subs[2]!.error || subs[2]!.results.length),
        {
          message: 'two served, the third refused',
        },
      );
      const refused = subs[2]!.error as { extensions?: Record<string, unknown> }[];
      expect(refused[0]?.extensions).toMatchObject({
        code: 'RATE_LIMITED',
        limit: 'MAX_SUBSCRIPTIONS_PER_CONNECTION',
        max: 2,
      });
      subs[0]!.dispose();
      const fourth = collect<WatchLiveSubscription>((sink) =>
        client.subscribe(operation(WatchLiveDocument, { metric: { event: 's4' } }), sink),
      );
      await waitFor(() => fourth.results.length > 0, { message: 'a freed slot is usable again' });
      fourth.dispose();
    } finally {
      subs.forEach((s) => s.dispose());
      await client.dispose();
    }
  });

  it('rate per key: RATE_LIMITED with Retry-After once the burst is spent, per key', async () => {
    const limited = await startHarness({
      settings: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' },
    });
    try {
      const statuses: number[] = [];
      let last: ErrorBody = {};
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const response = await limited.post(JSON.stringify({ query: '{ eventNames }' }), {
          authorization: `Bearer ${limited.keys.acme}`,
        });
        statuses.push(response.status);
        retryAfter = response.headers.get('retry-after') ?? retryAfter;
        last = (await response.json()) as ErrorBody;
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(firstError(last).extensions).toMatchObject({
        code: 'RATE_LIMITED',
        limit: 'RATE_LIMIT_PER_SECOND',
      });
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket.
      const other = await limited.request(EventNamesDocument, {}, limited.keys.globex);
      expect(other.status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
