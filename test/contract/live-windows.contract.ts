import { exactQuantile } from '../../src/history/exact.js';
// The contract every LiveWindowStore keeps, run against each adapter (live-windows.test.ts):
// answers equal a ground truth computed here from the raw events, for every aggregate, filters,
// groupBy, tenants, 1 s and 1 h windows; offsets make redelivery harmless.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsEvent, PositionedEvent } from '../../src/events/event.js';
import { AGGREGATES, PERCENTILES, type Aggregate, type Metric } from '../../src/events/metric.js';
import { aggregateLive, aggregateLiveBatches } from '../../src/live/aggregate.js';
import { aggregateValue } from '../../src/live/compute.js';
import { SKETCH_RELATIVE_ACCURACY } from '../../src/live/sketch.js';
import { MICROS_PER_UNIT, toMicros } from '../../src/live/stats.js';
import type { LiveWindowStore, WindowStats } from '../../src/ports/live-windows.js';
import { pick, seededRandom } from '../support/random.js';

export interface StoreUnderTest {
  store: LiveWindowStore;
  /** Removes what the store wrote and releases its connections. */
  cleanup(): Promise<void>;
}

export type MakeStore = (horizonMs: number) => Promise<StoreUnderTest>;

const HORIZON_MS = 2 * 3_600_000;
const TOPIC = 'events';
const TENANTS = ['acme', '{evil}|tenant:1'];
const EVENTS = ['page_view', 'pur{chase}'];
const COUNTRIES = ['DE', 'FR', 'U&S', 'J=P'];
const PLANS = ['free', 'pro', 'team'];
const DEVICES = ['mobile', 'desk top'];

/** The lower quantile on exact data, as the sketch defines it. */
function exactValue(events: AnalyticsEvent[], aggregate: Aggregate): number | null {
  if (aggregate === 'COUNT') return events.length;
  if (aggregate === 'UNIQUES')
    return new Set(events.flatMap((e) => (e.userId === null ? [] : [e.userId]))).size;
  const values = events.flatMap((e) => (e.value === null ? [] : [e.value])).sort((a, b) => a - b);
  if (values.length === 0) return null;
  const micros = values.reduce((sum, v) => sum + toMicros(v), 0);
  switch (aggregate) {
    case 'SUM':
      return micros / MICROS_PER_UNIT;
    case 'AVG':
      return micros / MICROS_PER_UNIT / values.length;
    case 'MIN':
      return values[0]!;
    case 'MAX':
      return values[values.length - 1]!;
    default:
      return exactQuantile(values, PERCENTILES[aggregate]!);
  }
}

/** The events a window read must see, by group. */
function truth(
  events: AnalyticsEvent[],
  tenant: string,
  metric: Metric,
  fromMs: number,
  toMs: number,
): Map<string | null, AnalyticsEvent[]> {
  const groups = new Map<string | null, AnalyticsEvent[]>();
  for (const e of events) {
    const bucketMs = Math.floor(e.timestamp / 1000) * 1000;
    if (e.tenant !== tenant || e.name !== metric.event || bucketMs < fromMs || bucketMs >= toMs)
      continue;
    if (!metric.filter.every((f) => f.in.includes(e.dimensions[f.key] as string))) continue;
    const group = metric.groupBy === null ? null : e.dimensions[metric.groupBy];
    if (group === undefined) continue;
    groups.set(group, [...(groups.get(group) ?? []), e]);
  }
  return groups;
}

function expectAgrees(
  actual: number | null,
  expected: number | null,
  aggregate: Aggregate,
  where: string,
) {
  if (expected === null || actual === null) {
    expect(actual, where).toBe(expected);
  } else if (aggregate === 'AVG') {
    expect(actual, where).toBeCloseTo(expected, 9);
  } else if (aggregate === 'UNIQUES') {
    expect(Math.abs(actual - expected), where).toBeLessThanOrEqual(Math.max(1, 0.03 * expected));
  } else if (PERCENTILES[aggregate] !== undefined) {
    expect(Math.abs(actual - expected), where).toBeLessThanOrEqual(
      SKETCH_RELATIVE_ACCURACY * Math.abs(expected) + 1e-9,
    );
  } else {
    expect(actual, where).toBe(expected);
  }
}

/** Events of two tenants and two names over the last 65 minutes, a third of them in three busy seconds. */
function generateEvents(nowMs: number): PositionedEvent[] {
  const random = seededRandom(20_250_101);
  const busy = [nowMs - 5_000, nowMs - 1_800_000, nowMs - 3_500_000];
  return Array.from({ length: 3_000 }, (_, i): PositionedEvent => {
    const dimensions: Record<string, string> = {
      country: pick(random, COUNTRIES),
      plan: pick(random, PLANS),
    };
    if (random() < 0.7) dimensions.device = pick(random, DEVICES);
    const value = random() < 0.2 ? null : Math.round((random() * 1000 - 100) * 1e6) / 1e6;
    const timestamp =
      random() < 0.33
        ? pick(random, busy) + Math.floor(random() * 1000)
        : nowMs - 1 - Math.floor(random() * 3_900_000);
    return {
      id: `e${i}`,
      tenant: random() < 0.8 ? TENANTS[0]! : TENANTS[1]!,
      name: random() < 0.85 ? EVENTS[0]! : EVENTS[1]!,
      timestamp,
      userId: random() < 0.1 ? null : `user-${Math.floor(random() * 300)}`,
      value,
      dimensions,
      topic: TOPIC,
      partition: i % 2,
      offset: Math.floor(i / 2),
    };
  });
}

/**
 * Applies the events of each partition in batches of `size` offsets, as the fold does: a group that
 * reports a conflict gets the events it lacks applied again. Returns the conflicts seen.
 */
async function applyInBatches(
  store: LiveWindowStore,
  events: PositionedEvent[],
  nowMs: number,
  size: number,
) {
  let conflicts = 0;
  for (const partition of [0, 1]) {
    const mine = events.filter((e) => e.partition === partition);
    for (let i = 0; i < mine.length; i += size) {
      const batch = mine.slice(i, i + size);
      const toOffset = batch[batch.length - 1]!.offset;
      const pending = [{ fromOffset: batch[0]!.offset, batch }];
      while (pending.length > 0) {
        const { fromOffset, batch: part } = pending.pop()!;
        const { groups } = aggregateLive(part, { nowMs, horizonMs: store.horizonMs });
        for (const conflict of await store.apply({
          topic: TOPIC,
          partition,
          fromOffset,
          toOffset,
          groups,
        })) {
          conflicts++;
          const missing = part.filter(
            (e) =>
              e.tenant === conflict.tenant &&
              e.name === conflict.event &&
              e.offset > conflict.storedOffset,
          );
          pending.push({ fromOffset: conflict.storedOffset + 1, batch: missing });
        }
      }
    }
  }
  return conflicts;
}

const metric = (aggregate: Aggregate, shape: Partial<Metric> = {}, event = EVENTS[0]!): Metric => ({
  event,
  aggregate,
  filter: [],
  groupBy: null,
  ...shape,
});

const SHAPES: Partial<Metric>[] = [
  {},
  { groupBy: 'country' },
  { filter: [{ key: 'country', in: ['U&S'] }] },
  { filter: [{ key: 'country', in: ['DE', 'J=P'] }], groupBy: 'plan' },
  {
    filter: [
      { key: 'plan', in: ['pro'] },
      { key: 'device', in: ['mobile', 'desk top'] },
    ],
  },
  { groupBy: 'device' },
];

export function describeLiveWindowsContract(name: string, makeStore: MakeStore): void {
  describe(`live windows contract: ${name}`, () => {
    const nowMs = Date.now();
    const events = generateEvents(nowMs);
    let subject: StoreUnderTest;
    let store: LiveWindowStore;

    beforeAll(async () => {
      subject = await makeStore(HORIZON_MS);
      store = subject.store;
      expect(await applyInBatches(store, events, nowMs, 150)).toBe(0);
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    async function expectTruth(
      tenant: string,
      m: Metric,
      fromMs: number,
      toMs: number,
      maxGroups = 100,
    ) {
      const expected = truth(events, tenant, m, fromMs, toMs);
      const actual = await store.read({ tenant, metric: m, fromMs, toMs, maxGroups });
      const where = (group: string | null) =>
        `${tenant} ${JSON.stringify(m)} [${fromMs - nowMs}, ${toMs - nowMs}) group ${group}`;
      if (m.groupBy === null) {
        expect(actual.map((s) => s.group)).toEqual([null]);
        expectAgrees(
          aggregateValue(actual[0]!, m.aggregate),
          exactValue(expected.get(null) ?? [], m.aggregate),
          m.aggregate,
          where(null),
        );
        return actual;
      }
      expect(actual.map((s) => s.group).sort()).toEqual([...expected.keys()].sort());
      for (const stats of actual)
        expectAgrees(
          aggregateValue(stats, m.aggregate),
          exactValue(expected.get(stats.group)!, m.aggregate),
          m.aggregate,
          where(stats.group),
        );
      return actual;
    }

    const minute = Math.floor(nowMs / 60_000) * 60_000;
    const busySecond = Math.floor((nowMs - 1_800_000) / 1000) * 1000;
    const windows: [string, number, number][] = [
      ['1 s (busy)', busySecond, busySecond + 1000],
      ['1 h ending now', nowMs - 3_600_000, nowMs],
      ['1 h on minute boundaries', minute - 3_600_000, minute],
      ['90 s', nowMs - 90_000, nowMs],
    ];

    for (const [label, fromOffsetMs, toOffsetMs] of windows)
      for (const aggregate of AGGREGATES)
        it(`${label}: ${aggregate} for every filter and groupBy shape, both tenants`, async () => {
          for (const tenant of TENANTS)
            for (const shape of SHAPES)
              await expectTruth(tenant, metric(aggregate, shape), fromOffsetMs, toOffsetMs);
        });

    it('sees only the event name asked for', async () => {
      const other = await expectTruth(
        TENANTS[0]!,
        metric('COUNT', {}, EVENTS[1]!),
        nowMs - 3_600_000,
        nowMs,
      );
      const main = await store.read({
        tenant: TENANTS[0]!,
        metric: metric('COUNT'),
        fromMs: nowMs - 3_600_000,
        toMs: nowMs,
        maxGroups: 1,
      });
      expect(other[0]!.count).toBeGreaterThan(0);
      expect(other[0]!.count).not.toBe(main[0]!.count);
    });

    it('keeps tenants apart, also a tenant that does not exist', async () => {
      const [a] = await expectTruth(TENANTS[0]!, metric('SUM'), nowMs - 3_600_000, nowMs);
      const [b] = await expectTruth(TENANTS[1]!, metric('SUM'), nowMs - 3_600_000, nowMs);
      expect(a!.count).toBeGreaterThan(b!.count);
      expect(b!.count).toBeGreaterThan(0);
      const [none] = await store.read({
        tenant: 'nobody',
        metric: metric('COUNT'),
        fromMs: nowMs - 3_600_000,
        toMs: nowMs,
        maxGroups: 5,
      });
      expect(none).toMatchObject({ group: null, count: 0 });
      expect(aggregateValue(none!, 'SUM')).toBeNull();
    });

    it('returns the top maxGroups groups by the metric value', async () => {
      const m = metric('COUNT', { groupBy: 'country' });
      const all = await expectTruth(TENANTS[0]!, m, nowMs - 3_600_000, nowMs);
      const top = await store.read({
        tenant: TENANTS[0]!,
        metric: m,
        fromMs: nowMs - 3_600_000,
        toMs: nowMs,
        maxGroups: 2,
      });
      const ranked = [...all].sort((x, y) => y.count - x.count);
      expect(top.map((s) => s.count)).toEqual(ranked.slice(0, 2).map((s) => s.count));
      expect(top).toHaveLength(2);
    });

    it('skips a redelivered batch: nothing counts twice', async () => {
      expect(await applyInBatches(store, events, nowMs, 150)).toBe(0);
      // Cut differently, some batches straddle a group's stored offset: conflicts, resolved.
      await applyInBatches(store, events, nowMs, 400);
      for (const aggregate of ['COUNT', 'SUM', 'UNIQUES', 'P90'] as const)
        await expectTruth(
          TENANTS[0]!,
          metric(aggregate, { groupBy: 'plan' }),
          nowMs - 3_600_000,
          nowMs,
        );
    });

    it('reports a partial overlap as a conflict and writes nothing for that group', async () => {
      const partition = 7;
      const at = (offset: number, value: number): PositionedEvent => ({
        ...events[0]!,
        tenant: 'offsets',
        name: EVENTS[0]!,
        timestamp: nowMs - 10_000,
        userId: `u${offset}`,
        value,
        partition,
        offset,
      });
      const apply = (batch: PositionedEvent[], fromOffset: number, toOffset: number) =>
        store.apply({
          topic: TOPIC,
          partition,
          fromOffset,
          toOffset,
          groups: aggregateLive(batch, { nowMs, horizonMs: HORIZON_MS }).groups,
        });
      const sum = async () => {
        const [stats] = await store.read({
          tenant: 'offsets',
          metric: metric('SUM'),
          fromMs: nowMs - 60_000,
          toMs: nowMs,
          maxGroups: 1,
        });
        return aggregateValue(stats!, 'SUM');
      };
      const first = [0, 1, 2, 3, 4].map((o) => at(o, 1));
      expect(await apply(first, 0, 4)).toEqual([]);
      expect(await sum()).toBe(5);
      // Redelivered with more records behind it: the group holds up to 4 of [3, 7].
      const overlap = [3, 4, 5, 6, 7].map((o) => at(o, 10));
      expect(await apply(overlap, 3, 7)).toEqual([
        { tenant: 'offsets', event: EVENTS[0], storedOffset: 4 },
      ]);
      expect(await sum()).toBe(5);
      // The caller re-aggregates what the group lacks, as the port says.
      expect(
        await apply(
          overlap.filter((e) => e.offset > 4),
          5,
          7,
        ),
      ).toEqual([]);
      expect(await sum()).toBe(35);
      expect(await apply(overlap, 3, 7)).toEqual([]);
      expect(await sum()).toBe(35);
      // Another partition's offsets are its own.
      expect(
        await store.apply({
          topic: TOPIC,
          partition: 8,
          fromOffset: 0,
          toOffset: 0,
          groups: aggregateLive([at(0, 100)], { nowMs, horizonMs: HORIZON_MS }).groups,
        }),
      ).toEqual([]);
      expect(await sum()).toBe(135);
    });

    it('applies merged partitions all at once, and refuses a group one of whose ranges it has', async () => {
      const at = (partition: number, offset: number, name: string, value: number) =>
        ({
          ...events[0]!,
          tenant: 'merged',
          name,
          timestamp: nowMs - 10_000,
          userId: `u${partition}-${offset}`,
          value,
          partition,
          offset,
        }) as PositionedEvent;
      const sum = async (name: string) => {
        const [stats] = await store.read({
          tenant: 'merged',
          metric: { ...metric('SUM'), event: name },
          fromMs: nowMs - 60_000,
          toMs: nowMs,
          maxGroups: 1,
        });
        return stats ? aggregateValue(stats, 'SUM') : 0;
      };
      const [a, b] = EVENTS as [string, string];
      const merged = (batches: PositionedEvent[][], ranges: [number, number][]) => {
        const { groups } = aggregateLiveBatches(batches, { nowMs, horizonMs: HORIZON_MS });
        return store.applyMerged({
          ranges: ranges.map(([partition, from], i) => ({
            topic: TOPIC,
            partition,
            fromOffset: from,
            toOffset: from + batches[i]!.length - 1,
          })),
          groups,
        });
      };
      // Partition 20 holds events of a and b, partition 21 of a only.
      const p20 = [at(20, 0, a, 1), at(20, 1, b, 2)];
      const p21 = [at(21, 0, a, 10), at(21, 1, a, 10)];
      expect(
        await merged(
          [p20, p21],
          [
            [20, 0],
            [21, 0],
          ],
        ),
      ).toEqual([]);
      expect([await sum(a), await sum(b)]).toEqual([21, 2]);
      // Partition 21 redelivered beside new records of 20: group a has 21's range, so it is
      // refused whole (nothing of 20's a written either); group b, of partition 20 only, applies.
      const p20next = [at(20, 2, a, 100), at(20, 3, b, 200)];
      expect(
        await merged(
          [p20next, p21],
          [
            [20, 2],
            [21, 0],
          ],
        ),
      ).toEqual([{ tenant: 'merged', event: a }]);
      expect([await sum(a), await sum(b)]).toEqual([21, 202]);
      // Per partition, as the caller does with a refused group: 21 is skipped, 20 applied.
      for (const batch of [p20next, p21]) {
        const only = batch.filter((e) => e.name === a);
        await store.apply({
          topic: TOPIC,
          partition: batch[0]!.partition,
          fromOffset: batch[0]!.offset,
          toOffset: batch[batch.length - 1]!.offset,
          groups: aggregateLive(only, { nowMs, horizonMs: HORIZON_MS }).groups,
        });
      }
      expect([await sum(a), await sum(b)]).toEqual([121, 202]);
    });

    it('counts users whose ids are not well-formed UTF-16 (a lone surrogate)', async () => {
      const user = (userId: string, offset: number): PositionedEvent => ({
        ...events[0]!,
        tenant: 'surrogates',
        name: EVENTS[0]!,
        timestamp: nowMs - 10_000,
        userId,
        partition: 30,
        offset,
      });
      const batch = [user('a\ud800', 0), user('b\\ud800', 1), user('c', 2)];
      await store.apply({
        topic: TOPIC,
        partition: 30,
        fromOffset: 0,
        toOffset: 2,
        groups: aggregateLive(batch, { nowMs, horizonMs: HORIZON_MS }).groups,
      });
      const [stats] = await store.read({
        tenant: 'surrogates',
        metric: metric('UNIQUES'),
        fromMs: nowMs - 60_000,
        toMs: nowMs,
        maxGroups: 1,
      });
      expect(stats!.uniques).toBe(3);
    });

    it('folds a bucket with thousands of series, twice', async () => {
      const second = Math.floor((nowMs - 20_000) / 1000) * 1000;
      const wide = (offset: number) =>
        Array.from({ length: 2500 }, (_, i): PositionedEvent => ({
          ...events[0]!,
          tenant: 'wide',
          name: EVENTS[0]!,
          timestamp: second + (i % 1000),
          userId: `u${i}`,
          value: i,
          dimensions: { item: `i${i}`, plan: PLANS[i % 3]! },
          partition: 9,
          offset,
        }));
      for (const offset of [0, 1])
        await store.apply({
          topic: TOPIC,
          partition: 9,
          fromOffset: offset,
          toOffset: offset,
          groups: aggregateLive(wide(offset), { nowMs, horizonMs: HORIZON_MS }).groups,
        });
      const read = (m: Metric) =>
        store.read({
          tenant: 'wide',
          metric: m,
          fromMs: second,
          toMs: second + 1000,
          maxGroups: 5000,
        });
      const byItem = await read(metric('COUNT', { groupBy: 'item' }));
      expect(byItem).toHaveLength(2500);
      expect(byItem.every((s) => s.count === 2)).toBe(true);
      const [pro] = await read(
        metric('MAX', {
          filter: [
            { key: 'plan', in: ['pro'] },
            { key: 'item', in: ['i2497'] },
          ],
        }),
      );
      expect(aggregateValue(pro!, 'MAX')).toBe(2497);
      const [all] = await read(metric('UNIQUES'));
      expectAgrees(all!.uniques, 2500, 'UNIQUES', 'wide');
    });

    it('keeps monotonic floors per partition, -1 where none', async () => {
      const a = { topic: 'floors.a', partition: 0 };
      const b = { topic: 'floors.a', partition: 1 };
      const c = { topic: 'floors.c{x}', partition: 0 };
      expect(await store.floors([a, b, c])).toEqual([-1, -1, -1]);
      await store.setFloor(a, 41);
      await store.setFloor(c, 7);
      await store.setFloor(a, 12);
      expect(await store.floors([a, b, c])).toEqual([41, -1, 7]);
      await store.setFloor(a, 42);
      expect(await store.floors([c, a])).toEqual([7, 42]);
      expect(await store.floors([])).toEqual([]);
    });

    it('applies an empty request without effect', async () => {
      expect(
        await store.apply({
          topic: TOPIC,
          partition: 0,
          fromOffset: 10_000,
          toOffset: 10_001,
          groups: [],
        }),
      ).toEqual([]);
      await expectTruth(TENANTS[0]!, metric('COUNT'), nowMs - 3_600_000, nowMs);
    });

    it('exposes its horizon', () => {
      expect(store.horizonMs).toBe(HORIZON_MS);
    });
  });
}

export type { WindowStats };
