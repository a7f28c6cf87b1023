import type { Client as WsClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LiveDocument,
  WatchLiveDocument,
  type LiveQuery,
  type WatchLiveSubscription,
} from '../generated/graphql.js';
import { waitFor } from '../support/services.js';
import { collect, operation, startHarness, type Collected, type Harness } from './harness.js';

describe('live subscription', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  /** `live` of `event` over 10 s for one client (graphql-ws or SSE). */
  const watchLive = (client: Pick<WsClient, 'subscribe'>, event: string) =>
    collect<WatchLiveSubscription>((sink) =>
      client.subscribe(operation(WatchLiveDocument, { metric: { event }, window: '10s' }), sink),
    );

  /**
   * Every subscriber got its start; then, after each of three `event`s folded, every one has the
   * new count, and `check` holds.
   */
  async function expectCountsToThree(
    subs: Collected<WatchLiveSubscription>[],
    event: string,
    who: string,
    check: () => void = () => undefined,
  ) {
    await waitFor(() => subs.every((s) => s.results.length >= 1), {
      message: `every ${who} got the start`,
    });
    for (let i = 0; i < 3; i++) {
      await h.fold([{ tenant: 'acme', name: event, timestamp: h.now() - 200 }]);
      await waitFor(() => subs.every((s) => s.results.at(-1)?.data?.live[0]?.value === i + 1), {
        message: `every ${who} saw ${i + 1}`,
      });
      check();
    }
  }

  it('over graphql-ws: once at the start, then on every change, with extensions.freshness', async () => {
    const client = h.ws(h.keys.acme!);
    const seen = collect<WatchLiveSubscription>((sink) =>
      client.subscribe(
        operation(WatchLiveDocument, { metric: { event: 'ws_click' }, window: '30s', every: '1s' }),
        sink,
      ),
    );
    try {
      await waitFor(() => seen.results.length >= 1, { message: 'first push' });
      expect(seen.results[0]?.data?.live).toEqual([
        expect.objectContaining({ group: null, value: 0 }),
      ]);
      expect(seen.results[0]?.extensions?.freshness).toMatchObject({ behind: 0 });

      await h.fold([{ tenant: 'acme', name: 'ws_click', timestamp: h.now() - 1000 }]);
      await waitFor(() => seen.results.at(-1)?.data?.live[0]?.value === 1, {
        message: 'push after a change',
      });
      await h.fold([{ tenant: 'acme', name: 'ws_click', timestamp: h.now() - 500 }]);
      await waitFor(() => seen.results.at(-1)?.data?.live[0]?.value === 2, {
        message: 'second change',
      });
      expect(seen.results.map((r) => r.data?.live[0]?.value)).toEqual([0, 1, 2]);
      expect(seen.error).toBeUndefined();
    } finally {
      seen.dispose();
      await client.dispose();
    }
  });

  it('over SSE with the Authorization header', async () => {
    const client = h.sse(h.keys.acme!);
    await h.fold([
      { tenant: 'acme', name: 'sse_click', timestamp: h.now() - 2000, dimensions: { page: '/a' } },
    ]);
    const seen = collect<WatchLiveSubscription>((sink) =>
      client.subscribe(
        operation(WatchLiveDocument, {
          metric: { event: 'sse_click', groupBy: 'page' },
          window: '1m',
        }),
        sink,
      ),
    );
    try {
      await waitFor(() => seen.results.length >= 1, { message: 'first SSE push' });
      expect(seen.results[0]?.data?.live).toEqual([
        expect.objectContaining({ group: '/a', value: 1 }),
      ]);
      expect(seen.results[0]?.extensions?.freshness).toBeDefined();
      await h.fold([
        { tenant: 'acme', name: 'sse_click', timestamp: h.now() - 100, dimensions: { page: '/b' } },
      ]);
      await waitFor(() => seen.results.at(-1)?.data?.live.length === 2, {
        message: 'SSE push after a change',
      });
    } finally {
      seen.dispose();
      client.dispose();
    }
  });

  it('many subscribers of one metric share one store read per tick; the ticker stops with the last', async () => {
    let reads = 0;
    const read = h.services.live.read.bind(h.services.live);
    h.services.live.read = async (request) => {
      if (request.metric.event === 'shared') reads++;
      return read(request);
    };
    const clients = Array.from({ length: 20 }, () => h.ws(h.keys.acme!));
    const subs = clients.map((client) => watchLive(client, 'shared'));
    try {
      await expectCountsToThree(subs, 'shared', 'subscriber');
      // One ticker: about one read per tick (a window with data is re-read each second), not 20.
      expect(reads).toBeLessThan(15);
      expect(h.api.tickers().filter((key) => key.includes('shared'))).toHaveLength(1);
    } finally {
      subs.forEach((s) => s.dispose());
      await Promise.all(clients.map((c) => c.dispose()));
      h.services.live.read = read;
    }
    await waitFor(() => h.api.tickers().every((key) => !key.includes('shared')), {
      message: 'ticker stopped',
    });
  });
  it('SSE subscribers of one metric share one store read per tick and get the same values', async () => {
    const reads = new Map<string, number>();
    const read = h.services.live.read.bind(h.services.live);
    h.services.live.read = async (request) => {
      if (request.metric.event === 'sse_shared') {
        const window = `${request.fromMs}-${request.toMs}`;
        reads.set(window, (reads.get(window) ?? 0) + 1);
      }
      return read(request);
    };
    const clients = Array.from({ length: 5 }, () => h.sse(h.keys.acme!));
    const subs = clients.map((client) => watchLive(client, 'sse_shared'));
    try {
      await expectCountsToThree(subs, 'sse_shared', 'SSE subscriber', () => {
        // The same frame of the same tick: windows included.
        const latest = subs.map((s) => s.results.at(-1)?.data?.live);
        for (const values of latest) expect(values).toEqual(latest[0]);
      });
      expect(reads.size).toBeGreaterThan(0);
      expect([...reads.values()].every((count) => count === 1)).toBe(true);
      expect(h.api.tickers().filter((key) => key.includes('sse_shared'))).toHaveLength(1);
      expect(subs.every((s) => s.error === undefined)).toBe(true);
    } finally {
      subs.forEach((s) => s.dispose());
      clients.forEach((c) => c.dispose());
      h.services.live.read = read;
    }
    await waitFor(() => h.api.tickers().every((key) => !key.includes('sse_shared')), {
      message: 'ticker stopped',
    });
  });
});

describe('queries over graphql-ws', () => {
  it('go through the same auth, context and extensions as over HTTP', async () => {
    const h = await startHarness();
    const client = h.ws(h.keys.globex!);
    try {
      await h.fold([{ tenant: 'globex', name: 'over_ws', timestamp: h.now() - 1000 }]);
      const seen = collect<LiveQuery>((sink) =>
        client.subscribe(operation(LiveDocument, { metric: { event: 'over_ws' } }), sink),
      );
      await waitFor(() => seen.completed, { message: 'query answered' });
      expect(seen.results[0]?.data?.live[0]?.value).toBe(1);
      expect(seen.results[0]?.extensions?.freshness).toBeDefined();
    } finally {
      await client.dispose();
      await h.close();
    }
  });
});
