import { describe, expect, it } from 'vitest';
import { createMemoryLiveWindows } from '../../src/adapters/memory/live-windows.js';
import type { PositionedEvent } from '../../src/events/event.js';
import { aggregateValue } from '../../src/live/compute.js';
import { createLiveMerger, type LiveBatch } from '../../src/fold/live-merger.js';
import type { LiveWindowStore } from '../../src/ports/live-windows.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const HORIZON_MS = 3_600_000;

const event = (partition: number, offset: number, name = 'page_view'): PositionedEvent => ({
  id: `${partition}-${offset}`,
  tenant: 't',
  name,
  timestamp: NOW - 5000,
  userId: null,
  value: 1,
  dimensions: {},
  topic: 'events',
  partition,
  offset,
});

const batchOf = (events: PositionedEvent[]): LiveBatch => ({
  topic: 'events',
  partition: events[0]!.partition,
  fromOffset: events[0]!.offset,
  toOffset: events[events.length - 1]!.offset,
  events,
});

/** The memory store, counting its writes. */
function countingStore() {
  const store = createMemoryLiveWindows({ horizonMs: HORIZON_MS, clock: () => NOW });
  const writes = { merged: 0, alone: 0 };
  const counted: LiveWindowStore = {
    ...store,
    horizonMs: HORIZON_MS,
    applyMerged: (request) => (writes.merged++, store.applyMerged(request)),
    apply: (request) => (writes.alone++, store.apply(request)),
  };
  const count = async (name = 'page_view') => {
    const [stats] = await store.read({
      tenant: 't',
      metric: { event: name, aggregate: 'COUNT', filter: [], groupBy: null },
      fromMs: NOW - 60_000,
      toMs: NOW,
      maxGroups: 1,
    });
    return stats ? aggregateValue(stats, 'COUNT') : 0;
  };
  return { store: counted, writes, count };
}

const merger = (live: LiveWindowStore, maxWaitMs = 10_000) =>
  createLiveMerger({ live, clock: () => NOW, onLate: () => undefined, maxWaitMs });

describe('live merger', () => {
  it('waits for every batch being folded, then writes them in one go', async () => {
    const { store, writes, count } = countingStore();
    const live = merger(store);
    const [a, b, c] = [live.expect(), live.expect(), live.expect()];
    const first = a.apply(batchOf([event(0, 0), event(0, 1)]));
    const second = b.apply(batchOf([event(1, 0)]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(writes.merged).toBe(0);
    // The third batch will not write (all its records were skipped): the others go now.
    c.done();
    const announced = await Promise.all([first, second]);
    expect(writes).toEqual({ merged: 1, alone: 0 });
    // The one group is announced once, by the first batch that holds it.
    expect(announced.map((groups) => groups.length)).toEqual([1, 0]);
    expect(await count()).toBe(3);
  });

  it('writes after maxWaitMs when an expected batch does not come', async () => {
    const { store, writes, count } = countingStore();
    const live = merger(store, 5);
    const a = live.expect();
    live.expect();
    await a.apply(batchOf([event(0, 0)]));
    expect(writes.merged).toBe(1);
    expect(await count()).toBe(1);
  });

  it('applies a refused group per partition: nothing twice, nothing lost', async () => {
    const { store, writes, count } = countingStore();
    const live = merger(store);
    await live.expect().apply(batchOf([event(0, 0), event(0, 1)]));
    // Partition 0 redelivered from offset 1 with a new record, beside partition 1's first batch.
    const [a, b] = [live.expect(), live.expect()];
    await Promise.all([
      a.apply(batchOf([event(0, 1), event(0, 2)])),
      b.apply(batchOf([event(1, 0), event(1, 1, 'click')])),
    ]);
    expect(writes.merged).toBe(2);
    expect(writes.alone).toBeGreaterThan(0);
    expect(await count()).toBe(4);
    expect(await count('click')).toBe(1);
  });

  it('puts one batch per partition in a write', async () => {
    const { store, writes, count } = countingStore();
    const live = merger(store);
    const [a, b] = [live.expect(), live.expect()];
    await Promise.all([
      a.apply(batchOf([event(0, 0)])),
      b.apply(batchOf([event(0, 1), event(0, 2)])),
    ]);
    expect(writes.merged).toBe(2);
    expect(await count()).toBe(3);
  });
});
