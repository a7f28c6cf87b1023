import { describe, expect, it } from 'vitest';
import { createFreshness } from '../../src/app/freshness.js';
import type { EventLog } from '../../src/ports/event-log.js';
import type { FoldProgressStore } from '../../src/ports/fold-progress.js';

/** A log one record past the fold on partition 0, whose end-offset answers wait until released. */
function sources() {
  const waiting: (() => void)[] = [];
  let asked = 0;
  let failing = false;
  const log = {
    endOffsets: async () => {
      asked++;
      await new Promise<void>((resolve) => waiting.push(resolve));
      if (failing) throw new Error('kafka away');
      return [{ topic: 'events', partition: 0, offset: 11 }];
    },
  } as unknown as EventLog;
  const progress = {
    read: async () => [{ topic: 'events', partition: 0, offset: 9, recordTimestamp: 1_000 }],
  } as unknown as FoldProgressStore;
  return {
    log,
    progress,
    asked: () => asked,
    release: async () => {
      waiting.splice(0).forEach((resolve) => resolve());
      await new Promise((resolve) => setImmediate(resolve));
    },
    fail: () => (failing = true),
  };
}

/** The background question starts once the caller's own work is out: a turn of the event loop later. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('freshness', () => {
  it('past cacheMs gives the last answer, its lag counted to now, while it asks again', async () => {
    const s = sources();
    let now = 5_000;
    const freshness = createFreshness({ ...s, topics: () => ['events'], clock: () => now });
    const first = freshness.current();
    await s.release();
    expect(await first).toEqual({ foldedThrough: 1_000, lagMs: 4_000, behind: 1 });

    now = 5_200;
    expect(await freshness.current()).toEqual({ foldedThrough: 1_000, lagMs: 4_000, behind: 1 });
    expect(s.asked()).toBe(1);

    now = 5_300;
    expect(await freshness.current()).toEqual({ foldedThrough: 1_000, lagMs: 4_300, behind: 1 });
    void freshness.current();
    expect(s.asked()).toBe(1);
    await turn();
    expect(s.asked()).toBe(2);
    await s.release();
    expect(await freshness.current()).toEqual({ foldedThrough: 1_000, lagMs: 4_300, behind: 1 });
  });

  it('gives the last answer however long a question takes, while none has failed', async () => {
    const s = sources();
    let now = 5_000;
    const freshness = createFreshness({ ...s, topics: () => ['events'], clock: () => now });
    const first = freshness.current();
    await s.release();
    await first;
    now = 6_000;
    void freshness.current();
    await turn();
    now = 60_000;
    expect((await freshness.current()).lagMs).toBe(59_000);
    expect(s.asked()).toBe(2);
  });

  it('waits, and fails, once a question failed and the last answer is older than staleMs', async () => {
    const s = sources();
    let now = 5_000;
    const freshness = createFreshness({ ...s, topics: () => ['events'], clock: () => now });
    const first = freshness.current();
    await s.release();
    await first;
    s.fail();
    now = 6_000;
    expect((await freshness.current()).lagMs).toBe(5_000);
    await turn();
    await s.release();
    now = 10_001;
    const late = expect(freshness.current()).rejects.toThrow('kafka away');
    await s.release();
    await late;
  });
});
