import { describe, expect, it } from 'vitest';
import { shareLiveReads } from '../../src/api/shared-reads.js';
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

describe('shared live reads', () => {
  it('identical reads share one store read until a change notice touches their window', async () => {
    const store = slowStore();
    const live = shareLiveReads({ live: store as unknown as LiveWindowStore }, () => 0);
    const answers = [live.read(request('a')), live.read(request('a')), live.read(request('a'))];
    const other = [live.read(request('b')), live.read(request('a', 3000))];
    expect(store.reads).toBe(3);
    const stats = [{ group: null }] as WindowStats[];
    store.release(stats);
    for (const answer of [...answers, ...other]) expect(await answer).toBe(stats);
    expect(await live.read(request('a'))).toBe(stats);
    expect(store.reads).toBe(3);

    // Another event, another tenant, seconds outside [1000, 2000): nothing to forget.
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
  });

  it('a notice during a read: its callers get that read, later callers a read of their own', async () => {
    const store = slowStore();
    const live = shareLiveReads({ live: store as unknown as LiveWindowStore }, () => 0);
    const before = live.read(request('a'));
    live.changed(notice('a', 1, 1));
    const after = live.read(request('a'));
    expect(store.reads).toBe(2);
    const stats = [{ group: 'x' }] as WindowStats[];
    store.release(stats);
    expect(await before).toBe(stats);
    expect(await after).toBe(stats);
  });

  it('an answer is shared for a second at most, notices or not', async () => {
    const store = slowStore();
    let now = 0;
    const live = shareLiveReads({ live: store as unknown as LiveWindowStore }, () => now);
    void live.read(request('a'));
    store.release([]);
    now = 1000;
    void live.read(request('a'));
    expect(store.reads).toBe(1);
    now = 1001;
    void live.read(request('a'));
    expect(store.reads).toBe(2);
  });

  it('a failed read fails every caller that shared it, and the next read tries again', async () => {
    const store = slowStore();
    const live = shareLiveReads({ live: store as unknown as LiveWindowStore }, () => 0);
    const answers = [live.read(request('a')), live.read(request('a'))];
    store.fail(new Error('redis down'));
    for (const answer of answers) await expect(answer).rejects.toThrow('redis down');
    void live.read(request('a'));
    expect(store.reads).toBe(2);
  });
});
