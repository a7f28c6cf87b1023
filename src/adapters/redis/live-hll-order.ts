/**
 * Orders the members of a PFADD by descending HyperLogLog register, as Redis computes it.
 *
 * Why: a small HyperLogLog is stored "sparse", and Redis finds a register by scanning the sparse
 * encoding from its start. In random order every insert scans about half of what is there, so a
 * PFADD of n members costs O(n²) (measured here: ~0.4–2 µs per member for 200–1000 new members).
 * In descending register order each insert lands before every register set so far and is found
 * at the first opcode: about 0.1 µs per member, 4–6× less.
 *
 * The register is the low 14 bits of Redis's MurmurHash64A (seed 0xadc83b19) of the member's UTF-8
 * bytes, computed here in 32-bit halves. If it ever disagreed with Redis only speed would suffer.
 */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const SEED = 0xadc83b19;
const REGISTER_MASK = (1 << 14) - 1;
const TWO_32 = 4294967296;

export function createRegisterIndexer(): (member: string) => number {
  // [hi, lo] of the last product, and a buffer for the member's UTF-8 bytes
  const product = new Uint32Array(2);
  const encoder = new TextEncoder();
  let bytes = new Uint8Array(256);

  /** (hi, lo) × m mod 2^64 into `product`. */
  function timesM(hi: number, lo: number): void {
    const a0 = lo & 0xffff;
    const a1 = lo >>> 16;
    const mid = a0 * (M_LO >>> 16) + a1 * (M_LO & 0xffff);
    const low = a0 * (M_LO & 0xffff) + (mid % 65536) * 65536;
    product[1] = low;
    product[0] =
      a1 * (M_LO >>> 16) +
      Math.floor(mid / 65536) +
      Math.floor(low / TWO_32) +
      Math.imul(hi, M_LO) +
      Math.imul(lo, M_HI);
  }

  function utf8(member: string): number {
    if (bytes.length < member.length * 3) bytes = new Uint8Array(member.length * 3);
    return encoder.encodeInto(member, bytes).written;
  }

  return (member) => {
    const len = utf8(member);
    timesM(0, len);
    let hHi = product[0]!;
    let hLo = (product[1]! ^ SEED) >>> 0;
    const blocks = len - (len & 7);
    for (let i = 0; i < blocks; i += 8) {
      const kLo =
        (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
      const kHi =
        (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24)) >>>
        0;
      timesM(kHi, kLo);
      const mixedHi = product[0]!;
      timesM(mixedHi, (product[1]! ^ (mixedHi >>> 15)) >>> 0);
      hHi = (hHi ^ product[0]!) >>> 0;
      hLo = (hLo ^ product[1]!) >>> 0;
      timesM(hHi, hLo);
      hHi = product[0]!;
      hLo = product[1]!;
    }
    const rest = len & 7;
    if (rest > 0) {
      for (let j = rest - 1; j >= 0; j--) {
        const byte = bytes[blocks + j]!;
        if (j >= 4) hHi = (hHi ^ (byte << (8 * (j - 4)))) >>> 0;
        else hLo = (hLo ^ (byte << (8 * j))) >>> 0;
      }
      timesM(hHi, hLo);
      hHi = product[0]!;
      hLo = product[1]!;
    }
    timesM(hHi, (hLo ^ (hHi >>> 15)) >>> 0);
    return (product[1]! ^ (product[0]! >>> 15)) & REGISTER_MASK;
  };
}

const ORDINAL_BITS = 17;
/** Below this many members the scans saved do not pay for hashing and sorting. */
const WORTH_ORDERING = 64;

/**
 * Orders PFADD members by descending register. Registers are remembered across calls (a member is
 * usually added to several keys), so make one per batch.
 */
export function createPfaddOrder(): (members: Iterable<string>) => string[] {
  const indexOf = createRegisterIndexer();
  const known = new Map<string, number>();
  return (members) => {
    const list = Array.isArray(members) ? (members as string[]) : [...members];
    const n = list.length;
    if (n < WORTH_ORDERING || n >= 1 << ORDINAL_BITS) return list;
    // register in the high bits, position in the low ones: one numeric sort of an Int32Array
    const keys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const member = list[i]!;
      let index = known.get(member);
      if (index === undefined) known.set(member, (index = indexOf(member)));
      keys[i] = (index << ORDINAL_BITS) | i;
    }
    keys.sort();
    const ordered = new Array<string>(n);
    const mask = (1 << ORDINAL_BITS) - 1;
    for (let i = 0; i < n; i++) ordered[i] = list[keys[n - 1 - i]! & mask]!;
    return ordered;
  };
}
