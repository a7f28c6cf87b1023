/**
 * HyperLogLog for distinct users, with Redis's parameters: 2^14 registers (p = 14), 50 hash bits
 * left for the rank, and the same estimator (Ertl's, Redis ≥ 5), so both stores err alike:
 * standard error 1.04 / √16384 ≈ 0.81 %, below about 2 % for 19 sketches out of 20.
 * The hash differs from Redis's (two 32-bit MurmurHash3 lanes instead of MurmurHash64A): the
 * estimates of the two stores agree within that error, not to the digit.
 *
 * Small sketches keep their registers in a Map and turn dense (one byte per register) once the
 * Map would cost about as much memory.
 */
export const HLL_PRECISION = 14;

const REGISTERS = 1 << HLL_PRECISION;
const RANK_BITS = 64 - HLL_PRECISION;
const SPARSE_LIMIT = 512;

export interface Hll {
  sparse: Map<number, number> | null;
  dense: Uint8Array | null;
}

export function createHll(): Hll {
  return { sparse: new Map(), dense: null };
}

function murmur3(value: string, seed: number): number {
  let h = seed;
  const n = value.length;
  let i = 0;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (; i + 1 < n; i += 2) {
    h ^= mix(value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) h ^= mix(value.charCodeAt(i));
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const trailingZeros = (x: number) => 31 - Math.clz32(x & -x);

/** The rank of a hash: the position of its first 1 bit past the index bits (1-based, up to 51). */
function rankOf(value: string, low: number): number {
  const rest = low >>> HLL_PRECISION;
  if (rest !== 0) return trailingZeros(rest) + 1;
  const high = murmur3(value, 0x5bd1e995);
  if (high !== 0) return 32 - HLL_PRECISION + trailingZeros(high) + 1;
  return RANK_BITS + 1;
}

function setRegister(hll: Hll, index: number, rank: number): void {
  if (hll.dense) {
    if (rank > hll.dense[index]!) hll.dense[index] = rank;
    return;
  }
  const sparse = hll.sparse!;
  if (rank > (sparse.get(index) ?? 0)) sparse.set(index, rank);
  if (sparse.size > SPARSE_LIMIT) {
    const dense = new Uint8Array(REGISTERS);
    for (const [i, r] of sparse) dense[i] = r;
    hll.dense = dense;
    hll.sparse = null;
  }
}

export function hllAdd(hll: Hll, value: string): void {
  const low = murmur3(value, 0x9747b28c);
  setRegister(hll, low & (REGISTERS - 1), rankOf(value, low));
}

export function hllMerge(into: Hll, from: Hll): void {
  if (from.dense) {
    for (let i = 0; i < REGISTERS; i++)
      if (from.dense[i]! > 0) setRegister(into, i, from.dense[i]!);
  } else {
    for (const [i, r] of from.sparse!) setRegister(into, i, r);
  }
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (previous !== z);
  return z / 3;
}

/** Estimated number of distinct values added (Ertl, "New cardinality estimation algorithms for HyperLogLog sketches", 2017). */
export function hllCount(hll: Hll): number {
  const histogram = new Array<number>(RANK_BITS + 2).fill(0);
  if (hll.dense) {
    for (const r of hll.dense) histogram[r]!++;
  } else {
    for (const r of hll.sparse!.values()) histogram[r]!++;
    histogram[0] = REGISTERS - hll.sparse!.size;
  }
  let z = REGISTERS * tau((REGISTERS - histogram[RANK_BITS + 1]!) / REGISTERS);
  for (let j = RANK_BITS; j >= 1; j--) z = (z + histogram[j]!) * 0.5;
  z += REGISTERS * sigma(histogram[0]! / REGISTERS);
  return Math.round((0.5 / Math.LN2) * REGISTERS * (REGISTERS / z));
}
