import { describe, expect, it } from 'vitest';
import { createFanOut } from '../../src/api/fanout.js';
import {
  createSeriesFeed,
  type SeriesEvent,
  type SeriesUpdate,
} from '../../src/api/series-feed.js';
import type { Metric } from '../../src/events/metric.js';
import { emptyWindowStats } from '../../src/live/compute.js';
import type { HistoryQuery, HistoryStore } from '../../src/ports/history.js';
import type { LiveWindowRead, LiveWindowStore } from '../../src/ports/live-windows.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const metric: Metric = { event: 'e', aggregate: 'COUNT', filter: [], groupBy: null };

/** Stores over one list of event times, both folded up to `foldedThrough`, the history part counted. */
function world() {
  const state = {
    now: T0 + 3 * MIN + 30_000,
    foldedThrough: T0 + 3 * MIN + 30_000,
    historyReads: 0,
  };
  const events: number[] = [];
  for (let t = T0 - MIN; t < T0 + 20 * MIN; t += 7_000) events.push(t);
  const folded = (from: number, to: number) =>
    events.filter((t) => t >= from && t < to && t < state.foldedThrough).length;
  const history = {
    async query(q: HistoryQuery) {
      state.historyReads++;
      const points = [];
      for (let time = q.fromMs; time < q.toMs; time += q.intervalMs)
        points.push({ time, value: folded(time, time + q.intervalMs) || null });
      return { series: [{ group: null, points }], path: 'raw' as const };
    },
  } as unknown as HistoryStore;
  const live = {
    horizonMs: 3_600_000,
    async read(r: LiveWindowRead) {
      return [{ ...emptyWindowStats(null), count: folded(r.fromMs, r.toMs) }];
    },
  } as unknown as LiveWindowStore;
  const freshness = {
    current: async () => ({
      foldedThrough: state.foldedThrough,
      lagMs: state.now - state.foldedThrough,
      behind: 1,
    }),
  };
  return {
    state,
    events,
    history,
    live,
    freshness,
    truth: (bucket: number) => events.filter((t) => t >= bucket && t < bucket + MIN).length,
  };
}

async function next(iterator: AsyncIterator<SeriesEvent>): Promise<SeriesUpdate> {
  const { value } = await iterator.next();
  if (!value || 'error' in value) throw new Error(`unexpected ${JSON.stringify(value)}`);
  return value.update;
}

describe('series feed', () => {
  it('a slow subscriber that misses frames still gets every bucket final once, in order, equal to history', async () => {
    const w = world();
    const fanOut = createFanOut({
      onError: (error) => {
        throw error;
      },
    });
    const feed = createSeriesFeed({
      history: w.history,
      live: w.live,
      freshness: w.freshness,
      fanOut,
      clock: () => w.state.now,
      maxGroups: 10,
      settleMs: 1000,
      tickMs: 2,
    });
    const iterator = feed.subscribe({ tenant: 't', metric, sinceMs: T0, intervalMs: MIN });
    const updates: SeriesUpdate[] = [];
    // The history part: T0, T0+1m, T0+2m final; then the open bucket T0+3m from live.
    while (updates.filter((u) => !u.final).length === 0) updates.push(await next(iterator));
    expect(updates.filter((u) => u.final).map((u) => u.point.time)).toEqual([
      T0,
      T0 + MIN,
      T0 + 2 * MIN,
    ]);

    // The subscriber stops reading while ten minutes pass and the fold follows.
    for (let step = 0; step < 20; step++) {
      w.state.now += 30_000;
      w.state.foldedThrough = w.state.now - 200;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const target = Math.floor((w.state.now - 1200) / MIN) * MIN;
    while (!updates.some((u) => u.final && u.point.time === target - MIN))
      updates.push(await next(iterator));
    await iterator.return?.();

    const finals = updates.filter((u) => u.final);
    const times = finals.map((u) => u.point.time);
    expect(times).toEqual(Array.from({ length: times.length }, (_, i) => T0 + i * MIN));
    for (const u of finals) expect(u.point.value).toBe(w.truth(u.point.time));
    // Nothing provisional for a bucket once it was final.
    for (const [i, u] of updates.entries())
      if (!u.final)
        expect(finals.some((f) => f.point.time === u.point.time && updates.indexOf(f) < i)).toBe(
          false,
        );
    const deadline = Date.now() + 2000;
    while (fanOut.keys().length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fanOut.keys()).toEqual([]);
  });

  it('waits for the fold before a bucket is final, however late the fold is', async () => {
    const w = world();
    const fanOut = createFanOut({
      onError: (error) => {
        throw error;
      },
    });
    w.state.foldedThrough = T0 + 2 * MIN - 5_000; // the fold lags: T0+1m is not settled
    const feed = createSeriesFeed({
      history: w.history,
      live: w.live,
      freshness: w.freshness,
      fanOut,
      clock: () => w.state.now,
      maxGroups: 10,
      settleMs: 1000,
      tickMs: 2,
    });
    const iterator = feed.subscribe({ tenant: 't', metric, sinceMs: T0, intervalMs: MIN });
    const updates: SeriesUpdate[] = [];
    while (updates.length < 4) updates.push(await next(iterator));
    expect(updates.map((u) => [u.point.time - T0, u.final])).toEqual([
      [0, true],
      [MIN, false],
      [2 * MIN, false],
      [3 * MIN, false],
    ]);
    w.state.foldedThrough = w.state.now;
    while (!updates.some((u) => u.final && u.point.time === T0 + 2 * MIN))
      updates.push(await next(iterator));
    const finals = updates.filter((u) => u.final);
    expect(finals.map((u) => [u.point.time - T0, u.point.value])).toEqual([
      [0, w.truth(T0)],
      [MIN, w.truth(T0 + MIN)],
      [2 * MIN, w.truth(T0 + 2 * MIN)],
    ]);
    await iterator.return?.();
  });

  it('a bucket reaching past the live horizon is read from history while open', async () => {
    const w = world();
    const DAY = 86_400_000;
    let liveReads = 0;
    const read = w.live.read.bind(w.live);
    w.live.read = async (r) => {
      liveReads++;
      return read(r);
    };
    const fanOut = createFanOut({
      onError: (error) => {
        throw error;
      },
    });
    const feed = createSeriesFeed({
      history: w.history,
      live: w.live,
      freshness: w.freshness,
      fanOut,
      clock: () => w.state.now,
      maxGroups: 10,
      settleMs: 1000,
      tickMs: 2,
    });
    const day = Math.floor(T0 / DAY) * DAY;
    const iterator = feed.subscribe({ tenant: 't', metric, sinceMs: day - DAY, intervalMs: DAY });
    const updates = [await next(iterator), await next(iterator)];
    await iterator.return?.();
    expect(updates.map((u) => [u.point.time, u.final])).toEqual([
      [day - DAY, true],
      [day, false],
    ]);
    expect(updates[1]!.point.value).toBe(
      w.events.filter((t) => t >= day && t < w.state.foldedThrough).length,
    );
    expect(liveReads).toBe(0);
  });

  it('nothing is final while the fold is unknown; the first known position settles what it covers', async () => {
    const w = world();
    const unknown = { foldedThrough: null as number | null };
    const freshness = {
      current: async () => ({ foldedThrough: unknown.foldedThrough, lagMs: null, behind: 5 }),
    };
    const fanOut = createFanOut({
      onError: (error) => {
        throw error;
      },
    });
    const feed = createSeriesFeed({
      history: w.history,
      live: w.live,
      freshness,
      fanOut,
      clock: () => w.state.now,
      maxGroups: 10,
      settleMs: 1000,
      tickMs: 2,
    });
    const iterator = feed.subscribe({ tenant: 't', metric, sinceMs: T0, intervalMs: MIN });
    const first = await next(iterator);
    expect(first.final).toBe(false);
    unknown.foldedThrough = w.state.now;
    const updates = [first];
    while (!updates.some((u) => u.final && u.point.time === T0 + 2 * MIN))
      updates.push(await next(iterator));
    await iterator.return?.();
    expect(updates.filter((u) => u.final).map((u) => u.point.time - T0)).toEqual([0, MIN, 2 * MIN]);
  });
});
