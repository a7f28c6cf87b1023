import type { Config } from '../config.js';
import type { Aggregate, DimensionFilter, Metric } from '../events/metric.js';
import { DIMENSION_KEY } from '../events/validate.js';
import { badUserInput } from './errors.js';
import { alignDown, alignUp, MINUTE_MS, parseDuration } from './durations.js';

/** MetricInput as GraphQL hands it over (after type coercion, before our rules). */
export interface MetricInputShape {
  event: string;
  aggregate: Aggregate;
  filter?: readonly { key: string; equals?: string | null; in?: readonly string[] | null }[] | null;
  groupBy?: string | null;
}

export interface InputRules {
  maxNameLength: number;
  maxDimensionKeyLength: number;
  maxDimensionValueLength: number;
  /** At most this many filters, and this many values in one filter's `in`. */
  maxDimensions: number;
  maxFilterValues: number;
}

export const inputRulesFrom = (config: Config): InputRules => ({
  maxNameLength: config.fold.MAX_NAME_LENGTH,
  maxDimensionKeyLength: config.fold.MAX_DIMENSION_KEY_LENGTH,
  maxDimensionValueLength: config.fold.MAX_DIMENSION_VALUE_LENGTH,
  maxDimensions: config.fold.MAX_DIMENSIONS,
  maxFilterValues: 100,
});

// The event model's rules (src/events/validate.ts): a key no event can carry is a mistake, not an empty answer.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

const quoted = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

export function checkText(text: string, max: number, what: string, argument: string): void {
  if (text.length === 0) throw badUserInput(`${what} must not be empty`, { argument });
  if (text.length > max)
    throw badUserInput(`${what} is longer than ${max} characters`, { argument });
  if (CONTROL_CHARACTERS.test(text))
    throw badUserInput(`${what} contains control characters`, { argument });
  if (!text.isWellFormed())
    throw badUserInput(`${what} is not well-formed Unicode (a lone surrogate)`, { argument });
}

export function checkKey(key: string, rules: InputRules, argument: string): void {
  checkText(key, rules.maxDimensionKeyLength, 'a dimension key', argument);
  if (!DIMENSION_KEY.test(key))
    throw badUserInput(`dimension key ${quoted(key)} must match ${DIMENSION_KEY.source}`, {
      argument,
    });
}

/**
 * Validates a MetricInput into the Metric the stores receive, in canonical form: filters sorted
 * by key, each an `in` of sorted distinct values (`equals` becomes a one-value `in`). Equal
 * metrics then have equal keys, which the DataLoader and the subscription fan-out rely on.
 */
export function toMetric(input: MetricInputShape, rules: InputRules, argument = 'metric'): Metric {
  checkText(input.event, rules.maxNameLength, 'the event name', `${argument}.event`);
  const filters = input.filter ?? [];
  if (filters.length > rules.maxDimensions)
    throw badUserInput(`at most ${rules.maxDimensions} filters`, {
      argument: `${argument}.filter`,
    });
  const filter: DimensionFilter[] = filters.map((f, index) => {
    const at = `${argument}.filter[${index}]`;
    checkKey(f.key, rules, `${at}.key`);
    const hasEquals = f.equals !== undefined && f.equals !== null;
    const hasIn = f.in !== undefined && f.in !== null;
    if (hasEquals === hasIn)
      throw badUserInput('give exactly one of `equals` and `in`', { argument: at });
    const values = hasEquals ? [f.equals as string] : [...(f.in as readonly string[])];
    if (values.length === 0)
      throw badUserInput('`in` must hold at least one value', { argument: `${at}.in` });
    if (values.length > rules.maxFilterValues)
      throw badUserInput(`\`in\` holds at most ${rules.maxFilterValues} values`, {
        argument: `${at}.in`,
      });
    values.forEach((value, i) =>
      checkText(
        value,
        rules.maxDimensionValueLength,
        'a dimension value',
        hasEquals ? `${at}.equals` : `${at}.in[${i}]`,
      ),
    );
    return { key: f.key, in: [...new Set(values)].sort() };
  });
  filter.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const groupBy = input.groupBy ?? null;
  if (groupBy !== null) checkKey(groupBy, rules, `${argument}.groupBy`);
  return { event: input.event, aggregate: input.aggregate, filter, groupBy };
}

/** One string per distinct metric: the fan-out and DataLoader key. */
export const metricKey = (metric: Metric): string =>
  JSON.stringify([
    metric.event,
    metric.aggregate,
    metric.filter.map((f) => [f.key, f.in]),
    metric.groupBy,
  ]);

function duration(text: string, argument: string): number {
  const ms = parseDuration(text);
  if (ms === null)
    throw badUserInput(
      `${quoted(text)} is not a duration: a whole number and one of s, m, h, d, such as "10s", "5m", "1d"`,
      {
        argument,
      },
    );
  return ms;
}

/** A history interval: at least a minute, whole minutes (the rollups' resolution). */
export function historyInterval(text: string, argument = 'interval'): number {
  const ms = duration(text, argument);
  if (ms < MINUTE_MS || ms % MINUTE_MS !== 0)
    throw badUserInput(`interval must be whole minutes, at least "1m"; got ${quoted(text)}`, {
      argument,
    });
  return ms;
}

/** A live window: from one second up to how far back the live store keeps data. */
export function liveWindow(text: string, horizonMs: number, argument = 'window'): number {
  const ms = duration(text, argument);
  if (ms > horizonMs)
    throw badUserInput(
      `window must be at most ${horizonMs / 1000}s (the live horizon); got ${quoted(text)}`,
      { argument },
    );
  return ms;
}

/** How often a live subscription is pushed: one second up to an hour. */
export function tickEvery(text: string, argument = 'every'): number {
  const ms = duration(text, argument);
  if (ms > 3_600_000)
    throw badUserInput(`every must be at most "1h"; got ${quoted(text)}`, { argument });
  return ms;
}

export interface BucketRange {
  fromMs: number;
  toMs: number;
  intervalMs: number;
}

/** Whole buckets covering [from, to): `from` rounded down, `to` up; refused above MAX_BUCKETS. */
export function bucketRange(
  fromMs: number,
  toMs: number,
  intervalMs: number,
  maxBuckets: number,
  names: { from: string; to: string; interval: string } = {
    from: 'from',
    to: 'to',
    interval: 'interval',
  },
): BucketRange {
  if (toMs <= fromMs)
    throw badUserInput(`${names.to} must be later than ${names.from}`, { argument: names.to });
  const range = {
    fromMs: alignDown(fromMs, intervalMs),
    toMs: alignUp(toMs, intervalMs),
    intervalMs,
  };
  const buckets = (range.toMs - range.fromMs) / intervalMs;
  if (buckets > maxBuckets)
    throw badUserInput(
      `the range holds ${buckets} buckets of this interval, more than MAX_BUCKETS (${maxBuckets}): use a larger interval or a shorter range`,
      {
        argument: names.interval,
        limit: 'MAX_BUCKETS',
        max: maxBuckets,
      },
    );
  return range;
}
