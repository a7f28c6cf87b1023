import type { Aggregate, DimensionFilter } from '../events/metric.js';
import type { HistoryQuery } from '../ports/history.js';
import { HOUR_MS, MINUTE_MS, alignRange, type BucketRange } from './range.js';

/** Which rollups a store keeps (and may use). */
export interface RollupCapabilities {
  minute: boolean;
  hour: boolean;
}

interface PlanBase {
  tenant: string;
  event: string;
  aggregate: Aggregate;
  range: BucketRange;
  /** One filter per key (filters on the same key intersected), values deduplicated and sorted. */
  filters: DimensionFilter[];
  groupBy: string | null;
  maxGroups: number;
  /** A filter admits no value at all: the answer is known to be empty without reading anything. */
  matchesNothing: boolean;
}

/**
 * A rollup row holds one (dimension key, value) pair, or the total of the event name under
 * key '' (value ''). `values` null means every value of the key.
 */
export interface RollupSlice {
  key: string;
  values: string[] | null;
}

export interface RollupPlan extends PlanBase {
  path: 'rollup_minute' | 'rollup_hour';
  slice: RollupSlice;
}

export interface RawPlan extends PlanBase {
  path: 'raw';
}

export type HistoryPlan = RollupPlan | RawPlan;

/** Aggregates the minute rollup answers (plain mergeable columns). */
const MINUTE_AGGREGATES: ReadonlySet<Aggregate> = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

/** Merges filters on the same key (all must hold: their value sets intersect). */
export function normalizeFilters(filters: DimensionFilter[]): DimensionFilter[] {
  const byKey = new Map<string, Set<string>>();
  for (const { key, in: values } of filters) {
    const seen = byKey.get(key);
    byKey.set(key, seen ? new Set(values.filter((v) => seen.has(v))) : new Set(values));
  }
  return [...byKey]
    .map(([key, values]) => ({ key, in: [...values].sort() }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Chooses the cheapest data that answers: at whole-hour intervals the hour rollup (every
 * aggregate); at other whole-minute intervals the minute rollup for COUNT/SUM/AVG/MIN/MAX (it
 * keeps no sketches); raw events otherwise. A rollup can restrict to one dimension key only (its
 * rows are per single key), so a filter or groupBy over two keys reads raw events. Key '' never
 * appears in rollups (it marks their total rows).
 */
export function planHistoryQuery(query: HistoryQuery, rollups: RollupCapabilities): HistoryPlan {
  const { metric } = query;
  const range = alignRange(query);
  const filters = normalizeFilters(metric.filter);
  const base: PlanBase = {
    tenant: query.tenant,
    event: metric.event,
    aggregate: metric.aggregate,
    range,
    filters,
    groupBy: metric.groupBy,
    maxGroups: query.maxGroups,
    matchesNothing: filters.some((f) => f.in.length === 0),
  };
  const keys = new Set(filters.map((f) => f.key));
  if (metric.groupBy !== null) keys.add(metric.groupBy);
  const [key = ''] = keys;
  if (keys.size > 1 || keys.has('')) return { ...base, path: 'raw' };
  const slice: RollupSlice = { key, values: filters[0]?.in ?? null };

  if (rollups.hour && range.intervalMs % HOUR_MS === 0)
    return { ...base, path: 'rollup_hour', slice };
  if (
    rollups.minute &&
    range.intervalMs % MINUTE_MS === 0 &&
    MINUTE_AGGREGATES.has(metric.aggregate)
  )
    return { ...base, path: 'rollup_minute', slice };
  return { ...base, path: 'raw' };
}
