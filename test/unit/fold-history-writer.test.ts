import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PositionedEvent } from '../../src/events/event.js';
import { createHistoryWriter } from '../../src/fold/history-writer.js';
import type { HistoryStore } from '../../src/ports/history.js';

const event = (offset: number): PositionedEvent => ({
  id: `e${offset}`,
  tenant: 't',
  name: 'n',
  timestamp: 0,
  userId: null,
  value: null,
  dimensions: {},
  topic: 'events',
  partition: 0,
  offset,
});

/** A history store that records each insert and lets the test decide when it finishes. */
function recordingStore() {
  const inserts: { offsets: number[]; finish: (error?: Error) => void }[] = [];
  const store = {
    insert: (events: PositionedEvent[]) =>
      new Promise<void>((resolve, reject) =>
        inserts.push({
          offsets: events.map((e) => e.offset),
          finish: (error) => (error ? reject(error) : resolve()),
        }),
      ),
  } as Pick<HistoryStore, 'insert'> as HistoryStore;
  return { store, inserts };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

afterEach(() => vi.useRealTimers());

describe('history writer', () => {
  it('shares one insert once every active writer waits, and resolves each after it', async () => {
    const { store, inserts } = recordingStore();
    const writer = createHistoryWriter({
      history: store,
      flushRows: 1000,
      flushMs: 60_000,
      activeWriters: () => 2,
    });
    const first = writer.write([event(1), event(2)]);
    expect(inserts).toHaveLength(0);
    const second = writer.write([event(3)]);
    expect(inserts.map((i) => i.offsets)).toEqual([[1, 2, 3]]);
    expect(await settled(first)).toBe(false);
    inserts[0]!.finish();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
  });

  it('flushes what waits when a writer leaves without writing', async () => {
    const { store, inserts } = recordingStore();
    let active = 2;
    const writer = createHistoryWriter({
      history: store,
      flushRows: 1000,
      flushMs: 60_000,
      activeWriters: () => active,
    });
    const waiting = writer.write([event(1)]);
    expect(inserts).toHaveLength(0);
    active = 1;
    writer.left();
    expect(inserts.map((i) => i.offsets)).toEqual([[1]]);
    inserts[0]!.finish();
    await expect(waiting).resolves.toBeUndefined();
    active = 0;
    writer.left();
    expect(inserts).toHaveLength(1);
  });

  it('flushes after flushMs while another writer is still busy, or at flushRows', async () => {
    vi.useFakeTimers();
    const { store, inserts } = recordingStore();
    const writer = createHistoryWriter({
      history: store,
      flushRows: 3,
      flushMs: 200,
      activeWriters: () => 2,
    });
    void writer.write([event(1)]);
    vi.advanceTimersByTime(199);
    expect(inserts).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(inserts.map((i) => i.offsets)).toEqual([[1]]);
    void writer.write([event(2), event(3), event(4)]);
    expect(inserts.map((i) => i.offsets)).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects every writer of a failed insert', async () => {
    const { store, inserts } = recordingStore();
    const writer = createHistoryWriter({
      history: store,
      flushRows: 1000,
      flushMs: 60_000,
      activeWriters: () => 2,
    });
    const first = writer.write([event(1)]);
    const second = writer.write([event(2)]);
    inserts[0]!.finish(new Error('ClickHouse said no'));
    await expect(first).rejects.toThrow('ClickHouse said no');
    await expect(second).rejects.toThrow('ClickHouse said no');
  });
});
