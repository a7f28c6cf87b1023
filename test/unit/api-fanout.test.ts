import { describe, expect, it } from 'vitest';
import { createFanOut } from '../../src/api/fanout.js';

const until = async (condition: () => boolean, timeout = 2000) => {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('shared tickers', () => {
  it('one computation per tick for every subscriber of a key; a late joiner gets the latest frame at once', async () => {
    const fanOut = createFanOut({
      onError: (error) => {
        throw error;
      },
    });
    let computed = 0;
    let stopped = 0;
    const create = () => ({
      everyMs: 20,
      compute: async () => ++computed,
      stop: () => stopped++,
    });
    const seen: number[][] = [[], [], []];
    const off = seen
      .slice(0, 2)
      .map((frames) => fanOut.subscribe('k', create, (f: number) => frames.push(f)));
    await until(() => computed >= 3);
    const late = fanOut.subscribe('k', create, (f: number) => seen[2]!.push(f));
    expect(seen[2]![0]).toBe(computed);
    await until(() => computed >= 6);
    expect(seen[0]!.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(seen[1]!.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(fanOut.keys()).toEqual(['k']);

    off.forEach((unsubscribe) => unsubscribe());
    expect(stopped).toBe(0);
    late();
    expect(stopped).toBe(1);
    expect(fanOut.keys()).toEqual([]);
  });

  it('pushes nothing for an undefined frame, never overlaps computations, reports failures and keeps ticking', async () => {
    const errors: unknown[] = [];
    const fanOut = createFanOut({ onError: (error) => errors.push(error) });
    let running = 0;
    let overlap = false;
    let calls = 0;
    const frames: string[] = [];
    const off = fanOut.subscribe(
      'k',
      () => ({
        everyMs: 1,
        async compute() {
          overlap ||= running > 0;
          running++;
          await new Promise((resolve) => setTimeout(resolve, 10));
          running--;
          calls++;
          if (calls === 2) throw new Error('boom');
          return calls % 2 === 0 ? undefined : `f${calls}`;
        },
      }),
      (frame: string) => frames.push(frame),
    );
    await until(() => calls >= 5);
    off();
    expect(overlap).toBe(false);
    expect(errors).toHaveLength(1);
    expect(frames.slice(0, 2)).toEqual(['f1', 'f3']);
    fanOut.close();
  });
});
