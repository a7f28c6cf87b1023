import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionKey, type LogRecord } from '../../src/ports/event-log.js';
import {
  EventNamesDocument,
  HistoryDocument,
  IngestDocument,
  LiveDocument,
  PutLookupDocument,
  WatchLiveDocument,
  WatchSeriesDocument,
  type WatchLiveSubscription,
  type WatchSeriesSubscription,
} from '../generated/graphql.js';
import { waitFor } from '../support/services.js';
import { collect, operation, startHarness, type Harness } from './harness.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('tenant isolation: the tenant comes from the key, never from the request', () => {
  let h: Harness;
  const past = Date.UTC(2024, 2, 3, 10, 0, 0);

  beforeAll(async () => {
    h = await startHarness();
    const now = h.now();
    await h.fold([
      {
        tenant: 'acme',
        name: 'secret_event',
        timestamp: past + 1000,
        value: 5,
        dimensions: { tenant: 'globex' },
      },
      {
        tenant: 'acme',
        name: 'secret_event',
        timestamp: now - 2000,
        value: 7,
        dimensions: { tenant: 'globex' },
      },
      { tenant: 'acme', name: 'secret_event', timestamp: now - 30 * MIN, value: 1 },
      { tenant: 'globex', name: 'own_event', timestamp: now - 1000 },
    ]);
  });
  afterAll(() => h.close());

  it('queries: history, live and eventNames of one tenant never include the other', async () => {
    const metric = { event: 'secret_event', aggregate: 'SUM' as const };
    const range = { from: iso(past), to: iso(past + MIN), interval: '1m' };
    const mine = await h.request(HistoryDocument, { metric, ...range }, h.keys.acme);
    const theirs = await h.request(HistoryDocument, { metric, ...range }, h.keys.globex);
    expect(mine.body.data?.history[0]?.points[0]?.value).toBe(5);
    expect(theirs.body.data?.history[0]?.points[0]?.value).toBeNull();
    // A filter or groupBy on a dimension called `tenant` is just a dimension.
    const grouped = await h.request(
      HistoryDocument,
      { metric: { event: 'secret_event', groupBy: 'tenant' }, ...range },
      h.keys.globex,
    );
    expect(grouped.body.data?.history).toEqual([]);

    const liveMine = await h.request(LiveDocument, { metric, window: '1m' }, h.keys.acme);
    const liveTheirs = await h.request(LiveDocument, { metric, window: '1h' }, h.keys.globex);
    expect(liveMine.body.data?.live[0]?.value).toBe(7);
    expect(liveTheirs.body.data?.live[0]?.value).toBeNull();

    const namesMine = await h.request(EventNamesDocument, {}, h.keys.acme);
    const namesTheirs = await h.request(EventNamesDocument, {}, h.keys.globex);
    expect(namesMine.body.data?.eventNames).toEqual(['secret_event']);
    expect(namesTheirs.body.data?.eventNames).toEqual(['own_event']);
  });

  it("mutations: ingest writes under the key's tenant; a tenant field is refused; lookups are per tenant", async () => {
    const smuggled = await h.post(
      JSON.stringify({
        query: 'mutation { ingest(events: [{ name: "x", tenant: "acme" }]) { accepted } }',
      }),
      { authorization: `Bearer ${h.keys.globex}` },
    );
    expect(
      ((await smuggled.json()) as { errors: { extensions: { code: string } }[] }).errors[0]
        ?.extensions.code,
    ).toBe('BAD_USER_INPUT');
    const ingested = await h.request(
      IngestDocument,
      { events: [{ name: 'from_globex', id: 'g-1', dimensions: { tenant: 'acme' } }] },
      h.keys.globex,
    );
    expect(ingested.body.data?.ingest.accepted).toBe(1);

    const records: LogRecord[] = [];
    const consumer = h.log.consumer({ groupId: 'tenant-check', topics: ['events'] });
    await consumer.start({
      onAssigned: async (partitions) => new Map(partitions.map((p) => [partitionKey(p), 0])),
      onRevoked: async () => undefined,
      onBatch: async (batch) => {
        records.push(...batch.records);
      },
    });
    try {
      const record = await waitFor(() =>
        records.find((r) => r.value.toString().includes('from_globex')),
      );
      expect(record.headers.tenant).toBe('globex');
    } finally {
      await consumer.stop();
    }

    await h.request(
      PutLookupDocument,
      { table: 'ads', keyDimension: 'ad', rows: [{ key: 'a1', values: { c: 'acme' } }] },
      h.keys.acme,
    );
    await h.request(
      PutLookupDocument,
      { table: 'ads', keyDimension: 'ad', rows: [{ key: 'a1', values: { c: 'globex' } }] },
      h.keys.globex,
    );
    const lookups = await h.services.reference.lookups();
    expect(lookups.get('acme')?.[0]?.rows.get('a1')).toEqual({ c: 'acme' });
    expect(lookups.get('globex')?.[0]?.rows.get('a1')).toEqual({ c: 'globex' });
  });

  it('subscriptions over graphql-ws and SSE: the same metric, each tenant its own numbers', async () => {
    const metric = { event: 'secret_event' };
    const wsAcme = h.ws(h.keys.acme!);
    const wsGlobex = h.ws(h.keys.globex!);
    const sseGlobex = h.sse(h.keys.globex!);
    const since = iso(Math.floor(h.now() / MIN) * MIN - 40 * MIN);
    const subs = {
      acme: collect<WatchLiveSubscription>((s) =>
        wsAcme.subscribe(operation(WatchLiveDocument, { metric, window: '1m' }), s),
      ),
      globex: collect<WatchLiveSubscription>((s) =>
        wsGlobex.subscribe(operation(WatchLiveDocument, { metric, window: '1m' }), s),
      ),
      globexSse: collect<WatchLiveSubscription>((s) =>
        sseGlobex.subscribe(operation(WatchLiveDocument, { metric, window: '1m' }), s),
      ),
      seriesAcme: collect<WatchSeriesSubscription>((s) =>
        wsAcme.subscribe(operation(WatchSeriesDocument, { metric, since }), s),
      ),
      seriesGlobex: collect<WatchSeriesSubscription>((s) =>
        sseGlobex.subscribe(operation(WatchSeriesDocument, { metric, since }), s),
      ),
    };
    try {
      await waitFor(() => Object.values(subs).every((s) => s.results.length > 0), {
        message: 'every subscription answered',
      });
      await h.fold([{ tenant: 'acme', name: 'secret_event', timestamp: h.now() - 100 }]);
      await waitFor(() => subs.acme.results.at(-1)?.data?.live[0]?.value === 2, {
        message: 'acme sees its change',
      });
      await waitFor(
        () =>
          subs.seriesAcme.results.some(
            (r) => r.data?.series.point.value === 1 && r.data.series.final,
          ),
        {
          message: 'acme series has its history',
        },
      );
      for (const sub of [subs.globex, subs.globexSse])
        expect(sub.results.map((r) => r.data?.live[0]?.value)).toEqual([0]);
      expect(subs.seriesGlobex.results.every((r) => r.data?.series.point.value === null)).toBe(
        true,
      );
    } finally {
      Object.values(subs).forEach((s) => s.dispose());
      await Promise.all([wsAcme.dispose(), wsGlobex.dispose()]);
      sseGlobex.dispose();
    }
  });
});
