import { describe, expect, it } from 'vitest';
import { shareLiveReads } from '../../src/api/shared-reads.js';
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

describe('shared live reads', () => {
  it('identical reads in flight are one store read; a read asked after it settled is its own', async () => {
    const store = slowStore();
    const live = shareLiveReads({ live: store as unknown as LiveWindowStore });
    const answers = [live.read(request('a')), live.read(request('a')), live.read(request('a'))];
    const other = [live.read(request('b')), live.read(request('a', 3000))];
    expect(store.reads).toBe(3);
    const stats = [{ group: null }] as WindowStats[];
    store.release(stats);
    for (const answer of [...answers, ...other]) expect(await answer).toBe(stats);
    void live.read(request('a'));
    expect(store.reads).toBe(4);
    expect(live.horizonMs).toBe(60_000);
  });

  it('a failed read fails every caller that shared it, and the next read tries again', async () => {
    const store = slowStore();
    const live = shareLiveReads({ live: store as unknown as LiveWindowStore });
    const answers = [live.read(request('a')), live.read(request('a'))];
    store.fail(new Error('redis down'));
    for (const answer of answers) await expect(answer).rejects.toThrow('redis down');
    void live.read(request('a'));
    expect(store.reads).toBe(2);
  });
});
