import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonMediaType } from '../../src/api/direct-http.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The direct HTTP path (src/api/direct-http.ts) must answer exactly as yoga does. Each request goes
 * once over the real server (direct path, or its hand-over to yoga) and once to yoga's own Fetch
 * handler, in process; status, the headers that carry meaning and the body must be the same.
 */
describe('direct HTTP path', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ readOnly: ['acme'] });
    const past = Date.parse('2024-03-01T10:00:00Z');
    await h.fold([
      { tenant: 'acme', name: 'direct_view', timestamp: past + 1000, value: 2 },
      { tenant: 'acme', name: 'direct_view', timestamp: past + 61_000, value: 5 },
    ]);
  });
  afterAll(() => h.close());

  /** Freshness says "now" (foldedThrough) in each answer: its fields are kept, its values not. */
  const withoutClock = (text: string) => {
    try {
      const body = JSON.parse(text) as { extensions?: { freshness?: Record<string, unknown> } };
      const freshness = body.extensions?.freshness;
      if (freshness) body.extensions!.freshness = Object.keys(freshness) as never;
      return body;
    } catch {
      return text;
    }
  };

  const both = async (body: string, headers: Record<string, string>) => {
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    };
    const [server, yoga] = await Promise.all([
      fetch(h.url, init),
      h.api.yoga.fetch(new URL(h.url), init),
    ]);
    const shape = async (response: Response) => ({
      status: response.status,
      contentType: response.headers.get('content-type'),
      wwwAuthenticate: response.headers.get('www-authenticate'),
      retryAfter: response.headers.get('retry-after'),
      body: withoutClock(await response.text()),
    });
    return { server: await shape(server), yoga: await shape(yoga) };
  };

  const history = JSON.stringify({
    query:
      'query H($m: MetricInput!) { history(metric: $m, from: "2024-03-01T10:00:00Z", to: "2024-03-01T10:03:00Z", interval: "1m") { group points { time value } } }',
    variables: { m: { event: 'direct_view', aggregate: 'SUM' } },
  });
  const cases: [string, string, (keys: Harness['keys']) => Record<string, string>][] = [
    ['a query with data', history, (k) => ({ authorization: `Bearer ${k.acme}` })],
    [
      'the same, accepting graphql-response+json first',
      history,
      (k) => ({
        authorization: `Bearer ${k.acme}`,
        accept: 'application/graphql-response+json, application/json;q=0.9',
      }),
    ],
    [
      'variables of the wrong type',
      JSON.stringify({
        query: 'query H($m: MetricInput!) { live(metric: $m) { value } }',
        variables: { m: { event: 3 } },
      }),
      (k) => ({ authorization: `Bearer ${k.acme}` }),
    ],
    [
      'a resolver refusing an argument',
      JSON.stringify({ query: '{ live(metric: { event: "x" }, window: "7x") { value } }' }),
      (k) => ({ authorization: `Bearer ${k.acme}` }),
    ],
    [
      'a mutation with a rejected event',
      JSON.stringify({
        query: 'mutation { ingest(events: [{ name: "" }]) { accepted rejected { index reason } } }',
      }),
      (k) => ({ authorization: `Bearer ${k.acme}` }),
    ],
    [
      'a read-only key writing',
      JSON.stringify({ query: 'mutation { ingest(events: [{ name: "x" }]) { accepted } }' }),
      (k) => ({ authorization: `Bearer ${k['acme:read']}` }),
    ],
    [
      'a syntax error',
      JSON.stringify({ query: '{ live(' }),
      (k) => ({ authorization: `Bearer ${k.acme}` }),
    ],
    [
      'an unknown field',
      JSON.stringify({ query: '{ nope }' }),
      (k) => ({ authorization: `Bearer ${k.acme}` }),
    ],
    ['no key', JSON.stringify({ query: '{ eventNames }' }), () => ({})],
    [
      'a wrong key',
      JSON.stringify({ query: '{ eventNames }' }),
      () => ({ authorization: 'Bearer no' }),
    ],
    ['a body that is not JSON', '{"query": ', (k) => ({ authorization: `Bearer ${k.acme}` })],
    [
      'a batch (batching is off)',
      JSON.stringify([{ query: '{ eventNames }' }]),
      (k) => ({ authorization: `Bearer ${k.acme}` }),
    ],
  ];

  it.each(cases)('%s', async (_name, body, headers) => {
    const { server, yoga } = await both(body, headers(h.keys));
    expect(server).toEqual(yoga);
  });

  it('answers with data where data is due', async () => {
    const { server } = await both(history, { authorization: `Bearer ${h.keys.acme}` });
    expect(server.status).toBe(200);
    const body = server.body as { data: { history: { points: { value: number | null }[] }[] } };
    expect(body.data.history[0]!.points.map((p) => p.value)).toEqual([2, 5, null]);
  });

  it('picks the media type yoga picks', () => {
    expect(jsonMediaType(undefined)).toBe('application/json');
    expect(jsonMediaType('*/*')).toBe('application/json');
    expect(jsonMediaType('application/graphql-response+json, application/json;q=0.9')).toBe(
      'application/graphql-response+json',
    );
    expect(jsonMediaType('application/json, application/graphql-response+json')).toBe(
      'application/json',
    );
    expect(jsonMediaType('application/json; charset=latin1')).toBeNull();
    expect(jsonMediaType('text/event-stream')).toBeNull();
  });
});
