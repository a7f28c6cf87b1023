import { describe, expect, it } from 'vitest';
import { shareLiveReads } from '../../src/api/shared-reads.js';
import type { Freshness } from '../../src/app/services.js';
import type { ChangeNotice } from '../../src/ports/change-feed.js';
import type { LiveWindowRead, LiveWindowStore, WindowStats } from '../../src/ports/live-windows.js';

/** A store whose reads wait until released, counting them. */
function slowStore() {
  const pending: { resolve: (stats: WindowStats[]) => void; reject: (e: Error) => void }[] = [];
  const store = {
    horizonMs: 60_000,
    reads: 0,
    read: (_request: LiveWindowRead) => {
      store.reads++;
      return new Promise<WindowStats[]>((resolve, reject) => pending.push({ resolve, reject }));
    },
    release: (stats: WindowStats[]) => pending.splice(0).forEach((p) => p.resolve(stats)),
    fail: (error: Error) => pending.splice(0).forEach((p) => p.reject(error)),
  };
  return store;
}

const request = (event: string, toMs = 2000): LiveWindowRead => ({
  tenant: 't',
  metric: { event, aggregate: 'COUNT', filter: [], groupBy: null },
  fromMs: 1000,
  toMs,
  maxGroups: 10,
});

const notice = (event: string, fromSec: number, toSec: number): ChangeNotice => ({
  tenant: 't',
  event,
  fromSec,
  toSec,
});

/** A freshness source whose answer the test sets; counts the times it is asked. */
function freshnessSource() {
  const source = {
    asked: 0,
    value: { foldedThrough: 1_000, lagMs: 0, behind: 0 } as Freshness,
    current: async () => {
      source.asked++;
      return source.value;
    },
  };
  return source;
}

/** Shared reads over `store` at a fixed monotonic time; the windows' clock in second 5. */
const shared = (
  store: ReturnType<typeof slowStore>,
  monotonic = () => 0,
  freshness = freshnessSource(),
) =>
  shareLiveReads(
    { live: store as unknown as LiveWindowStore, freshness },
    {
      clock: () => 5_500,
      monotonic,
      timings: { maxAgeMs: 1000, staleWaitMs: 20, readAheadMs: 100 },
    },
  );

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('shared live reads', () => {
  it('identical reads share one store read until a change notice touches their window', async () => {
    const store = slowStore();
    const live = shared(store);
    const answers = [live.read(request('a')), live.read(request('a')), live.read(request('a'))];
    const other = [live.read(request('b')), live.read(request('a', 3000))];
    expect(store.reads).toBe(3);
    const stats = [{ group: null }] as WindowStats[];
    store.release(stats);
    for (const answer of [...answers, ...other]) expect(await answer).toBe(stats);
    expect(await live.read(request('a'))).toBe(stats);
    expect(store.reads).toBe(3);

    // Another event, another tenant, seconds outside [1000, 2000): nothing to read again.
    live.changed(notice('c', 1, 1));
    live.changed({ ...notice('a', 1, 1), tenant: 'u' });
    live.changed(notice('a', 2, 5));
    void live.read(request('a'));
    expect(store.reads).toBe(3);
    live.changed(notice('a', 0, 1));
    void live.read(request('a'));
    void live.read(request('a'));
    expect(store.reads).toBe(4);
    expect(live.horizonMs).toBe(60_000);
    live.close();
  });

  it('after a notice, callers get the new read, or the last answer once it is staleWaitMs late', async () => {
    const store = slowStore();
    const live = shared(store);
    const old = [{ group: 'old' }] as WindowStats[];
    const fresh = [{ group: 'fresh' }] as WindowStats[];
    const first = live.read(request('a'));
    store.release(old);
    await first;

    live.changed(notice('a', 1, 1));
    const quick = live.read(request('a'));
    store.release(fresh);
    expect(await quick).toBe(fresh);

    live.changed(notice('a', 1, 1));
    const slow = live.read(request('a'));
    await tick(40);
    expect(await slow).toBe(fresh);
    expect(await live.read(request('a'))).toBe(fresh);
    const newer = [{ group: 'newer' }] as WindowStats[];
    store.release(newer);
    await tick(0);
    expect(await live.read(request('a'))).toBe(newer);
    expect(store.reads).toBe(3);
    live.close();
  });

  it('an answer carries the freshness known when its read was asked; a late one says it is stale', async () => {
    const store = slowStore();
    const freshness = freshnessSource();
    const live = shared(store, () => 0, freshness);
    const first = live.answer(request('a'));
    freshness.value = { foldedThrough: 2_000, lagMs: 0, behind: 0 };
    store.release([]);
    expect(await first).toMatchObject({ stale: false, freshness: { foldedThrough: 1_000 } });
    expect((await live.answer(request('a'))).freshness.foldedThrough).toBe(1_000);

    live.changed(notice('a', 1, 1));
    const late = live.answer(request('a'));
    await tick(40);
    expect(await late).toMatchObject({ stale: true, freshness: { foldedThrough: 1_000 } });
    store.release([]);
    await tick(0);
    expect(await live.answer(request('a'))).toMatchObject({
      stale: false,
      freshness: { foldedThrough: 2_000 },
    });
    expect(freshness.asked).toBe(2);
    live.close();
  });

  it('a notice during a read: its callers get that read, later callers a read of their own', async () => {
    const store = slowStore();
    const live = shared(store);
    const before = live.read(request('a'));
    live.changed(notice('a', 1, 1));
    const after = live.read(request('a'));
    expect(store.reads).toBe(2);
    const stats = [{ group: 'x' }] as WindowStats[];
    store.release(stats);
    expect(await before).toBe(stats);
    expect(await after).toBe(stats);
    live.close();
  });

  it('an answer is shared for maxAgeMs at most, notices or not', async () => {
    const store = slowStore();
    let now = 0;
    const live = shared(store, () => now);
    void live.read(request('a'));
    store.release([]);
    now = 1000;
    void live.read(request('a'));
    expect(store.reads).toBe(1);
    now = 1001;
    void live.read(request('a'));
    expect(store.reads).toBe(2);
    live.close();
  });

  it('windows asked in a second are read for the next second before it starts', async () => {
    const store = slowStore();
    let clock = 5_850;
    const live = shareLiveReads(
      { live: store as unknown as LiveWindowStore, freshness: freshnessSource() },
      { clock: () => clock, timings: { maxAgeMs: 1000, staleWaitMs: 20, readAheadMs: 100 } },
    );
    void live.read({ ...request('a'), fromMs: -54_000, toMs: 6_000 });
    // A window that does not end with the current second (a `series` bucket) is not read ahead.
    void live.read(request('b'));
    expect(store.reads).toBe(2);
    await tick(80);
    expect(store.reads).toBe(3);
    clock = 6_010;
    void live.read({ ...request('a'), fromMs: -53_000, toMs: 7_000 });
    expect(store.reads).toBe(3);
    live.close();
  });

  it('a failed read fails every caller that shared it, and the next read tries again', async () => {
    const store = slowStore();
    const live = shared(store);
    const answers = [live.read(request('a')), live.read(request('a'))];
    store.fail(new Error('redis down'));
    for (const answer of answers) await expect(answer).rejects.toThrow('redis down');
    void live.read(request('a'));
    expect(store.reads).toBe(2);
    live.close();
  });
});
