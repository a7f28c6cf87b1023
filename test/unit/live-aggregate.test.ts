import { describe, expect, it } from 'vitest';
import type { AnalyticsEvent } from '../../src/events/event.js';
import { aggregateLive } from '../../src/live/aggregate.js';
import { rollUpMinutes, windowBuckets } from '../../src/live/buckets.js';
import { toMicros } from '../../src/live/stats.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

const event = (overrides: Partial<AnalyticsEvent>): AnalyticsEvent => ({
  id: 'x',
  tenant: 't1',
  name: 'page_view',
  timestamp: NOW - 1500,
  userId: null,
  value: null,
  dimensions: {},
  ...overrides,
});

describe('aggregateLive', () => {
  const events = [
    event({ userId: 'u1', value: 2.5, dimensions: { country: 'DE', plan: 'pro' } }),
    event({ userId: 'u1', value: -1, dimensions: { country: 'DE' }, timestamp: NOW - 1001 }),
    event({ userId: 'u2', dimensions: { country: 'FR', plan: 'pro' }, timestamp: NOW - 200 }),
    event({ tenant: 't2', value: 7 }),
    event({ name: 'purchase', value: 9.99 }),
    event({ timestamp: NOW - 3_600_001 }),
  ];
  const { groups, late } = aggregateLive(events, { nowMs: NOW, horizonMs: 3_600_000 });

  it('leaves out and counts events older than the horizon', () => {
    expect(late).toBe(1);
  });

  it('groups by tenant and event name, then by event-time second and series', () => {
    expect(groups.map((g) => [g.tenant, g.event, [...g.seconds.keys()]])).toEqual([
      ['t1', 'page_view', [NOW / 1000 - 2, NOW / 1000 - 1]],
      ['t2', 'page_view', [NOW / 1000 - 2]],
      ['t1', 'purchase', [NOW / 1000 - 2]],
    ]);
    const earlier = groups[0]!.seconds.get(NOW / 1000 - 2)!;
    expect([...earlier.keys()]).toEqual(['', 'country=DE', 'plan=pro', 'country=DE&plan=pro']);
    const total = earlier.get('')!;
    expect(total).toMatchObject({ count: 2, valueCount: 2, sum: toMicros(1.5), min: -1, max: 2.5 });
    expect([...total.users]).toEqual(['u1']);
    expect([...total.sketch.values()].reduce((a, b) => a + b)).toBe(2);
    expect(groups[0]!.seconds.get(NOW / 1000 - 1)!.get('country=FR')).toMatchObject({
      count: 1,
      valueCount: 0,
      min: Infinity,
    });
  });

  it('rolls seconds up into minutes with the same totals', () => {
    const minutes = rollUpMinutes(groups[0]!.seconds);
    expect([...minutes.keys()]).toEqual([NOW / 1000 - 60]);
    expect(minutes.get(NOW / 1000 - 60)!.get('')).toMatchObject({
      count: 3,
      valueCount: 2,
      min: -1,
      max: 2.5,
    });
    expect([...minutes.get(NOW / 1000 - 60)!.get('')!.users].sort()).toEqual(['u1', 'u2']);
  });
});

describe('windowBuckets', () => {
  const covered = (fromMs: number, toMs: number) => {
    const { seconds, minutes } = windowBuckets(fromMs, toMs);
    return [
      ...seconds,
      ...minutes.flatMap((m) => Array.from({ length: 60 }, (_, i) => m + i)),
    ].sort((a, b) => a - b);
  };

  it('covers exactly the seconds starting in [from, to), each once', () => {
    for (const [from, to] of [
      [NOW, NOW + 1000],
      [NOW - 3_600_000, NOW],
      [NOW - 3_600_000 + 1, NOW + 1],
      [NOW + 59_500, NOW + 121_000],
      [NOW + 1, NOW + 999],
    ] as const) {
      const expected: number[] = [];
      for (let s = Math.ceil(from / 1000); s * 1000 < to; s++) expected.push(s);
      expect(covered(from, to)).toEqual(expected);
    }
  });

  it('reads a 1 h window from minutes and at most 118 edge seconds', () => {
    const { seconds, minutes } = windowBuckets(NOW - 3_600_000 + 30_500, NOW + 30_500);
    expect(minutes).toHaveLength(59);
    expect(seconds).toHaveLength(60);
    expect(windowBuckets(NOW - 3_600_000, NOW).minutes).toHaveLength(60);
    expect(windowBuckets(NOW - 3_600_000, NOW).seconds).toHaveLength(0);
  });
});
