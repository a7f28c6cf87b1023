import type { Metric } from '../events/metric.js';

/**
 * The series an event is counted in, so that any metric (filter = AND of key ∈ values, groupBy
 * one key) is answered exactly by one family of series:
 * - the total: `''`;
 * - one per dimension: `key=value`;
 * - the full combination, for events with two or more dimensions: `k1=v1&k2=v2&…`, keys sorted.
 * Keys and values are percent-encoded (encodeURIComponent), so `=`, `&` (and `{`, `}`, `:`) never
 * occur inside them: a dimension id holds exactly one `=` and no `&`, a combination id has an `&`.
 *
 * An event that lacks the groupBy key belongs to no group (as it would fail a filter on that key);
 * that is what lets a groupBy alone be answered from the dimension series.
 */
export const TOTAL_SERIES = '';

const pair = (key: string, value: string) =>
  `${encodeURIComponent(key)}=${encodeURIComponent(value)}`;

/** The series ids of an event with these dimensions: total, each dimension, the combination. */
export function seriesOf(dimensions: Record<string, string>): string[] {
  const keys = Object.keys(dimensions);
  if (keys.length === 0) return [TOTAL_SERIES];
  const pairs = keys.sort().map((key) => pair(key, dimensions[key]!));
  return pairs.length === 1 ? [TOTAL_SERIES, pairs[0]!] : [TOTAL_SERIES, ...pairs, pairs.join('&')];
}

/**
 * seriesOf with a memory, for a batch where few dimension sets repeat many times. The lookup key
 * is length-prefixed, so no key or value can make two different dimension sets collide.
 */
export function memoisedSeriesOf(): (dimensions: Record<string, string>) => string[] {
  const memo = new Map<string, string[]>();
  return (dimensions) => {
    let signature = '';
    for (const key in dimensions) {
      const value = dimensions[key]!;
      signature += `${key.length}:${key}${value.length}:${value}`;
    }
    let ids = memo.get(signature);
    if (!ids) memo.set(signature, (ids = seriesOf(dimensions)));
    return ids;
  };
}

export type SeriesPlan =
  { family: 'total' } | { family: 'dimension'; key: string } | { family: 'combination' };

/** The cheapest family of series that answers the metric exactly. */
export function planSeries(metric: Pick<Metric, 'filter' | 'groupBy'>): SeriesPlan {
  const keys = new Set(metric.filter.map((f) => f.key));
  if (metric.groupBy !== null) keys.add(metric.groupBy);
  if (keys.size === 0) return { family: 'total' };
  if (keys.size === 1) return { family: 'dimension', key: [...keys][0]! };
  return { family: 'combination' };
}

/**
 * The ids of the series a metric reads, when they can be listed without looking at the data (the
 * total, or a dimension with a filter on its values); null when only the stored ids can tell.
 */
export function knownSeries(metric: Pick<Metric, 'filter' | 'groupBy'>): string[] | null {
  const plan = planSeries(metric);
  if (plan.family === 'total') return [TOTAL_SERIES];
  if (plan.family === 'combination' || metric.filter.length === 0) return null;
  const [first, ...rest] = metric.filter;
  const values = first!.in.filter((value) => rest.every((f) => f.in.includes(value)));
  return [...new Set(values)].map((value) => pair(plan.key, value));
}

/** The group a series feeds: a dimension value, null without groupBy, undefined when it does not match. */
export type SeriesMatcher = (seriesId: string) => string | null | undefined;

/**
 * Matches series ids of the planned family against the metric's filter and groupBy. Results are
 * memoised: a window read sees the same ids in every bucket.
 */
export function seriesMatcher(metric: Pick<Metric, 'filter' | 'groupBy'>): SeriesMatcher {
  const plan = planSeries(metric);
  const allowed = new Map<string, Set<string>>();
  for (const f of metric.filter) {
    const values = new Set(f.in);
    const previous = allowed.get(f.key);
    allowed.set(f.key, previous ? new Set([...previous].filter((v) => values.has(v))) : values);
  }
  const groupOf = (dimensions: Map<string, string>): string | null | undefined => {
    for (const [key, values] of allowed) {
      const value = dimensions.get(key);
      if (value === undefined || !values.has(value)) return undefined;
    }
    if (metric.groupBy === null) return null;
    return dimensions.get(metric.groupBy);
  };

  let match: SeriesMatcher;
  if (plan.family === 'total') {
    match = (id) => (id === TOTAL_SERIES ? null : undefined);
  } else if (plan.family === 'dimension') {
    const head = `${encodeURIComponent(plan.key)}=`;
    match = (id) =>
      id.startsWith(head) && !id.includes('&')
        ? groupOf(new Map([[plan.key, decodeURIComponent(id.slice(head.length))]]))
        : undefined;
  } else {
    match = (id) => (id.includes('&') ? groupOf(parseCombination(id)) : undefined);
  }

  const memo = new Map<string, string | null | undefined>();
  return (id) => {
    if (memo.has(id)) return memo.get(id);
    const group = match(id);
    memo.set(id, group);
    return group;
  };
}

function parseCombination(id: string): Map<string, string> {
  const dimensions = new Map<string, string>();
  for (const part of id.split('&')) {
    const eq = part.indexOf('=');
    dimensions.set(decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1)));
  }
  return dimensions;
}
