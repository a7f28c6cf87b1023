import { describe, expect, it } from 'vitest';
import { isoInstant } from '../../src/api/iso-instant.js';

describe('isoInstant', () => {
  it('formats as Date#toISOString does', () => {
    const samples = [
      0,
      1,
      -1,
      999,
      Date.UTC(2024, 0, 1),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(1969, 11, 31, 12, 30, 1, 5),
      -62_198_755_200_000, // year 0000
      -62_198_755_200_001,
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
      253_402_300_800_000, // +010000
      8.64e15,
      -8.64e15,
      1_704_067_200_000.7,
      -0.5,
    ];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor((Math.random() - 0.3) * 4e12));
    for (const ms of samples) expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
  });

  it('throws as Date#toISOString does for instants it cannot represent', () => {
    for (const ms of [NaN, Infinity, 8.64e15 + 1, -8.64e15 - 1])
      expect(() => isoInstant(ms)).toThrow(RangeError);
  });
});
