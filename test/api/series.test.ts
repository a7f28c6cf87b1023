import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HistoryDocument,
  WatchSeriesDocument,
  type WatchSeriesSubscription,
} from '../generated/graphql.js';
import { waitFor } from '../support/services.js';
import { collect, operation, startHarness, type Harness, type TestEvent } from './harness.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

type Update = WatchSeriesSubscription['series'];

/** Moves the harness clock so that "now" is `before` ms ahead of a minute boundary; returns it. */
function nearBoundary(h: Harness, before: number): number {
  const real = Date.now();
  const boundary = Math.ceil((real + before) / MIN) * MIN;
  h.clockOffsetMs = boundary - before - real;
  return boundary;
}

describe('series subscription', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seriesSettleMs: 500 });
  });
  afterAll(() => h.close());

  it('history first, then live, with no gap and no double count at the seam while events keep arriving', async () => {
    const boundary = nearBoundary(h, 4000);
    const since = boundary - 3 * MIN;
    const truth = new Map<number, number>();
    const count = (events: TestEvent[]) => {
      for (const e of events) {
        const bucket = Math.floor(e.timestamp / MIN) * MIN;
        truth.set(bucket, (truth.get(bucket) ?? 0) + 1);
      }
    };
    // Closed buckets, already folded.
    const old: TestEvent[] = [
      ...Array.from({ length: 5 }, (_, i) => ({
        tenant: 'acme',
        name: 'seam',
        timestamp: since + 1000 * i,
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        tenant: 'acme',
        name: 'seam',
        timestamp: since + MIN + 7000 * i,
      })),
      { tenant: 'acme', name: 'seam', timestamp: since - 1 }, // before `since`: never sent
    ];
    await h.fold(old);
    count(old);

    // A producer stamps events on receipt and folds them FOLD_LAG_MS later (longer than the settle
    // time), as a lagging pipeline does; freshness says folded through the oldest event still
    // waiting. It runs while the subscription starts and across the minute boundary.
    const FOLD_LAG_MS = 800;
    const pending: TestEvent[] = [];
    let folded = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const now = h.now();
        pending.push({ tenant: 'acme', name: 'seam', timestamp: now });
        const due = pending.filter((e) => e.timestamp <= now - FOLD_LAG_MS);
        if (due.length > 0) {
          pending.splice(0, due.length);
          await h.fold(due);
          count(due);
          folded += due.length;
        }
        h.freshness.foldedThrough = pending.length > 0 ? pending[0]!.timestamp : null;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      await h.fold(pending);
      count(pending);
      h.freshness.foldedThrough = null;
    })();

    const client = h.ws(h.keys.acme!);
    await waitFor(() => folded > 0, { message: 'the stream is flowing' }); // subscribe mid-stream
    const seen = collect<WatchSeriesSubscription>((sink) =>
      client.subscribe(
        operation(WatchSeriesDocument, {
          metric: { event: 'seam' },
          since: iso(since),
          interval: '1m',
        }),
        sink,
      ),
    );
    const updates = () => seen.results.map((r) => r.data?.series).filter((u): u is Update => !!u);
    const finals = () => updates().filter((u) => u.final);
    try {
      await waitFor(() => h.now() > boundary + 2000, {
        timeout: 10_000,
        message: 'past the boundary',
      });
      producing = false;
      await producer;
      await waitFor(() => finals().some((u) => Date.parse(u.point.time) === boundary - MIN), {
        timeout: 10_000,
        message: 'the bucket open at the start became final',
      });
      const open = truth.get(boundary)!;
      await waitFor(
        () =>
          updates().some(
            (u) => Date.parse(u.point.time) === boundary && !u.final && u.point.value === open,
          ),
        { timeout: 5000, message: `the open bucket reached ${open}` },
      );
      expect(seen.error).toBeUndefined();
      expect(seen.results.every((r) => r.errors === undefined)).toBe(true);

      // Every bucket from `since` final exactly once, in order, each equal to history and to the truth.
      const finalTimes = finals().map((u) => Date.parse(u.point.time));
      expect(finalTimes).toEqual([since, since + MIN, since + 2 * MIN]);
      const { body } = await h.request(
        HistoryDocument,
        { metric: { event: 'seam' }, from: iso(since), to: iso(boundary), interval: '1m' },
        h.keys.acme,
      );
      const history = body.data!.history[0]!.points.map((p) => p.value);
      expect(finals().map((u) => u.point.value)).toEqual(history);
      expect(history).toEqual([
        truth.get(since),
        truth.get(since + MIN),
        truth.get(since + 2 * MIN),
      ]);
      expect(truth.get(since - MIN)).toBe(1);

      // Before it was final, the bucket open at the start was sent from live, never above the truth.
      const provisional = updates().filter(
        (u) => !u.final && Date.parse(u.point.time) === boundary - MIN,
      );
      expect(provisional.length).toBeGreaterThan(0);
      for (const u of provisional)
        expect(u.point.value ?? 0).toBeLessThanOrEqual(truth.get(boundary - MIN)!);
      // Nothing is sent for a bucket after it was final.
      const finalAt = updates().findIndex(
        (u) => u.final && Date.parse(u.point.time) === boundary - MIN,
      );
      expect(
        updates()
          .slice(finalAt + 1)
          .every((u) => Date.parse(u.point.time) >= boundary),
      ).toBe(true);
      expect(seen.results.at(-1)?.extensions?.freshness).toBeDefined();
    } finally {
      producing = false;
      await producer;
      seen.dispose();
      await client.dispose();
      h.clockOffsetMs = 0;
    }
  });

  it('over SSE, grouped: the closed buckets of every group, then the open bucket', async () => {
    const since = Math.floor(h.now() / MIN) * MIN - 2 * MIN;
    await h.fold([
      { tenant: 'acme', name: 'grouped', timestamp: since + 1000, dimensions: { plan: 'pro' } },
      { tenant: 'acme', name: 'grouped', timestamp: since + 2000, dimensions: { plan: 'free' } },
      { tenant: 'acme', name: 'grouped', timestamp: since + MIN, dimensions: { plan: 'pro' } },
      { tenant: 'acme', name: 'grouped', timestamp: h.now() - 10, dimensions: { plan: 'pro' } },
    ]);
    const client = h.sse(h.keys.acme!);
    const seen = collect<WatchSeriesSubscription>((sink) =>
      client.subscribe(
        operation(WatchSeriesDocument, {
          metric: { event: 'grouped', groupBy: 'plan' },
          since: iso(since + 5000),
        }),
        sink,
      ),
    );
    try {
      await waitFor(() => seen.results.some((r) => r.data?.series.final === false), {
        message: 'the open bucket',
      }).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; got ${JSON.stringify(seen.results)} ${String(seen.error)}`,
        );
      });
      const updates = seen.results.map((r) => r.data!.series);
      const finals = updates
        .filter((u) => u.final)
        .map((u) => [u.group, Date.parse(u.point.time) - since, u.point.value]);
      expect(finals).toEqual(
        expect.arrayContaining([
          ['pro', 0, 1],
          ['free', 0, 1],
          ['pro', MIN, 1],
        ]),
      );
      const open = updates.find((u) => !u.final)!;
      expect([open.group, Date.parse(open.point.time) - since, open.point.value]).toEqual([
        'pro',
        2 * MIN,
        1,
      ]);
    } finally {
      seen.dispose();
      client.dispose();
    }
  });
});
