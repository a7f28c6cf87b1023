// The history pump: one insert in flight, at most one per interval, each taking every entry that
// arrived meanwhile; partitions held until their rows landed; an insert that failed after landing
// is not repeated for the rows history already holds.
import { describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '../../src/errors.js';
import type { PositionedEvent } from '../../src/events/event.js';
import { createMemoryHistoryHolds } from '../../src/adapters/memory/history-holds.js';
import { createHistoryPump, type HistoryEntry } from '../../src/fold/history-pump.js';
import { retryWhileUnavailable } from '../../src/fold/retry.js';
import type { PartitionProgress } from '../../src/ports/fold-progress.js';
import type { HistoryStore } from '../../src/ports/history.js';

const P0 = { topic: 'events', partition: 0 };
const P1 = { topic: 'events', partition: 1 };

const event = (partition: number, offset: number): PositionedEvent => ({
  id: `e${partition}-${offset}`,
  tenant: 't',
  name: 'n',
  timestamp: 0,
  userId: null,
  value: null,
  dimensions: {},
  topic: 'events',
  partition,
  offset,
});

const entry = (
  partition: 0 | 1,
  offsets: number[],
  live: Promise<unknown> = Promise.resolve(),
): HistoryEntry => ({
  partition: partition === 0 ? P0 : P1,
  events: offsets.map((offset) => event(partition, offset)),
  last: { offset: offsets.at(-1) ?? 0, timestamp: 1000 + (offsets.at(-1) ?? 0) },
  live,
});

/** A history that keeps what it was given; each insert waits until the test lets it finish. */
function gatedHistory() {
  const stored: PositionedEvent[] = [];
  const inserts: { offsets: string[]; finish: (outcome?: 'fail' | 'land-then-fail') => void }[] =
    [];
  const history = {
    insert: (events: PositionedEvent[]) =>
      new Promise<void>((resolve, reject) =>
        inserts.push({
          offsets: events.map((e) => `${e.partition}:${e.offset}`),
          finish(outcome) {
            if (outcome !== 'fail') stored.push(...events);
            if (outcome) reject(new DependencyUnavailableError('history', new Error('cut')));
            else resolve();
          },
        }),
      ),
    offsets: async (partitions: { partition: number }[]) =>
      partitions.map((p) =>
        Math.max(-1, ...stored.filter((e) => e.partition === p.partition).map((e) => e.offset)),
      ),
  } as Pick<HistoryStore, 'insert' | 'offsets'> as HistoryStore;
  return { history, stored, inserts };
}

function pumpOf(history: HistoryStore, settings: { intervalMs?: number; maxRows?: number } = {}) {
  const holds = createMemoryHistoryHolds();
  const landed: { progress: PartitionProgress[]; events: number }[] = [];
  const pump = createHistoryPump({
    history,
    holds,
    maxRows: settings.maxRows ?? 1000,
    intervalMs: settings.intervalMs ?? 0,
    untilAvailable: (_step, work) =>
      retryWhileUnavailable(work, { giveUp: () => false, initialDelayMs: 1, maxDelayMs: 5 }),
    async onLanded(progress, events) {
      landed.push({ progress, events });
    },
  });
  /** Adds like pump.add and remembers the entry's landing, for `drained`. */
  const landings: Promise<void>[] = [];
  const add = async (entry: HistoryEntry, live?: Promise<unknown>) => {
    const { landed: done } = await pump.add(live ? { ...entry, live } : entry);
    landings.push(done);
  };
  const drained = () => Promise.all(landings);
  return { pump, add, drained, holds, landed };
}

/** Lets pending promise callbacks and timers of 0 ms run. */
const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 1));
};

describe('history pump', () => {
  it('inserts what arrived while an insert was in flight together, after it, in order', async () => {
    const { history, inserts } = gatedHistory();
    const { add, drained, landed } = pumpOf(history);
    await add(entry(0, [1, 2]));
    await turns();
    expect(inserts.map((i) => i.offsets)).toEqual([['0:1', '0:2']]);
    await add(entry(1, [7]));
    await add(entry(0, [3]));
    await turns();
    expect(inserts).toHaveLength(1);

    inserts[0]!.finish();
    await turns();
    expect(inserts.map((i) => i.offsets)).toEqual([
      ['0:1', '0:2'],
      ['1:7', '0:3'],
    ]);
    inserts[1]!.finish();
    await drained();
    expect(landed).toEqual([
      { progress: [{ ...P0, offset: 2, recordTimestamp: 1002 }], events: 2 },
      {
        progress: [
          { ...P1, offset: 7, recordTimestamp: 1007 },
          { ...P0, offset: 3, recordTimestamp: 1003 },
        ],
        events: 2,
      },
    ]);
  });

  it('starts at most one insert per interval', async () => {
    const { history, inserts } = gatedHistory();
    const { add, drained } = pumpOf(history, { intervalMs: 150 });
    await add(entry(0, [1]));
    await turns();
    inserts[0]!.finish();
    await turns();
    const started = Date.now();
    await add(entry(0, [2]));
    await turns();
    expect(inserts).toHaveLength(1);
    await expect.poll(() => inserts.length, { timeout: 2000, interval: 5 }).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    inserts[1]!.finish();
    await drained();
  });

  it('does not hold a big insert back for the interval', async () => {
    const { history, inserts } = gatedHistory();
    const { add, drained } = pumpOf(history, { intervalMs: 60_000, maxRows: 100 });
    await add(entry(0, [1]));
    await turns();
    inserts[0]!.finish();
    await add(entry(0, [2]));
    await turns();
    // one row: it waits for the interval
    expect(inserts).toHaveLength(1);
    await add(entry(0, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    await expect.poll(() => inserts.length, { timeout: 2000, interval: 5 }).toBe(2);
    inserts[1]!.finish();
    await drained();
  });

  it('holds a partition from its first entry until its last one landed', async () => {
    const { history, inserts } = gatedHistory();
    const { add, drained, holds } = pumpOf(history);
    expect(await holds.anyHeld([P0])).toBe(false);
    await add(entry(0, [1]));
    expect(await holds.anyHeld([P0])).toBe(true);
    expect(await holds.anyHeld([P1])).toBe(false);
    await turns();
    await add(entry(0, [2]));
    inserts[0]!.finish();
    await turns();
    expect(await holds.anyHeld([P0])).toBe(true);
    inserts[1]!.finish();
    await drained();
    expect(await holds.anyHeld([P0])).toBe(false);
  });

  it('after a failed insert that landed, inserts only what history lacks', async () => {
    const { history, inserts, stored } = gatedHistory();
    const { add, drained, landed } = pumpOf(history);
    await add(entry(0, [1, 2]));
    await turns();
    await add(entry(0, [3]));
    inserts[0]!.finish('land-then-fail');
    // its retry finds both rows in history and has nothing left to insert: the next insert is
    // the second entry's
    await expect.poll(() => inserts.length, { timeout: 2000, interval: 5 }).toBe(2);
    expect(inserts[1]!.offsets).toEqual(['0:3']);
    inserts[1]!.finish('fail');
    await expect.poll(() => inserts.length, { timeout: 2000, interval: 5 }).toBe(3);
    expect(inserts[2]!.offsets).toEqual(['0:3']);
    inserts[2]!.finish();
    await drained();
    expect(stored.map((e) => e.offset)).toEqual([1, 2, 3]);
    expect(landed.map((l) => l.events)).toEqual([2, 1]);
  });

  it('records progress once the live write is done too, and none for a failed one', async () => {
    const { history, inserts } = gatedHistory();
    const { add, drained, landed } = pumpOf(history);
    let liveDone!: () => void;
    await add(entry(0, [1]), new Promise<void>((resolve) => (liveDone = resolve)));
    const failed = Promise.reject(new Error('given up'));
    failed.catch(() => undefined);
    await add(entry(1, [5]), failed);
    await turns();
    inserts[0]!.finish();
    await turns();
    expect(landed).toEqual([]);
    liveDone();
    await expect.poll(() => inserts.length, { timeout: 2000, interval: 5 }).toBe(2);
    inserts[1]!.finish();
    await drained();
    expect(landed).toEqual([
      { progress: [{ ...P0, offset: 1, recordTimestamp: 1001 }], events: 1 },
    ]);
  });

  it('makes add wait while more rows than maxRows have not landed', async () => {
    const { history, inserts } = gatedHistory();
    const { add, drained } = pumpOf(history, { maxRows: 2 });
    await add(entry(0, [1, 2]));
    let third = false;
    const adding = add(entry(0, [3])).then(() => (third = true));
    await turns();
    expect(third).toBe(false);
    inserts[0]!.finish();
    await adding;
    expect(third).toBe(true);
    await turns();
    inserts[1]!.finish();
    await drained();
  });
});
