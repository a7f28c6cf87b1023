// The one contract every HistoryStore keeps, run against ClickHouse and SQLite. Ground truth is
// computed here from the generated events, independently of src/history.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PositionedEvent } from '../../src/events/event.js';
import {
  AGGREGATES,
  PERCENTILES,
  type Aggregate,
  type DimensionFilter,
  type Metric,
} from '../../src/events/metric.js';
import type { HistoryPath, HistoryQuery, HistoryStore } from '../../src/ports/history.js';

/** The rollups a store keeps. */
export interface Rollups {
  minute: boolean;
  hour: boolean;
}

export interface HistoryFixture {
  /** Answers from its rollups where it can. */
  store: HistoryStore;
  /** Reads the same data from raw events only. */
  raw: HistoryStore;
  /** UNIQUES and percentiles exact (quantileExact's definition); else within the sketches' error. */
  exact: boolean;
  /** Its rollups: they decide which path each query must take. */
  rollups: Rollups;
  dispose(): Promise<void>;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 22:00 UTC, so the data spans midnight and "1d" has two buckets. */
const BASE = Date.UTC(2024, 0, 10, 22, 0, 0);
const SPAN = 4 * HOUR;
/** No events in [23:10, 23:25): empty buckets at 1m and 5m. */
const GAP = [BASE + 70 * MIN, BASE + 85 * MIN];
const COUNTRIES = ['us', 'de', 'fr', 'jp', 'br'];
const COUNTRY_WEIGHTS = [0.4, 0.25, 0.17, 0.11, 0.07];
const PLANS = ['free', 'pro', 'team'];
const INTERVALS: [string, number][] = [
  ['1m', MIN],
  ['5m', 5 * MIN],
  ['1h', HOUR],
  ['1d', DAY],
];

/** Strings that break naive SQL quoting, escaping or parsing. */
const HOSTILE = [
  "'",
  '\\',
  "\\'",
  "''",
  "x'; DROP TABLE events; --",
  "' OR '1'='1",
  ') OR 1=1 --',
  'a\u0000b',
  'tab\there\nnew line\r\u0001\u001f\u007f',
  '{name:String}',
  '`backtick`',
  '"double"',
  'ü 日本語 😀 \u202e',
  '%_*?',
  '\\x27',
  '\\0',
];

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: T[], weights?: number[]): T {
  let r = random() * (weights ? weights.reduce((a, b) => a + b, 0) : items.length);
  for (let i = 0; i < items.length; i++) {
    r -= weights ? weights[i]! : 1;
    if (r < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

interface Generated {
  events: PositionedEvent[];
  topic: string;
}

/** Deterministic events of one tenant: two names, dimensions with skewed values, gaps, nulls. */
function generate(tenant: string, seed: number, count = 3000): Generated {
  const random = mulberry32(seed);
  const topic = `hist.${tenant}`;
  const offsets = [0, 0, 0, 0];
  const events: PositionedEvent[] = [];
  while (events.length < count) {
    const timestamp = BASE + Math.floor(random() * SPAN);
    if (timestamp >= GAP[0]! && timestamp < GAP[1]!) continue;
    const dimensions: Record<string, string> = {};
    const shape = random();
    if (shape > 0.05) dimensions.country = pick(random, COUNTRIES, COUNTRY_WEIGHTS);
    if (shape > 0.25) dimensions.plan = pick(random, PLANS, [0.6, 0.3, 0.1]);
    if (random() < 0.3) dimensions.page = `/p/${Math.floor(random() * 20)}`;
    const scale = 1 + COUNTRIES.indexOf(dimensions.country ?? 'us');
    const partition = Math.floor(random() * 4);
    events.push({
      id: `${tenant}-${events.length}`,
      tenant,
      name: random() < 0.8 ? 'page_view' : 'purchase',
      timestamp,
      userId: random() < 0.1 ? null : `u${Math.floor(random() * 400)}`,
      // Three decimals (validation keeps six at most), some negative; each country's values on
      // their own scale, so that groups rank clearly apart by every aggregate.
      value: random() < 0.15 ? null : Math.round((random() * 1000 - 100) * scale * 1000) / 1000,
      dimensions,
      topic,
      partition,
      offset: offsets[partition]!++,
    });
  }
  return { events, topic };
}

// ----- ground truth ------------------------------------------------------------------------

interface TruthPoint {
  time: number;
  value: number | null;
  /** The bucket's values, sorted (percentile tolerance). */
  values: number[];
}
interface TruthSeries {
  group: string | null;
  points: TruthPoint[];
}

function truthValue(aggregate: Aggregate, events: PositionedEvent[]): number | null {
  if (events.length === 0) return null;
  const values = events.flatMap((e) => (e.value === null ? [] : [e.value]));
  switch (aggregate) {
    case 'COUNT':
      return events.length;
    case 'UNIQUES':
      return new Set(events.flatMap((e) => (e.userId === null ? [] : [e.userId]))).size;
    default:
      if (values.length === 0) return null;
  }
  const sumMicros = values.reduce((sum, v) => sum + Math.round(v * 1e6), 0);
  switch (aggregate) {
    case 'SUM':
      return sumMicros / 1e6;
    case 'AVG':
      return sumMicros / 1e6 / values.length;
    case 'MIN':
      return Math.min(...values);
    case 'MAX':
      return Math.max(...values);
    default: {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[
        Math.min(sorted.length - 1, Math.floor(PERCENTILES[aggregate]! * sorted.length))
      ]!;
    }
  }
}

function truth(all: PositionedEvent[], query: HistoryQuery): TruthSeries[] {
  const { metric, intervalMs } = query;
  const fromMs = Math.floor(query.fromMs / intervalMs) * intervalMs;
  const toMs = Math.ceil(query.toMs / intervalMs) * intervalMs;
  const matching = all.filter(
    (e) =>
      e.tenant === query.tenant &&
      e.name === metric.event &&
      e.timestamp >= fromMs &&
      e.timestamp < toMs &&
      metric.filter.every((f) => f.key in e.dimensions && f.in.includes(e.dimensions[f.key]!)) &&
      (metric.groupBy === null || metric.groupBy in e.dimensions),
  );
  const byGroup = new Map<string | null, PositionedEvent[]>();
  for (const e of matching) {
    const group = metric.groupBy === null ? null : e.dimensions[metric.groupBy]!;
    const list = byGroup.get(group);
    if (list) list.push(e);
    else byGroup.set(group, [e]);
  }
  let groups: (string | null)[] = [null];
  if (metric.groupBy !== null)
    groups = [...byGroup]
      .map(([group, events]) => ({ group: group!, value: truthValue(metric.aggregate, events) }))
      .sort((a, b) =>
        a.value !== b.value
          ? a.value === null
            ? 1
            : b.value === null
              ? -1
              : b.value - a.value
          : a.group < b.group
            ? -1
            : 1,
      )
      .slice(0, query.maxGroups)
      .map((g) => g.group);
  return groups.map((group) => {
    const byBucket = new Map<number, PositionedEvent[]>();
    for (const e of byGroup.get(group) ?? []) {
      const time = e.timestamp - ((e.timestamp - fromMs) % intervalMs);
      const list = byBucket.get(time);
      if (list) list.push(e);
      else byBucket.set(time, [e]);
    }
    const points: TruthPoint[] = [];
    for (let time = fromMs; time < toMs; time += intervalMs) {
      const inBucket = byBucket.get(time) ?? [];
      points.push({
        time,
        value: truthValue(metric.aggregate, inBucket),
        values: inBucket.flatMap((e) => (e.value === null ? [] : [e.value])).sort((a, b) => a - b),
      });
    }
    return { group, points };
  });
}

// ----- comparison --------------------------------------------------------------------------

/** uniqHLL12: ~1.6% standard error; 5% is three sigma. */
const UNIQUES_RELATIVE_ERROR = 0.05;
/** t-digest: the answer's rank within the bucket's values is off by at most this (plus one value). */
const PERCENTILE_RANK_ERROR = 0.02;

function expectClose(
  aggregate: Aggregate,
  exact: boolean,
  actual: number | null,
  expected: TruthPoint,
  where: string,
): void {
  if (expected.value === null || actual === null) {
    expect(actual, where).toBe(expected.value);
    return;
  }
  if (aggregate === 'AVG') {
    expect(Math.abs(actual - expected.value), where).toBeLessThanOrEqual(
      Math.abs(expected.value) * 1e-12,
    );
  } else if (aggregate === 'UNIQUES' && !exact) {
    expect(Math.abs(actual - expected.value), where).toBeLessThanOrEqual(
      Math.max(1, expected.value * UNIQUES_RELATIVE_ERROR),
    );
  } else if (PERCENTILES[aggregate] !== undefined && !exact) {
    const q = PERCENTILES[aggregate]!;
    const n = expected.values.length;
    const below = expected.values.filter((v) => v < actual).length / n;
    const atOrBelow = expected.values.filter((v) => v <= actual).length / n;
    const slack = PERCENTILE_RANK_ERROR + 1 / n;
    expect(below, `${where}: rank of ${actual} (q ${q})`).toBeLessThanOrEqual(q + slack);
    expect(atOrBelow, `${where}: rank of ${actual} (q ${q})`).toBeGreaterThanOrEqual(q - slack);
  } else {
    expect(actual, where).toBe(expected.value);
  }
}

async function expectTruth(
  store: HistoryStore,
  exact: boolean,
  events: PositionedEvent[],
  query: HistoryQuery,
  label = '',
): Promise<HistoryPath> {
  const { series, path } = await store.query(query);
  const expected = truth(events, query);
  const where = `${label} ${query.metric.aggregate} ${JSON.stringify(query.metric)} @${query.intervalMs}ms (${path})`;
  const sketched =
    !exact &&
    (query.metric.aggregate === 'UNIQUES' || PERCENTILES[query.metric.aggregate] !== undefined);
  const groupsOf = (list: { group: string | null }[]) => list.map((s) => s.group);
  // Sketches may swap groups whose metrics lie within their error: then only the set must match.
  if (sketched)
    expect(groupsOf(series).sort(), `${where}: groups`).toEqual(groupsOf(expected).sort());
  else expect(groupsOf(series), `${where}: groups`).toEqual(groupsOf(expected));
  for (const want of expected) {
    const got = series.find((s) => s.group === want.group)!;
    expect(
      got.points.map((p) => p.time),
      `${where}: bucket times`,
    ).toEqual(want.points.map((p) => p.time));
    for (const [j, point] of want.points.entries())
      expectClose(
        query.metric.aggregate,
        exact,
        got.points[j]!.value,
        point,
        `${where} group ${want.group} bucket ${new Date(point.time).toISOString()}`,
      );
  }
  return path;
}

const metric = (
  event: string,
  aggregate: Aggregate,
  filter: DimensionFilter[] = [],
  groupBy: string | null = null,
): Metric => ({ event, aggregate, filter, groupBy });

const historyQuery = (
  tenant: string,
  m: Metric,
  intervalMs: number,
  maxGroups = 10,
  fromMs = BASE - DAY,
  toMs = BASE + DAY,
): HistoryQuery => ({
  tenant,
  metric: m,
  fromMs: Math.floor(fromMs / intervalMs) * intervalMs,
  toMs: Math.ceil(toMs / intervalMs) * intervalMs,
  intervalMs,
  maxGroups,
});

/**
 * The path the spec asks for: whole-hour intervals from the hour rollup, other whole minutes from
 * the minute rollup for COUNT/SUM/AVG/MIN/MAX, raw events otherwise (and for two keys or more).
 */
function expectedPath(
  rollups: Rollups,
  aggregate: Aggregate,
  intervalMs: number,
  keys = 1,
): HistoryPath {
  if (keys > 1) return 'raw';
  if (rollups.hour && intervalMs % HOUR === 0) return 'rollup_hour';
  if (
    rollups.minute &&
    intervalMs % MIN === 0 &&
    ['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'].includes(aggregate)
  )
    return 'rollup_minute';
  return 'raw';
}

/** A few hundred queries: room for a loaded 2-core machine. */
const HEAVY = { timeout: 120_000 };

// ----- the suite ---------------------------------------------------------------------------

export function describeHistoryContract(name: string, setup: () => Promise<HistoryFixture>): void {
  describe(`HistoryStore contract: ${name}`, () => {
    let fixture: HistoryFixture;
    const run = randomBytes(4).toString('hex');
    const tenantA = `acme-${run}`;
    const tenantB = `globex-${run}`;
    const a = generate(tenantA, 1);
    const b = generate(tenantB, 2, 1200);
    const all = [...a.events, ...b.events];

    beforeAll(async () => {
      fixture = await setup();
      // Several inserts, as the fold makes them; tenants interleaved in one of them.
      await fixture.store.insert(a.events.slice(0, 1000));
      await fixture.store.insert([...a.events.slice(1000), ...b.events]);
    });
    afterAll(async () => {
      await fixture?.dispose();
    });

    it(
      'answers every aggregate at 1m, 5m, 1h and 1d, every bucket present, null where empty',
      HEAVY,
      async () => {
        for (const [label, intervalMs] of INTERVALS)
          for (const aggregate of AGGREGATES) {
            const query = historyQuery(tenantA, metric('page_view', aggregate), intervalMs);
            const path = await expectTruth(fixture.store, fixture.exact, all, query, label);
            expect(path, `${label} ${aggregate}`).toBe(
              expectedPath(fixture.rollups, aggregate, intervalMs),
            );
          }
        // The data has a gap and starts a day after `from`: nulls inside and around it.
        const { series } = await fixture.store.query(
          historyQuery(tenantA, metric('page_view', 'COUNT'), 5 * MIN),
        );
        const points = series[0]!.points;
        expect(points).toHaveLength((2 * DAY) / (5 * MIN));
        expect(points.find((p) => p.time === GAP[0])?.value).toBeNull();
        expect(points.find((p) => p.time === BASE)?.value).toBeGreaterThan(0);
        expect(points[0]!.value).toBeNull();
      },
    );

    it('reads raw events when asked to, with the same numbers as the rollups', HEAVY, async () => {
      for (const [label, intervalMs] of INTERVALS.slice(1))
        for (const aggregate of AGGREGATES)
          for (const m of [
            metric('page_view', aggregate),
            metric('purchase', aggregate, [{ key: 'country', in: ['de', 'us'] }]),
            metric('page_view', aggregate, [], 'plan'),
          ]) {
            const query = historyQuery(tenantA, m, intervalMs);
            const viaRaw = await fixture.raw.query(query);
            expect(viaRaw.path).toBe('raw');
            await expectTruth(fixture.raw, fixture.exact, all, query, `raw ${label}`);
            const viaRollup = await fixture.store.query(query);
            expect(viaRollup.path).toBe(expectedPath(fixture.rollups, aggregate, intervalMs));
            if (['COUNT', 'SUM', 'AVG', 'MIN', 'MAX'].includes(aggregate)) {
              expect(viaRollup.series, `${label} ${aggregate} ${JSON.stringify(m)}`).toEqual(
                viaRaw.series,
              );
            }
          }
    });

    it('filters: all must hold; one key from the rollup, several keys from raw events', async () => {
      // Each case with the number of distinct keys it filters on.
      const cases: [DimensionFilter[], number][] = [
        [[{ key: 'country', in: ['de'] }], 1],
        [[{ key: 'country', in: ['fr', 'jp', 'nowhere'] }], 1],
        [
          [
            { key: 'country', in: ['us', 'de'] },
            { key: 'country', in: ['de', 'fr'] },
          ],
          1,
        ],
        [
          [
            { key: 'country', in: ['us', 'de'] },
            { key: 'plan', in: ['pro'] },
          ],
          2,
        ],
        [[{ key: 'missing', in: ['x'] }], 1],
      ];
      for (const [filter, keys] of cases)
        for (const aggregate of ['COUNT', 'SUM', 'MAX', 'P90', 'UNIQUES'] as Aggregate[])
          for (const intervalMs of [5 * MIN, HOUR]) {
            const query = historyQuery(tenantA, metric('page_view', aggregate, filter), intervalMs);
            const path = await expectTruth(fixture.store, fixture.exact, all, query);
            expect(path).toBe(expectedPath(fixture.rollups, aggregate, intervalMs, keys));
          }
      // Filters that no value can pass: every bucket null, no groups.
      const none = historyQuery(
        tenantA,
        metric('page_view', 'COUNT', [
          { key: 'country', in: ['us'] },
          { key: 'country', in: ['de'] },
        ]),
        HOUR,
      );
      const { series } = await fixture.store.query(none);
      expect(series).toHaveLength(1);
      expect(series[0]!.points.every((p) => p.value === null)).toBe(true);
      const grouped = await fixture.store.query({
        ...none,
        metric: { ...none.metric, filter: [{ key: 'plan', in: [] }], groupBy: 'country' },
      });
      expect(grouped.series).toEqual([]);
    });

    it('groupBy keeps the top maxGroups groups by the metric over the range, largest first', async () => {
      const cases: [Metric, number, number][] = [
        [metric('page_view', 'COUNT', [], 'country'), 3, 5 * MIN],
        [metric('page_view', 'COUNT', [], 'country'), 10, HOUR],
        [metric('page_view', 'SUM', [], 'plan'), 2, HOUR],
        [metric('page_view', 'MIN', [], 'country'), 2, DAY],
        [
          metric('page_view', 'AVG', [{ key: 'country', in: ['us', 'de', 'fr'] }], 'country'),
          2,
          HOUR,
        ],
        [metric('page_view', 'COUNT', [{ key: 'plan', in: ['pro', 'team'] }], 'country'), 4, HOUR],
        [metric('page_view', 'UNIQUES', [], 'country'), 3, HOUR],
        [metric('purchase', 'P50', [], 'country'), 2, DAY],
        [metric('page_view', 'COUNT', [], 'page'), 25, DAY],
      ];
      for (const [m, maxGroups, intervalMs] of cases)
        await expectTruth(
          fixture.store,
          fixture.exact,
          all,
          historyQuery(tenantA, m, intervalMs, maxGroups),
        );
      const top3 = await fixture.store.query(
        historyQuery(tenantA, metric('page_view', 'COUNT', [], 'country'), HOUR, 3),
      );
      expect(top3.series.map((s) => s.group)).toEqual(['us', 'de', 'fr']);
      expect(top3.path).toBe(expectedPath(fixture.rollups, 'COUNT', HOUR));
      const mixed = await fixture.store.query(
        historyQuery(
          tenantA,
          metric('page_view', 'COUNT', [{ key: 'plan', in: ['pro'] }], 'country'),
          HOUR,
        ),
      );
      expect(mixed.path).toBe('raw');
      const nobody = await fixture.store.query(
        historyQuery(tenantA, metric('page_view', 'COUNT', [], 'no_such_key'), HOUR),
      );
      expect(nobody.series).toEqual([]);
    });

    it('aligns buckets to the epoch: from rounded down, to rounded up', async () => {
      const from = BASE + 7 * MIN + 13_456;
      const to = BASE + 2 * HOUR + 1;
      const { series } = await fixture.store.query({
        tenant: tenantA,
        metric: metric('page_view', 'COUNT'),
        fromMs: from,
        toMs: to,
        intervalMs: HOUR,
        maxGroups: 10,
      });
      expect(series[0]!.points.map((p) => p.time)).toEqual([BASE, BASE + HOUR, BASE + 2 * HOUR]);
      for (const [label, intervalMs] of INTERVALS)
        await expectTruth(
          fixture.store,
          fixture.exact,
          all,
          {
            ...historyQuery(tenantA, metric('page_view', 'SUM'), intervalMs),
            fromMs: from,
            toMs: to,
          },
          label,
        );
      const fiveMinutes = await fixture.store.query({
        tenant: tenantA,
        metric: metric('page_view', 'COUNT'),
        fromMs: from,
        toMs: from + 1,
        intervalMs: 5 * MIN,
        maxGroups: 1,
      });
      expect(fiveMinutes.series[0]!.points.map((p) => p.time)).toEqual([BASE + 5 * MIN]);
    });

    it('keeps tenants apart', async () => {
      for (const tenant of [tenantA, tenantB])
        for (const aggregate of ['COUNT', 'SUM', 'UNIQUES'] as Aggregate[])
          await expectTruth(
            fixture.store,
            fixture.exact,
            all,
            historyQuery(tenant, metric('page_view', aggregate, [], 'country'), DAY),
            tenant,
          );
      const countOf = async (tenant: string) =>
        (
          await fixture.store.query(
            historyQuery(tenant, metric('page_view', 'COUNT'), 2 * DAY, 1, BASE, BASE + DAY),
          )
        ).series[0]!.points.reduce((sum, p) => sum + (p.value ?? 0), 0);
      expect(await countOf(tenantA)).toBe(a.events.filter((e) => e.name === 'page_view').length);
      expect(await countOf(tenantB)).toBe(b.events.filter((e) => e.name === 'page_view').length);
      expect(await countOf(`nobody-${run}`)).toBe(0);
    });

    it('lists event names most recent first, up to the limit, per tenant', async () => {
      const tenant = `names-${run}`;
      const at = (name: string, timestamp: number, offset: number): PositionedEvent => ({
        id: `${name}-${offset}`,
        tenant,
        name,
        timestamp,
        userId: null,
        value: null,
        dimensions: {},
        topic: `names.${run}`,
        partition: 0,
        offset,
      });
      await fixture.store.insert([
        at('old', BASE, 0),
        at('newest', BASE + 3 * HOUR, 1),
        at('middle', BASE + HOUR, 2),
        at('old', BASE + 10_000, 3),
      ]);
      expect(await fixture.store.eventNames(tenant, 10)).toEqual(['newest', 'middle', 'old']);
      expect(await fixture.store.eventNames(tenant, 2)).toEqual(['newest', 'middle']);
      expect(await fixture.store.eventNames(tenantA, 10)).toEqual(
        expect.arrayContaining(['page_view', 'purchase']),
      );
      expect(await fixture.store.eventNames(`nobody-${run}`, 10)).toEqual([]);
    });

    it('stores offsets with the events and reads the highest per partition back', async () => {
      const highest = [0, 1, 2, 3].map((partition) =>
        Math.max(...a.events.filter((e) => e.partition === partition).map((e) => e.offset)),
      );
      const partitions = [0, 1, 2, 3, 9].map((partition) => ({ topic: a.topic, partition }));
      expect(await fixture.store.offsets(partitions)).toEqual([...highest, -1]);
      expect(
        await fixture.raw.offsets([
          { topic: `unknown.${run}`, partition: 0 },
          { topic: b.topic, partition: 2 },
        ]),
      ).toEqual([-1, Math.max(...b.events.filter((e) => e.partition === 2).map((e) => e.offset))]);
      expect(await fixture.store.offsets([])).toEqual([]);
      const later = {
        ...a.events[0]!,
        id: `later-${run}`,
        partition: 1,
        offset: highest[1]! + 500,
      };
      await fixture.store.insert([later]);
      expect(await fixture.store.offsets([{ topic: a.topic, partition: 1 }])).toEqual([
        highest[1]! + 500,
      ]);
      all.push(later);
    });

    it('takes hostile strings as plain data: empty answers, never errors or injections', async () => {
      for (const s of HOSTILE) {
        const q = historyQuery(s, metric(s, 'COUNT', [{ key: s, in: [s, 'us'] }], s), HOUR);
        expect((await fixture.store.query(q)).series, JSON.stringify(s)).toEqual([]);
        expect((await fixture.raw.query(q)).series).toEqual([]);
        const plain = await fixture.store.query(historyQuery(tenantA, metric(s, 'UNIQUES'), HOUR));
        expect(plain.series[0]!.points.every((p) => p.value === null)).toBe(true);
        const filtered = await fixture.store.query(
          historyQuery(tenantA, metric('page_view', 'COUNT', [{ key: 'country', in: [s] }]), DAY),
        );
        expect(filtered.series[0]!.points.every((p) => p.value === null)).toBe(true);
        expect(await fixture.store.eventNames(s, 5)).toEqual([]);
        expect(await fixture.store.offsets([{ topic: s, partition: 0 }])).toEqual([-1]);
      }
      // Stored and read back byte for byte: names, dimension keys and values, tenants.
      const tenant = `hostile-${run}\u0000'\\`;
      const events: PositionedEvent[] = HOSTILE.map((s, i) => ({
        id: `h${i}`,
        tenant,
        name: i % 2 === 0 ? s : 'evil',
        timestamp: BASE + i * 1000,
        userId: s,
        value: i,
        dimensions: { kind: s, [s]: 'v' },
        topic: `hostile.${run}\\'`,
        partition: 0,
        offset: i,
      }));
      await fixture.store.insert(events);
      expect(new Set(await fixture.store.eventNames(tenant, 100))).toEqual(
        new Set(events.map((e) => e.name)),
      );
      const kinds = await fixture.store.query(
        historyQuery(tenant, metric('evil', 'SUM', [], 'kind'), DAY, 100),
      );
      expect(new Set(kinds.series.map((s) => s.group))).toEqual(
        new Set(events.filter((e) => e.name === 'evil').map((e) => e.dimensions.kind)),
      );
      for (const e of events) {
        const byValue = await fixture.store.query(
          historyQuery(
            tenant,
            metric(e.name, 'MAX', [{ key: 'kind', in: [e.dimensions.kind!] }]),
            DAY,
          ),
        );
        expect(
          byValue.series[0]!.points.find((p) => p.value !== null)?.value,
          JSON.stringify(e.name),
        ).toBe(e.value);
        const byKey = await fixture.raw.query(
          historyQuery(
            tenant,
            metric(e.name, 'COUNT', [{ key: e.dimensions.kind!, in: ['v'] }]),
            DAY,
          ),
        );
        expect(
          byKey.series[0]!.points.find((p) => p.value !== null)?.value,
          JSON.stringify(e.name),
        ).toBe(1);
      }
      expect(await fixture.store.offsets([{ topic: `hostile.${run}\\'`, partition: 0 }])).toEqual([
        HOSTILE.length - 1,
      ]);
      // Nothing was dropped or altered along the way.
      await expectTruth(
        fixture.store,
        fixture.exact,
        all,
        historyQuery(tenantA, metric('page_view', 'COUNT'), HOUR),
      );
    });
  });
}
