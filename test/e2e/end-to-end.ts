// The end-to-end suite, run once per engine set: events go in through the public `ingest`
// mutation, through the log and the real fold into the stores, and come back out through the
// public API only (HTTP queries, graphql-ws and SSE subscriptions), equal to a ground truth kept
// here. Two tenants with their own keys: each sees its own events and never the other's.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventNamesDocument,
  FreshnessNowDocument,
  HistoryDocument,
  IngestDocument,
  LiveDocument,
  PutLookupDocument,
  WatchLiveDocument,
  WatchSeriesDocument,
  type Aggregate,
  type EventInput,
  type FreshnessNowQuery,
  type IngestMutation,
  type MetricInput,
  type WatchLiveSubscription,
  type WatchSeriesSubscription,
} from '../generated/graphql.js';
import type { TestStack } from '../support/app.js';
import {
  apiClient,
  collect,
  issueApiKeys,
  operation,
  type ApiClient,
  type Collected,
  type Result,
} from '../support/clients.js';
import { pick, seededRandom } from '../support/random.js';
import { waitFor } from '../support/services.js';
import { disagreement, tenantTruth, type Lookups, type TenantTruth } from './truth.js';

const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const AGGREGATES: Aggregate[] = ['COUNT', 'SUM', 'MIN', 'MAX', 'UNIQUES', 'P90'];
/** The minute rollup keeps no sketches: UNIQUES and percentiles read raw events (src/history/plan.ts). */
const MINUTE_ROLLUP: ReadonlySet<Aggregate> = new Set(['COUNT', 'SUM', 'MIN', 'MAX']);
/** The real Kafka consumer joins its group and ClickHouse inserts take a moment: generous, polled. */
const FOLD_TIMEOUT_MS = 30_000;

type Freshness = FreshnessNowQuery['freshness'];
type SeriesUpdate = WatchSeriesSubscription['series'];
type Series = { group: string | null; points: { time: string; value: number | null }[] };

export function describeEndToEnd(
  engineName: string,
  startStack: (settings: Record<string, string>) => Promise<TestStack>,
): void {
  describe(`end to end on the ${engineName} engines, through the public API only`, () => {
    // Tenant names of their own: the real engines share one ClickHouse database per test run.
    const suffix = randomBytes(3).toString('hex');
    const tenantA = `e2e-a-${suffix}`;
    const tenantB = `e2e-b-${suffix}`;
    const lookupsA: Lookups = {
      ad_id: {
        a1: { campaign_id: 'c1' },
        a2: { campaign_id: 'c1' },
        a3: { campaign_id: 'c2', region: 'north' },
      },
    };
    // B's table of the same name maps the same key elsewhere: lookups are per tenant too.
    const lookupsB: Lookups = { ad_id: { a1: { campaign_id: 'b-camp' } } };
    const truthA = tenantTruth(lookupsA);
    const truthB = tenantTruth(lookupsB);
    const random = seededRandom(20_240_501);

    let stack: TestStack;
    let a: ApiClient;
    let b: ApiClient;
    /** Start of the minute the suite began in: every event before it lies in a closed bucket. */
    let minute: number;

    beforeAll(async () => {
      const { keys, API_KEYS } = issueApiKeys([tenantA, tenantB]);
      stack = await startStack({ API_KEYS });
      a = apiClient(stack.url, keys[tenantA]!);
      b = apiClient(stack.url, keys[tenantB]!);
      minute = Math.floor(Date.now() / MIN) * MIN;
    });
    afterAll(() => stack?.stop());

    /** A purchase at `timestamp`; most carry a user and a value, one in ten its own campaign. */
    function purchase(id: string | null, timestamp: number, base: number, ads: string[]) {
      const event: EventInput = {
        name: 'purchase',
        timestamp: iso(timestamp),
        dimensions: {
          country: pick(random, ['FR', 'DE', 'US']),
          ad_id: pick(random, ads),
          ...(random() < 0.1 ? { campaign_id: 'own' } : {}),
        },
      };
      if (id !== null) event.id = id;
      if (random() < 0.9) event.userId = `u${Math.floor(random() * 30)}`;
      if (random() < 0.85) event.value = base + Math.round(random() * 50_000) / 100;
      return event;
    }
    /** A time in the closed buckets [minute - 4m, minute). */
    const past = () => minute - 4 * MIN + Math.floor(random() * (4 * MIN - 1000));

    async function ingest(
      client: ApiClient,
      truth: TenantTruth,
      events: EventInput[],
    ): Promise<IngestMutation['ingest']> {
      const { status, body } = await client.request(IngestDocument, { events });
      expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
      expect(status).toBe(200);
      const result = body.data!.ingest;
      const rejected = new Set(result.rejected.map((r) => r.index));
      truth.accept(events.filter((_, index) => !rejected.has(index)));
      return result;
    }

    /** Polls freshness until nothing is behind and the fold is past everything ingested so far. */
    async function waitForFold(client: ApiClient): Promise<Freshness> {
      const ingestedBy = Date.now();
      return waitFor(
        async () => {
          const { body } = await client.request(FreshnessNowDocument, {});
          const freshness = body.data?.freshness;
          return freshness &&
            freshness.behind === 0 &&
            freshness.foldedThrough !== null &&
            Date.parse(freshness.foldedThrough) >= ingestedBy
            ? freshness
            : null;
        },
        { timeout: FOLD_TIMEOUT_MS, message: `the fold caught up (${engineName})` },
      );
    }

    function expectCaughtUp(extensions: Record<string, unknown> | undefined) {
      expect(extensions?.freshness).toEqual({
        foldedThrough: expect.any(String),
        lagMs: expect.any(Number),
        behind: 0,
      });
    }

    /** Every bucket of [from, to) present, oldest first, each group's values equal to the truth. */
    function expectSeries(
      series: Series[],
      truth: TenantTruth,
      metric: { event: string; aggregate: Aggregate; groupBy?: string },
      range: { from: number; to: number; where?: (d: Record<string, string>) => boolean },
      label: string,
    ) {
      const { event, aggregate, groupBy } = metric;
      const selected = truth.select(event, range.from, range.to, range.where);
      // Events without the groupBy dimension belong to no group.
      const groups = groupBy
        ? [...new Set(selected.flatMap((e) => e.dimensions[groupBy] ?? []))].sort()
        : [null];
      expect(series.map((s) => s.group).sort(), `${label}: groups`).toEqual(groups);
      const times = Array.from({ length: (range.to - range.from) / MIN }, (_, i) =>
        iso(range.from + i * MIN),
      );
      for (const { group, points } of series) {
        expect(
          points.map((p) => p.time),
          `${label} ${group}: buckets`,
        ).toEqual(times);
        for (const point of points) {
          const start = Date.parse(point.time);
          const events = truth.select(
            event,
            start,
            start + MIN,
            (d) => (range.where?.(d) ?? true) && (!groupBy || d[groupBy] === group),
          );
          expect(
            disagreement(aggregate, point.value, events),
            `${label} ${group} @${point.time}`,
          ).toBeNull();
        }
      }
    }

    it('ingest: valid events accepted, invalid ones rejected with index and reason, repeated ids counted once; putLookup stores the rows', async () => {
      const rows = (lookups: Lookups) =>
        Object.entries(lookups.ad_id!).map(([key, values]) => ({ key, values }));
      const putA = await a.request(PutLookupDocument, {
        table: 'ads',
        keyDimension: 'ad_id',
        rows: rows(lookupsA),
      });
      expect(putA.body.errors).toBeUndefined();
      expect(putA.body.data?.putLookup).toBe(3);
      const putB = await b.request(PutLookupDocument, {
        table: 'ads',
        keyDimension: 'ad_id',
        rows: rows(lookupsB),
      });
      expect(putB.body.data?.putLookup).toBe(1);

      const first: EventInput[] = Array.from({ length: 150 }, (_, i) =>
        purchase(i % 2 === 0 ? `a-${suffix}-${i}` : null, past(), 0, ['a1', 'a2', 'a3']),
      );
      for (let i = 0; i < 10; i++)
        first.push({
          name: 'signup',
          timestamp: iso(minute - 4 * MIN + i * 5000),
          userId: `s${i}`,
        });
      const invalid: [number, EventInput, RegExp][] = [
        [3, { name: 'purchase', timestamp: iso(Date.now() + 3_600_000) }, /in the future/],
        [
          40,
          { name: 'purchase', timestamp: iso(past()), dimensions: { nested: { deep: 'x' } } },
          /dimension nested must be a string/,
        ],
        [77, { name: ' ', timestamp: iso(past()) }, /name is required/],
        [151, { name: 'purchase', timestamp: iso(past()), value: 1e13 }, /value must be within/],
      ];
      for (const [index, event] of invalid) first.splice(index, 0, event);
      expect(await ingest(a, truthA, first)).toEqual({
        accepted: first.length - invalid.length,
        rejected: invalid.map(([index, , reason]) => ({
          index,
          reason: expect.stringMatching(reason),
        })),
      });

      // A client retry: ten ids of the first batch again (with other values), among new events.
      const retried = first
        .filter((e) => e.id)
        .slice(0, 10)
        .map((e) => ({ ...e, value: 999_999 }));
      const second = [
        ...Array.from({ length: 100 }, () => purchase(null, past(), 0, ['a1', 'a2', 'a3'])),
        ...retried,
      ];
      expect(await ingest(a, truthA, second)).toEqual({ accepted: 110, rejected: [] });
      expect(truthA.events).toHaveLength(150 + 10 + 100);

      const forB: EventInput[] = Array.from({ length: 60 }, () =>
        purchase(null, minute - 4 * MIN + Math.floor(random() * 3 * MIN), 1000, ['a1']),
      );
      for (let i = 0; i < 5; i++)
        forB.push({ name: 'b_secret', timestamp: iso(minute - 30_000 + i * 3000) });
      expect(await ingest(b, truthB, forB)).toEqual({ accepted: 65, rejected: [] });

      const freshness = await waitForFold(a);
      expect(freshness.lagMs).toBeGreaterThanOrEqual(0);
    });

    it('history: every aggregate of every bucket equals the truth, with extensions.historyPath and extensions.freshness', async () => {
      const range = { from: minute - 5 * MIN, to: minute };
      const history = (client: ApiClient, metric: MetricInput) =>
        client.request(HistoryDocument, {
          metric,
          from: iso(range.from),
          to: iso(range.to),
          interval: '1m',
        });
      for (const aggregate of AGGREGATES) {
        const { body } = await history(a, { event: 'purchase', aggregate });
        expect(body.errors).toBeUndefined();
        expect(body.extensions?.historyPath).toBe(
          MINUTE_ROLLUP.has(aggregate) ? 'rollup_minute' : 'raw',
        );
        expectCaughtUp(body.extensions);
        expectSeries(
          body.data!.history,
          truthA,
          { event: 'purchase', aggregate },
          range,
          aggregate,
        );
      }

      const cases: { metric: MetricInput; where?: (d: Record<string, string>) => boolean }[] = [
        { metric: { event: 'purchase', aggregate: 'COUNT', groupBy: 'country' } },
        // campaign_id comes from the lookup (or the event's own, which wins).
        { metric: { event: 'purchase', aggregate: 'SUM', groupBy: 'campaign_id' } },
        { metric: { event: 'purchase', aggregate: 'UNIQUES', groupBy: 'region' } },
        {
          metric: {
            event: 'purchase',
            aggregate: 'MAX',
            filter: [{ key: 'country', in: ['FR', 'DE'] }],
          },
          where: (d) => d.country === 'FR' || d.country === 'DE',
        },
        {
          metric: {
            event: 'purchase',
            aggregate: 'COUNT',
            filter: [{ key: 'campaign_id', equals: 'c1' }],
          },
          where: (d) => d.campaign_id === 'c1',
        },
        { metric: { event: 'signup', aggregate: 'UNIQUES' } },
      ];
      for (const { metric, where } of cases) {
        const { body } = await history(a, metric);
        expect(body.errors).toBeUndefined();
        expectSeries(
          body.data!.history,
          truthA,
          {
            event: metric.event,
            aggregate: metric.aggregate!,
            groupBy: metric.groupBy ?? undefined,
          },
          { ...range, where },
          JSON.stringify(metric),
        );
      }
    });

    it('live: the sliding window equals the truth of its own [windowStart, windowEnd), with extensions.freshness', async () => {
      for (const aggregate of AGGREGATES) {
        const { body } = await a.request(LiveDocument, {
          metric: { event: 'purchase', aggregate },
          window: '15m',
        });
        expect(body.errors).toBeUndefined();
        expectCaughtUp(body.extensions);
        const [value, ...more] = body.data!.live;
        expect(more).toEqual([]);
        const from = Date.parse(value!.windowStart);
        const to = Date.parse(value!.windowEnd);
        expect(to - from).toBe(15 * MIN);
        expect(Math.abs(to - Date.now())).toBeLessThan(5000);
        expect(value!.group).toBeNull();
        expect(
          disagreement(aggregate, value!.value, truthA.select('purchase', from, to)),
          `live ${aggregate}`,
        ).toBeNull();
      }

      const { body } = await a.request(LiveDocument, {
        metric: { event: 'purchase', aggregate: 'SUM', groupBy: 'campaign_id' },
        window: '15m',
      });
      const live = body.data!.live;
      expect(live.map((v) => v.group).sort()).toEqual(['c1', 'c2', 'own']);
      for (const v of live) {
        const events = truthA.select(
          'purchase',
          Date.parse(v.windowStart),
          Date.parse(v.windowEnd),
          (d) => d.campaign_id === v.group,
        );
        expect(disagreement('SUM', v.value, events), `live SUM ${v.group}`).toBeNull();
      }
    });

    it('eventNames: each tenant its own names, most recent first', async () => {
      const names = async (client: ApiClient) => {
        const { body } = await client.request(EventNamesDocument, { limit: 10 });
        expect(body.errors).toBeUndefined();
        return body.data!.eventNames;
      };
      expect(await names(a)).toEqual(['purchase', 'signup']);
      expect(await names(b)).toEqual(['b_secret', 'purchase']);
    });

    it('tenant isolation: B sees exactly its own events and lookups through every query, none of A’s', async () => {
      const range = { from: minute - 5 * MIN, to: minute };
      for (const metric of [
        { event: 'purchase', aggregate: 'COUNT' },
        { event: 'purchase', aggregate: 'SUM' },
        { event: 'purchase', aggregate: 'MAX' },
        { event: 'purchase', aggregate: 'SUM', groupBy: 'campaign_id' },
        { event: 'signup', aggregate: 'COUNT' },
      ] as const) {
        const { body } = await b.request(HistoryDocument, {
          metric,
          from: iso(range.from),
          to: iso(range.to),
        });
        expect(body.errors).toBeUndefined();
        expectSeries(body.data!.history, truthB, metric, range, `B ${JSON.stringify(metric)}`);
      }
      const campaigns = await b.request(HistoryDocument, {
        metric: { event: 'purchase', groupBy: 'campaign_id' },
        from: iso(range.from),
        to: iso(range.to),
      });
      // B's a1 joins B's row, never A's (c1).
      const groupsOfB = campaigns.body.data!.history.map((s) => s.group);
      expect(groupsOfB).toContain('b-camp');
      expect(groupsOfB).not.toContain('c1');
      expect(groupsOfB).not.toContain('c2');

      for (const metric of [
        { event: 'purchase', aggregate: 'SUM' },
        { event: 'signup', aggregate: 'COUNT' },
      ] as const) {
        const { body } = await b.request(LiveDocument, { metric, window: '15m' });
        expect(body.errors).toBeUndefined();
        for (const v of body.data!.live) {
          const events = truthB.select(
            metric.event,
            Date.parse(v.windowStart),
            Date.parse(v.windowEnd),
          );
          expect(
            disagreement(metric.aggregate, v.value, events),
            `B live ${metric.event}`,
          ).toBeNull();
        }
      }
    });

    it('live subscription over graphql-ws and SSE: the value at the start, then the update after more ingest', async () => {
      const variables = {
        metric: { event: 'purchase', aggregate: 'SUM' } as MetricInput,
        window: '15m',
        every: '1s',
      };
      const wsA = a.ws();
      const sseA = a.sse();
      const wsB = b.ws();
      const subscribe = (client: typeof wsA | typeof sseA) =>
        collect<WatchLiveSubscription>((sink) =>
          client.subscribe(operation(WatchLiveDocument, variables), sink),
        );
      const overWs = subscribe(wsA);
      const overSse = subscribe(sseA);
      const ofB = subscribe(wsB);
      const agrees =
        (truth: TenantTruth) => (result: Result<WatchLiveSubscription> | undefined) => {
          const live = result?.data?.live;
          if (live?.length !== 1) return false;
          const value = live[0]!;
          const events = truth.select(
            'purchase',
            Date.parse(value.windowStart),
            Date.parse(value.windowEnd),
          );
          return disagreement('SUM', value.value, events) === null;
        };
      const describeLast = (seen: Collected<WatchLiveSubscription>) =>
        `last ${JSON.stringify(seen.results.at(-1))}, error ${String(seen.error)}`;
      try {
        await waitFor(() => [overWs, overSse, ofB].every((s) => s.results.length > 0), {
          message: 'every subscriber got the value at the start',
        });
        for (const seen of [overWs, overSse]) {
          expect(agrees(truthA)(seen.results[0]), describeLast(seen)).toBe(true);
          expectCaughtUp(seen.results[0]!.extensions);
        }
        expect(agrees(truthB)(ofB.results[0]), describeLast(ofB)).toBe(true);

        const more = Array.from({ length: 20 }, () => ({
          ...purchase(null, Date.now() - 500, 0, ['a1', 'a2', 'a3']),
          value: 7.25,
        }));
        expect(await ingest(a, truthA, more)).toEqual({ accepted: 20, rejected: [] });
        for (const [transport, seen] of [
          ['graphql-ws', overWs],
          ['SSE', overSse],
        ] as const)
          await waitFor(() => agrees(truthA)(seen.results.at(-1)), {
            timeout: FOLD_TIMEOUT_MS,
            message: `${transport} pushed the sum after more ingest (${describeLast(seen)})`,
          });
        for (const seen of [overWs, overSse]) {
          expect(seen.results.length).toBeGreaterThanOrEqual(2);
          expect(seen.error).toBeUndefined();
          expect(seen.results.every((r) => r.errors === undefined)).toBe(true);
        }
        // B's subscription on the same metric never carried a value of A's.
        expect(ofB.results.every(agrees(truthB)), describeLast(ofB)).toBe(true);
      } finally {
        for (const seen of [overWs, overSse, ofB]) seen.dispose();
        sseA.dispose();
        await Promise.all([wsA.dispose(), wsB.dispose()]);
      }
    });

    it('series subscription: closed buckets from history with final: true, then the open bucket as it updates', async () => {
      // The open bucket must stay open while this runs: start well before a minute boundary.
      await waitFor(() => Date.now() % MIN < 45_000, {
        timeout: 20_000,
        interval: 250,
        message: 'well inside a minute',
      });
      const since = minute - 5 * MIN;
      const open = Math.floor(Date.now() / MIN) * MIN;
      const variables = {
        metric: { event: 'purchase', aggregate: 'COUNT' } as MetricInput,
        since: iso(since),
        interval: '1m',
      };
      const wsA = a.ws();
      const sseB = b.sse();
      const ofA = collect<WatchSeriesSubscription>((sink) =>
        wsA.subscribe(operation(WatchSeriesDocument, variables), sink),
      );
      const ofB = collect<WatchSeriesSubscription>((sink) =>
        sseB.subscribe(operation(WatchSeriesDocument, variables), sink),
      );
      const updates = (seen: Collected<WatchSeriesSubscription>) =>
        seen.results.flatMap((r) => (r.data ? [r.data.series] : []));
      const finals = (seen: Collected<WatchSeriesSubscription>) =>
        updates(seen).filter((u) => u.final);
      const closed = Array.from({ length: (open - since) / MIN }, (_, i) => iso(since + i * MIN));
      const countIn = (truth: TenantTruth, u: SeriesUpdate) => {
        const start = Date.parse(u.point.time);
        return disagreement('COUNT', u.point.value, truth.select('purchase', start, start + MIN));
      };
      const describeSeen = (seen: Collected<WatchSeriesSubscription>) =>
        `got ${JSON.stringify(updates(seen))}, error ${String(seen.error)}`;
      try {
        for (const seen of [ofA, ofB])
          await waitFor(() => finals(seen).length >= closed.length, {
            timeout: FOLD_TIMEOUT_MS,
            message: `every closed bucket sent final (${describeSeen(seen)})`,
          });
        for (const [seen, truth] of [
          [ofA, truthA],
          [ofB, truthB],
        ] as const) {
          expect(
            finals(seen).map((u) => u.point.time),
            describeSeen(seen),
          ).toEqual(closed);
          for (const u of finals(seen)) expect(countIn(truth, u), u.point.time).toBeNull();
          expect(seen.results[0]!.extensions?.freshness).toBeDefined();
        }

        const more = Array.from({ length: 12 }, () =>
          purchase(null, Date.now(), 0, ['a1', 'a2', 'a3']),
        );
        expect(await ingest(a, truthA, more)).toEqual({ accepted: 12, rejected: [] });
        const bucket = iso(Math.floor(Date.parse(more[0]!.timestamp!) / MIN) * MIN);
        expect(bucket).toBe(iso(open));
        await waitFor(
          () =>
            updates(ofA).some(
              (u) => u.point.time === bucket && !u.final && countIn(truthA, u) === null,
            ),
          {
            timeout: FOLD_TIMEOUT_MS,
            message: `the open bucket updated to the truth (${describeSeen(ofA)})`,
          },
        );
        // Provisional values (the open bucket, and one not yet settled) never exceed the truth.
        for (const u of updates(ofA).filter((update) => !update.final)) {
          const start = Date.parse(u.point.time);
          const events = truthA.select('purchase', start, start + MIN);
          expect(u.point.value ?? 0, u.point.time).toBeLessThanOrEqual(events.length);
        }
        // Nothing is sent for a bucket once it was final.
        for (const seen of [ofA, ofB]) {
          const all = updates(seen);
          all.forEach((u, i) => {
            if (u.final)
              expect(all.slice(i + 1).some((later) => later.point.time === u.point.time)).toBe(
                false,
              );
          });
        }
        // B's series never moved: its buckets hold its own events only.
        for (const u of updates(ofB)) expect(countIn(truthB, u), describeSeen(ofB)).toBeNull();
        for (const seen of [ofA, ofB]) {
          expect(seen.error).toBeUndefined();
          expect(seen.results.every((r) => r.errors === undefined)).toBe(true);
        }
      } finally {
        ofA.dispose();
        ofB.dispose();
        sseB.dispose();
        await wsA.dispose();
      }
    });
  });
}
