/**
 * A mergeable log-bucketed histogram for percentiles (DDSketch's logarithmic mapping): a value x
 * lands in bucket ceil(log_γ |x|) with γ = (1 + α) / (1 − α), so every value of a bucket lies
 * within relative error α of the bucket's representative value. Merging is adding counts per key.
 *
 * Guarantee: `quantile(sketch, q)` returns a value within relative error α (1 %) of the exact
 * quantile, the element of rank floor(q·n) of the sorted values (ClickHouse's quantileExact).
 *
 * Keys are integers ordered like the values they stand for: 0 holds exact zeros, OFFSET + k the
 * positive values of bucket k, −(OFFSET + k) the negative ones. |k| < 38 000 for every finite
 * non-zero double, so the three ranges never meet.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
const OFFSET = 1 << 16;

export type Sketch = Map<number, number>;

/** The sketch key of a finite value. */
export function sketchKey(value: number): number {
  if (value === 0) return 0;
  const k = OFFSET + Math.ceil(Math.log(Math.abs(value)) / LOG_GAMMA);
  return value > 0 ? k : -k;
}

/** The representative value of a key: within relative error α of every value in its bucket. */
export function sketchValue(key: number): number {
  if (key === 0) return 0;
  // γ^(k−1) · 2γ/(γ+1): the bucket's lower bound times the factor, which cannot overflow.
  const magnitude = GAMMA ** (Math.abs(key) - OFFSET - 1) * ((2 * GAMMA) / (GAMMA + 1));
  return key > 0 ? magnitude : -magnitude;
}

export function addToSketch(sketch: Sketch, key: number, count = 1): void {
  sketch.set(key, (sketch.get(key) ?? 0) + count);
}

export function mergeSketch(into: Sketch, from: Sketch): void {
  for (const [key, count] of from) addToSketch(into, key, count);
}

/** The q-quantile (0 ≤ q ≤ 1) of the sketched values; null when it holds none. */
export function quantile(sketch: Sketch, q: number): number | null {
  let total = 0;
  for (const count of sketch.values()) total += count;
  if (total === 0) return null;
  // The element at floor(q·n) of the sorted values, as ClickHouse's quantileExact and the
  // embedded history define it, so live and history agree up to the sketch's accuracy.
  const rank = Math.min(total - 1, Math.floor(q * total));
  const keys = [...sketch.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const key of keys) {
    seen += sketch.get(key)!;
    if (seen > rank) return sketchValue(key);
  }
  return sketchValue(keys[keys.length - 1]!);
}
