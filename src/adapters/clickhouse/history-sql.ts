import { PERCENTILES, type Aggregate } from '../../events/metric.js';
import type { HistoryPlan, RawPlan, RollupPlan } from '../../history/plan.js';
import { integer, quoteList, quoteString } from './sql.js';

/**
 * SELECTs of the history queries, for ClickHouse 18.16 and current versions alike: buckets by
 * integer arithmetic on toUInt32 of the time, every user string through quoteString. Each bucket
 * query returns the columns bucket (epoch s) and n, and of grp, vn and v those the answer reads
 * (see CellStats in src/history/series.ts).
 */

/** The levels of the hour rollup's quantilesTDigest state (migrations/0003_events_hour.sql). */
const ROLLUP_LEVELS = [0.5, 0.9, 0.95, 0.99];

/**
 * Micro-units of a raw event's value, the same expression as the rollups' views (0002, 0003):
 * SUM, AVG, MIN and MAX are read in micro-units on every path.
 */
const RAW_MICROS = 'toInt64(round(ifNull(value, 0) * 1000000))';

/** The rollups' time slot: one row per slot of each (dimension key, value) series. */
const ROLLUP_SLOT_SECONDS = { rollup_minute: 60, rollup_hour: 3600 } as const;

/**
 * Bucket queries over at most this many rollup rows run on one thread. Measured on a month of
 * 20 M events: a total at 1 h (720 rows) took 2.32 ms instead of 2.59, at 5 min from the minute
 * rollup (43,200 rows) 7.05 instead of 7.29, but the minute rollup by country (430,000 rows)
 * 31.6 instead of 27.8.
 */
const ONE_THREAD_ROWS = 100_000;

/** DateTime holds [1970, 2106): a range reaching beyond reads what exists inside. */
const MAX_DATETIME_SECONDS = 2 ** 32 - 1;
const dateTime = (ms: number): string =>
  `toDateTime(${integer(Math.min(MAX_DATETIME_SECONDS, Math.max(0, ms / 1000)))})`;

interface Source {
  table: string;
  /** The row's time column (DateTime). */
  time: string;
  /** What `time` is truncated to, in seconds: a bucket of this size is the column itself. */
  granularitySeconds: number;
  conditions: string[];
  /** Expression of the group's value; null without groupBy. */
  group: string | null;
  n: string;
  vn: string;
  v: string;
}

const percentileLevel = (aggregate: Aggregate): number => {
  const level = PERCENTILES[aggregate];
  if (level === undefined) throw new RangeError(`${aggregate} is not a percentile`);
  return level;
};

function minuteFigure(aggregate: Aggregate): string {
  switch (aggregate) {
    case 'COUNT':
      return 'countMerge(event_count)';
    case 'SUM':
    case 'AVG':
      return 'sumMerge(value_sum)';
    case 'MIN':
      return 'minMerge(value_min)';
    case 'MAX':
      return 'maxMerge(value_max)';
    default:
      throw new RangeError(`the minute rollup cannot answer ${aggregate}`);
  }
}

/** The hour rollup keeps the minute rollup's columns and adds the sketches. */
function hourFigure(aggregate: Aggregate): string {
  if (aggregate === 'UNIQUES') return 'uniqHLL12Merge(users)';
  const level = PERCENTILES[aggregate];
  if (level === undefined) return minuteFigure(aggregate);
  const index = ROLLUP_LEVELS.indexOf(level) + 1;
  return `quantilesTDigestMerge(${ROLLUP_LEVELS.join(', ')})(value_quantiles)[${index}]`;
}

function rawFigure(aggregate: Aggregate): string {
  switch (aggregate) {
    case 'COUNT':
      return 'count()';
    case 'SUM':
    case 'AVG':
      return `sum(${RAW_MICROS})`;
    case 'MIN':
      return `minIf(${RAW_MICROS}, isNotNull(value))`;
    case 'MAX':
      return `maxIf(${RAW_MICROS}, isNotNull(value))`;
    case 'UNIQUES':
      return 'uniqHLL12(user_id)';
    default:
      // Exact on raw events: the element at floor(q·n), the definition every store shares.
      return `quantileExact(${percentileLevel(aggregate)})(value)`;
  }
}

const scope = (plan: HistoryPlan): string[] => [
  `tenant = ${quoteString(plan.tenant)}`,
  `name = ${quoteString(plan.event)}`,
];

function rollupSource(db: string, plan: RollupPlan): Source {
  const minute = plan.path === 'rollup_minute';
  const { key, values } = plan.slice;
  const conditions = [...scope(plan), `dim_key = ${quoteString(key)}`];
  // The total rows sit under ('', ''); naming the value keeps the primary key's time range usable.
  if (key === '') conditions.push("dim_value = ''");
  else if (values !== null) conditions.push(`dim_value IN ${quoteList(values)}`);
  return {
    table: `${db}.${minute ? 'events_minute' : 'events_hour'}`,
    time: minute ? 'minute' : 'hour',
    granularitySeconds: ROLLUP_SLOT_SECONDS[plan.path],
    conditions,
    group: plan.groupBy === null ? null : 'dim_value',
    n: 'countMerge(event_count)',
    vn: 'sumMerge(value_count)',
    v: minute ? minuteFigure(plan.aggregate) : hourFigure(plan.aggregate),
  };
}

const rawDimension = (key: string): string => `dim_values[indexOf(dim_keys, ${quoteString(key)})]`;

function rawSource(db: string, plan: RawPlan): Source {
  const conditions = scope(plan);
  for (const filter of plan.filters)
    conditions.push(
      `has(dim_keys, ${quoteString(filter.key)})`,
      `${rawDimension(filter.key)} IN ${quoteList(filter.in)}`,
    );
  if (plan.groupBy !== null) conditions.push(`has(dim_keys, ${quoteString(plan.groupBy)})`);
  return {
    table: `${db}.events`,
    time: 'ts',
    granularitySeconds: 1,
    conditions,
    group: plan.groupBy === null ? null : rawDimension(plan.groupBy),
    n: 'count()',
    vn: 'count(value)',
    v: rawFigure(plan.aggregate),
  };
}

/** The metric over a group's whole range, for choosing the top groups (same order as compareGroups). */
function rankExpression(aggregate: Aggregate, { n, vn, v }: Source): string {
  if (aggregate === 'COUNT') return n;
  if (aggregate === 'UNIQUES') return v;
  if (aggregate === 'AVG') return `if(${vn} = 0, NULL, ${v} / ${vn})`;
  return `if(${vn} = 0, NULL, ${v})`;
}

const sourceOf = (db: string, plan: HistoryPlan): Source =>
  plan.path === 'raw' ? rawSource(db, plan) : rollupSource(db, plan);

function whereClause(source: Source, plan: HistoryPlan): string {
  const { fromMs, toMs } = plan.range;
  return [
    ...source.conditions,
    `${source.time} >= ${dateTime(fromMs)}`,
    `${source.time} < ${dateTime(toMs)}`,
  ].join(' AND ');
}

/**
 * With groupBy: the `maxGroups` groups with the largest metric over the whole range, largest
 * first (rows { grp }). `db` is a validated identifier (see sql.ts).
 */
export function topGroupsQuery(db: string, plan: HistoryPlan): string {
  const source = sourceOf(db, plan);
  if (source.group === null) throw new RangeError('top groups need a groupBy');
  return (
    `SELECT ${source.group} AS grp, ${rankExpression(plan.aggregate, source)} AS score` +
    ` FROM ${source.table} WHERE ${whereClause(source, plan)}` +
    ` GROUP BY grp ORDER BY score DESC NULLS LAST, grp ASC LIMIT ${integer(plan.maxGroups)}`
  );
}

/**
 * The cells of every bucket with events, of the given groups (a non-empty list with groupBy,
 * null without). `db` is a validated identifier (see sql.ts).
 */
export function bucketQuery(
  db: string,
  plan: HistoryPlan,
  groups: readonly string[] | null,
): string {
  const source = sourceOf(db, plan);
  const seconds = plan.range.intervalMs / 1000;
  let only = '';
  if (source.group !== null) {
    if (groups === null) throw new RangeError('a grouped bucket query needs its groups');
    only = ` AND ${source.group} IN ${quoteList(groups)}`;
  }
  // Every column costs the server time on each of a month's rows, constants and arithmetic too
  // (a month of COUNT at 1 h: 2.80 ms with `'' AS grp, 0 AS vn, NULL AS v` and intDiv over the
  // hour, 2.40 ms without), so only what metricValue (src/history/series.ts) reads is selected:
  // COUNT needs n alone, UNIQUES n and v. An unread merge costs even more (25% more server CPU).
  const columns = [
    ...(source.group === null ? [] : [`${source.group} AS grp`]),
    seconds === source.granularitySeconds
      ? `toUInt32(${source.time}) AS bucket`
      : `intDiv(toUInt32(${source.time}), ${integer(seconds)}) * ${integer(seconds)} AS bucket`,
    `${source.n} AS n`,
    ...(plan.aggregate === 'COUNT' || plan.aggregate === 'UNIQUES' ? [] : [`${source.vn} AS vn`]),
    ...(plan.aggregate === 'COUNT' ? [] : [`${source.v} AS v`]),
  ];
  return (
    `SELECT ${columns.join(', ')} FROM ${source.table} WHERE ${whereClause(source, plan)}${only}` +
    ` GROUP BY ${source.group === null ? 'bucket' : 'grp, bucket'}`
  );
}

/** ClickHouse settings for bucketQuery: a small rollup read skips setting up a second thread. */
export function bucketQuerySettings(
  plan: HistoryPlan,
  groups: readonly string[] | null,
): Record<string, number> {
  if (plan.path === 'raw') return {};
  const series = groups?.length ?? plan.slice.values?.length ?? 1;
  const { fromMs, toMs } = plan.range;
  const rows = Math.ceil((toMs - fromMs) / (ROLLUP_SLOT_SECONDS[plan.path] * 1000)) * series;
  return rows <= ONE_THREAD_ROWS ? { max_threads: 1 } : {};
}

/** Event names of a tenant, the most recent event time first. */
export const eventNamesQuery = (db: string, tenant: string, limit: number): string =>
  `SELECT name FROM ${db}.event_names WHERE tenant = ${quoteString(tenant)}` +
  ` GROUP BY name ORDER BY maxMerge(last_seen) DESC, name ASC LIMIT ${integer(limit)}`;

/** Highest applied offset per (topic, partition) of the given topics. */
export const offsetsQuery = (db: string, topics: readonly string[]): string =>
  `SELECT topic, partition, maxMerge(max_offset) AS max_offset FROM ${db}.event_offsets` +
  ` WHERE topic IN ${quoteList(topics)} GROUP BY topic, partition`;

/**
 * Partitions older than the UTC day `dayId` ('YYYYMMDD'): raw events are partitioned by day
 * (toYYYYMMDD), the rollups by month (toYYYYMM), so a rollup month goes once all of it is older.
 */
export const partitionsBeforeQuery = (database: string, dayId: string): string =>
  `SELECT DISTINCT table, partition_id FROM system.parts WHERE database = ${quoteString(database)} AND active` +
  ` AND ((table = 'events' AND partition_id < ${quoteString(dayId)})` +
  ` OR (table IN ('events_minute', 'events_hour') AND partition_id < ${quoteString(dayId.slice(0, 6))}))` +
  ` ORDER BY table, partition_id`;
