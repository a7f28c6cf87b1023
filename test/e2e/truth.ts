// The ground truth of the end-to-end suite: what each tenant sent (after dedup by id and the
// lookup join, as API.md defines them), and the value every aggregate must have over it.
import type { Aggregate, EventInput } from '../generated/graphql.js';

export interface TruthEvent {
  name: string;
  timestamp: number;
  userId: string | null;
  value: number | null;
  dimensions: Record<string, string>;
}

/** keyDimension -> key -> the values putLookup stored for it. */
export type Lookups = Record<string, Record<string, Record<string, string>>>;

/** What one tenant's events must add up to. */
export interface TenantTruth {
  events: TruthEvent[];
  /** Records accepted events: a repeated id counts once, lookups join, own dimensions win. */
  accept(inputs: EventInput[]): void;
  /** Events of `name` whose time lies in [fromMs, toMs) and whose dimensions hold `where`. */
  select(
    name: string,
    fromMs: number,
    toMs: number,
    where?: (dimensions: Record<string, string>) => boolean,
  ): TruthEvent[];
}

export function tenantTruth(lookups: Lookups): TenantTruth {
  const events: TruthEvent[] = [];
  const ids = new Set<string>();
  return {
    events,
    accept(inputs) {
      for (const input of inputs) {
        if (input.id !== undefined && input.id !== null) {
          if (ids.has(String(input.id))) continue;
          ids.add(String(input.id));
        }
        const own = (input.dimensions ?? {}) as Record<string, string>;
        const joined: Record<string, string> = {};
        for (const [keyDimension, rows] of Object.entries(lookups)) {
          const key = own[keyDimension];
          if (key !== undefined) Object.assign(joined, rows[key]);
        }
        events.push({
          name: input.name,
          timestamp: Date.parse(input.timestamp!),
          userId: input.userId ?? null,
          value: input.value ?? null,
          dimensions: { ...joined, ...own },
        });
      }
    },
    select: (name, fromMs, toMs, where = () => true) =>
      events.filter(
        (e) =>
          e.name === name && e.timestamp >= fromMs && e.timestamp < toMs && where(e.dimensions),
      ),
  };
}

const QUANTILES: Partial<Record<Aggregate, number>> = { P50: 0.5, P90: 0.9, P95: 0.95, P99: 0.99 };
/** Sums are kept in micro-units, exactly. */
const micros = (value: number) => Math.round(value * 1e6);

/** The exact value of `aggregate` over `events` (nearest rank for percentiles); null: no data. */
export function exactValue(aggregate: Aggregate, events: TruthEvent[]): number | null {
  const values = events.flatMap((e) => (e.value === null ? [] : [e.value])).sort((a, b) => a - b);
  switch (aggregate) {
    case 'COUNT':
      return events.length;
    case 'UNIQUES':
      return new Set(events.flatMap((e) => (e.userId === null ? [] : [e.userId]))).size;
    case 'SUM':
      return values.length ? values.reduce((sum, v) => sum + micros(v), 0) / 1e6 : null;
    case 'AVG':
      return values.length
        ? values.reduce((sum, v) => sum + micros(v), 0) / 1e6 / values.length
        : null;
    case 'MIN':
      return values[0] ?? null;
    case 'MAX':
      return values.at(-1) ?? null;
    default:
      return values[Math.max(0, Math.ceil(QUANTILES[aggregate]! * values.length) - 1)] ?? null;
  }
}

/** uniqHLL12 in ClickHouse has ~1.6 % standard error, Redis's p=14 HLL less: 5 % is 3 sigma. */
const UNIQUES_RELATIVE_ERROR = 0.05;
/** t-digest (history): the answer's rank is off by at most this, plus one value. */
const PERCENTILE_RANK_ERROR = 0.02;
/** The live windows' log sketch: 1 % relative error in value. */
const PERCENTILE_VALUE_ERROR = 0.01;

/**
 * Why `actual` is not an acceptable answer for `aggregate` over `events`, or null when it is:
 * COUNT, SUM, MIN and MAX exactly; UNIQUES and percentiles within their documented error.
 * Empty data is null (history) or, for COUNT and UNIQUES, 0 (a live window).
 */
export function disagreement(
  aggregate: Aggregate,
  actual: number | null | undefined,
  events: TruthEvent[],
): string | null {
  const expected = exactValue(aggregate, events);
  if (events.length === 0) {
    const accepted = aggregate === 'COUNT' || aggregate === 'UNIQUES' ? [null, 0] : [null];
    return accepted.includes(actual ?? null)
      ? null
      : `expected no data (${accepted.join(' or ')}), got ${actual}`;
  }
  if (expected === null || actual === null || actual === undefined)
    return actual === expected ? null : `expected ${expected}, got ${actual}`;
  const quantile = QUANTILES[aggregate];
  if (aggregate === 'UNIQUES') {
    const allowed = Math.max(1, expected * UNIQUES_RELATIVE_ERROR);
    return Math.abs(actual - expected) <= allowed
      ? null
      : `expected ${expected} ± ${allowed}, got ${actual}`;
  }
  if (quantile !== undefined) {
    const values = events.flatMap((e) => (e.value === null ? [] : [e.value])).sort((a, b) => a - b);
    const n = values.length;
    const slack = PERCENTILE_RANK_ERROR + 1 / n;
    const at = (rank: number) => values[Math.min(n - 1, Math.max(0, rank))]!;
    const low = at(Math.floor((quantile - slack) * n)) * (1 - PERCENTILE_VALUE_ERROR);
    const high = at(Math.ceil((quantile + slack) * n) - 1) * (1 + PERCENTILE_VALUE_ERROR);
    return actual >= low && actual <= high
      ? null
      : `expected ${expected} (within [${low}, ${high}]), got ${actual}`;
  }
  return actual === expected ? null : `expected ${expected}, got ${actual}`;
}
