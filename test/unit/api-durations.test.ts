import { describe, expect, it } from 'vitest';
import { alignDown, alignUp, parseDuration, slidingWindow } from '../../src/api/durations.js';

describe('durations', () => {
  it('parses a whole number and one unit', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('999999s')).toBe(999_999_000);
  });

  it('refuses everything else', () => {
    for (const text of [
      '',
      '0s',
      '01m',
      '1',
      'm',
      '1.5m',
      '-1m',
      '+1m',
      ' 1m',
      '1m ',
      '1M',
      '1w',
      '1ms',
      '1m30s',
      '1e3s',
      '1000000s',
      '１m',
    ])
      expect(parseDuration(text), text).toBeNull();
  });

  it('aligns buckets to whole multiples of the size since the epoch', () => {
    const day = 86_400_000;
    const t = Date.UTC(2024, 4, 1, 13, 37, 5);
    expect(alignDown(t, day)).toBe(Date.UTC(2024, 4, 1));
    expect(alignUp(t, day)).toBe(Date.UTC(2024, 4, 2));
    expect(alignUp(Date.UTC(2024, 4, 1), day)).toBe(Date.UTC(2024, 4, 1));
    expect(alignDown(t, 300_000)).toBe(Date.UTC(2024, 4, 1, 13, 35));
  });

  it('a sliding window ends after the current second and spans the window exactly', () => {
    expect(slidingWindow(10_500, 5_000)).toEqual({ fromMs: 6_000, toMs: 11_000 });
    expect(slidingWindow(10_000, 1_000)).toEqual({ fromMs: 10_000, toMs: 11_000 });
  });
});
