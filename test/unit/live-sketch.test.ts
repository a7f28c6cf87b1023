import { exactQuantile } from '../../src/history/exact.js';
import { describe, expect, it } from 'vitest';
import {
  addToSketch,
  mergeSketch,
  quantile,
  sketchKey,
  sketchValue,
  SKETCH_RELATIVE_ACCURACY,
  type Sketch,
} from '../../src/live/sketch.js';
import { seededRandom } from '../support/random.js';

const sketchOf = (values: number[]): Sketch => {
  const sketch: Sketch = new Map();
  for (const value of values) addToSketch(sketch, sketchKey(value));
  return sketch;
};

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1];

function expectWithinError(values: number[], sketch: Sketch) {
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of QUANTILES) {
    const exact = exactQuantile(sorted, q)!;
    const estimate = quantile(sketch, q)!;
    expect(
      Math.abs(estimate - exact),
      `q=${q} exact=${exact} estimate=${estimate}`,
    ).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY * Math.abs(exact) + 1e-12);
  }
}

describe('sketch', () => {
  const random = seededRandom(42);
  const datasets: Record<string, number[]> = {
    'log-normal durations': Array.from({ length: 20_000 }, () =>
      Math.exp(
        3 + 2 * Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random()),
      ),
    ),
    'uniform amounts, 6 decimals': Array.from(
      { length: 20_000 },
      () => Math.round(random() * 1e9) / 1e6,
    ),
    'mixed signs and zeros': Array.from({ length: 20_000 }, () =>
      random() < 0.1 ? 0 : Math.round((random() - 0.5) * 2e8) / 1e6,
    ),
    'tiny and huge': Array.from(
      { length: 5_000 },
      () => (random() < 0.5 ? 1e-6 : 1e12) * (1 + random()),
    ),
  };

  for (const [name, values] of Object.entries(datasets)) {
    it(`keeps every quantile within 1 % of the exact one: ${name}`, () => {
      expectWithinError(values, sketchOf(values));
    });
  }

  it('merges into the sketch of the concatenation, in any split', () => {
    const values = datasets['mixed signs and zeros']!;
    const merged: Sketch = new Map();
    for (let i = 0; i < values.length; i += 777)
      mergeSketch(merged, sketchOf(values.slice(i, i + 777)));
    expect(merged).toEqual(sketchOf(values));
    expectWithinError(values, merged);
  });

  it('orders keys like values, zero in the middle', () => {
    const values = [-1e300, -5, -1e-6, 0, 1e-6, 5, 1e300];
    const keys = values.map(sketchKey);
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(sketchKey(0)).toBe(0);
    expect(sketchValue(0)).toBe(0);
  });

  it('represents every value within the relative accuracy', () => {
    for (const value of [1e-6, 0.5, 1, 3.14159, 1e6, -2.5, Number.MAX_VALUE, Number.MIN_VALUE]) {
      expect(Math.abs(sketchValue(sketchKey(value)) - value)).toBeLessThanOrEqual(
        SKETCH_RELATIVE_ACCURACY * Math.abs(value) * (1 + 1e-9),
      );
    }
  });

  it('has no quantile when empty', () => {
    expect(quantile(new Map(), 0.5)).toBeNull();
  });
});
