import { describe, expect, it } from 'vitest';
import {
  createPfaddOrder,
  createRegisterIndexer,
} from '../../src/adapters/redis/live-hll-order.js';
import { seededRandom } from '../support/random.js';

// Redis's MurmurHash64A (hyperloglog.c), in BigInt: slow and obviously right.
const M = 0xc6a4a7935bd1e995n;
const MASK = (1n << 64n) - 1n;
function referenceRegister(member: string): number {
  const data = Buffer.from(member);
  let h = (0xadc83b19n ^ (BigInt(data.length) * M)) & MASK;
  let i = 0;
  for (; i + 8 <= data.length; i += 8) {
    let k = data.readBigUInt64LE(i);
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h = ((h ^ k) * M) & MASK;
  }
  const rest = data.length & 7;
  if (rest > 0) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(data[i + j]!) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return Number(h & 16383n);
}

describe('Redis HyperLogLog register of a member', () => {
  it('agrees with MurmurHash64A for every length and for non-ASCII members', () => {
    const random = seededRandom(3);
    const indexOf = createRegisterIndexer();
    const members = ['', 'a', 'user-1', 'ünïcødé-ユーザー', '😀 emoji', 'x'.repeat(300)];
    for (let i = 0; i < 2000; i++)
      members.push(
        Array.from({ length: Math.floor(random() * 40) }, () =>
          String.fromCharCode(32 + Math.floor(random() * 500)),
        ).join(''),
      );
    for (const member of members) expect(indexOf(member), member).toBe(referenceRegister(member));
  });

  it('orders PFADD members by descending register, keeping every member once (few: as they come)', () => {
    const order = createPfaddOrder();
    const members = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    const ordered = order(members);
    expect(new Set(ordered)).toEqual(new Set(members));
    expect(ordered).toHaveLength(500);
    const registers = ordered.map(referenceRegister);
    expect(registers).toEqual([...registers].sort((a, b) => b - a));
    expect(order(members.slice(0, 10))).toEqual(members.slice(0, 10));
  });
});
