import { describe, expect, it } from 'vitest';
import { createHll, hllAdd, hllCount, hllMerge } from '../../src/live/hll.js';

const STANDARD_ERROR = 1.04 / Math.sqrt(2 ** 14);

const hllOf = (from: number, to: number, name = (i: number) => `user-${i}`) => {
  const hll = createHll();
  for (let i = from; i < to; i++) hllAdd(hll, name(i));
  return hll;
};

describe('HyperLogLog (p = 14)', () => {
  it('counts nothing as 0', () => {
    expect(hllCount(createHll())).toBe(0);
  });

  it('counts small sets exactly', () => {
    for (const n of [1, 2, 10, 50]) expect(hllCount(hllOf(0, n))).toBe(n);
  });

  for (const n of [100, 1_000, 5_000, 20_000, 100_000, 400_000]) {
    it(`estimates ${n} distinct values within 3 standard errors (2.4 %)`, () => {
      const estimate = hllCount(hllOf(0, n, (i) => `${i.toString(36)}@tenant`));
      expect(Math.abs(estimate - n) / n).toBeLessThan(3 * STANDARD_ERROR);
    });
  }

  it('ignores repeats', () => {
    const hll = hllOf(0, 1000);
    for (let i = 0; i < 1000; i++) hllAdd(hll, `user-${i}`);
    expect(hllCount(hll)).toBe(hllCount(hllOf(0, 1000)));
  });

  it('merges into the union, sparse or dense', () => {
    const union = createHll();
    hllMerge(union, hllOf(0, 30_000));
    hllMerge(union, hllOf(20_000, 50_000));
    hllMerge(union, hllOf(49_000, 49_100));
    const direct = hllOf(0, 50_000);
    expect(hllCount(union)).toBe(hllCount(direct));
    expect(Math.abs(hllCount(union) - 50_000) / 50_000).toBeLessThan(3 * STANDARD_ERROR);
  });
});
