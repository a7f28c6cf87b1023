import Database from 'better-sqlite3';
import type { PositionedEvent } from '../../events/event.js';
import type { Aggregate } from '../../events/metric.js';
import { DependencyUnavailableError } from '../../errors.js';
import { createExactStats, type ExactStats } from '../../history/exact.js';
import { toMicros } from '../../history/micros.js';
import { planHistoryQuery, type HistoryPlan, type RollupPlan } from '../../history/plan.js';
import { MINUTE_MS, bucketOf } from '../../history/range.js';
import {
  assembleSeries,
  emptySeries,
  topGroups,
  type Cell,
  type CellStats,
} from '../../history/series.js';
import type { HistoryResult, HistoryStore } from '../../ports/history.js';
import { HISTORY_SCHEMA, HISTORY_SCHEMA_VERSION } from './history-schema.js';

/**
 * The embedded history store: raw events and a minute rollup in one SQLite file (WAL mode).
 * Each insert is one transaction holding the events, their rollup rows and the partitions'
 * offsets, so the offsets are exactly as durable as the data. COUNT/SUM/AVG/MIN/MAX come from the
 * minute rollup when it can answer (as in ClickHouse); UNIQUES and percentiles are computed
 * exactly from raw rows (no sketches: embedded volumes are small). Percentiles are
 * quantileExact's: the element at floor(q·n) of the sorted values.
 * better-sqlite3 is synchronous: a long query holds the event loop for its duration.
 */
export interface SqliteHistoryOptions {
  /** Database file, created when missing. */
  file: string;
  /** Answer from the minute rollup where it can (default). False reads raw events only. */
  rollups?: boolean;
}

/** SQLite failures about the disk or a concurrent writer, not about what was asked. */
const PASSING_FAILURES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_FULL'];

function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && PASSING_FAILURES.some((prefix) => code.startsWith(prefix)))
      throw new DependencyUnavailableError('SQLite history store', error);
    throw error;
  }
}

interface MinuteRow {
  tenant: string;
  name: string;
  dim_key: string;
  dim_value: string;
  minute: number;
  event_count: number;
  value_count: number;
  value_sum: number;
  value_min: number | null;
  value_max: number | null;
}

interface MinuteCell {
  grp: string | null;
  bucket: number;
  n: number;
  vn: number;
  s: number;
  lo: number | null;
  hi: number | null;
}

interface RawRow {
  ts_ms: number;
  user_id: string | null;
  value: number | null;
  value_micros: number;
  grp: string | null;
}

const placeholders = (count: number): string => `(${new Array(count).fill('?').join(', ')})`;

const lower = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.min(a, b);
const higher = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

/** The minute rollup's mergeable figures as the aggregate's CellStats. */
function minuteStats(aggregate: Aggregate, cell: Omit<MinuteCell, 'grp' | 'bucket'>): CellStats {
  const v =
    aggregate === 'COUNT'
      ? cell.n
      : aggregate === 'MIN'
        ? cell.lo
        : aggregate === 'MAX'
          ? cell.hi
          : cell.s;
  return { n: cell.n, vn: cell.vn, v };
}

/** Pre-aggregates a batch into minute rollup rows: the total under key '' and one per dimension. */
function minuteRows(events: PositionedEvent[]): MinuteRow[] {
  const rows = new Map<string, MinuteRow>();
  for (const event of events) {
    const minute = bucketOf(event.timestamp, MINUTE_MS) / 1000;
    // Key '' marks the totals, so a dimension named '' is left out (as in ClickHouse's view).
    const dimensions = Object.entries(event.dimensions).filter(([dimKey]) => dimKey !== '');
    for (const [dimKey, dimValue] of [['', ''], ...dimensions] as [string, string][]) {
      const id = JSON.stringify([event.tenant, event.name, dimKey, dimValue, minute]);
      let row = rows.get(id);
      if (!row) {
        row = {
          tenant: event.tenant,
          name: event.name,
          dim_key: dimKey,
          dim_value: dimValue,
          minute,
          event_count: 0,
          value_count: 0,
          value_sum: 0,
          value_min: null,
          value_max: null,
        };
        rows.set(id, row);
      }
      row.event_count += 1;
      if (event.value !== null) {
        const micros = toMicros(event.value);
        row.value_count += 1;
        row.value_sum += micros;
        row.value_min = lower(row.value_min, micros);
        row.value_max = higher(row.value_max, micros);
      }
    }
  }
  return [...rows.values()];
}

export function createSqliteHistory({ file, rollups = true }: SqliteHistoryOptions): HistoryStore {
  const db = guard(() => new Database(file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > HISTORY_SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `${file} has history schema ${version}, newer than this code's ${HISTORY_SCHEMA_VERSION}`,
    );
  }
  db.exec(HISTORY_SCHEMA);
  db.pragma(`user_version = ${HISTORY_SCHEMA_VERSION}`);

  const insertEvent = db.prepare(
    `INSERT INTO events (tenant, name, id, ts_ms, user_id, value, value_micros, dimensions, log_topic, log_partition, log_offset)
     VALUES (@tenant, @name, @id, @ts_ms, @user_id, @value, @value_micros, @dimensions, @log_topic, @log_partition, @log_offset)`,
  );
  const upsertMinute = db.prepare(
    `INSERT INTO events_minute (tenant, name, dim_key, dim_value, minute, event_count, value_count, value_sum, value_min, value_max)
     VALUES (@tenant, @name, @dim_key, @dim_value, @minute, @event_count, @value_count, @value_sum, @value_min, @value_max)
     ON CONFLICT (tenant, name, dim_key, dim_value, minute) DO UPDATE SET
       event_count = event_count + excluded.event_count,
       value_count = value_count + excluded.value_count,
       value_sum = value_sum + excluded.value_sum,
       value_min = min(coalesce(value_min, excluded.value_min), coalesce(excluded.value_min, value_min)),
       value_max = max(coalesce(value_max, excluded.value_max), coalesce(excluded.value_max, value_max))`,
  );
  const upsertOffset = db.prepare(
    `INSERT INTO log_offsets (log_topic, log_partition, log_offset) VALUES (?, ?, ?)
     ON CONFLICT (log_topic, log_partition) DO UPDATE SET log_offset = max(log_offset, excluded.log_offset)`,
  );
  const upsertName = db.prepare(
    `INSERT INTO event_names (tenant, name, last_seen) VALUES (?, ?, ?)
     ON CONFLICT (tenant, name) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
  );
  const selectOffset = db
    .prepare('SELECT log_offset FROM log_offsets WHERE log_topic = ? AND log_partition = ?')
    .pluck();
  const selectNames = db
    .prepare(
      'SELECT name FROM event_names WHERE tenant = ? ORDER BY last_seen DESC, name ASC LIMIT ?',
    )
    .pluck();

  const write = db.transaction((events: PositionedEvent[]) => {
    const offsets = new Map<string, [string, number, number]>();
    const names = new Map<string, [string, string, number]>();
    for (const event of events) {
      insertEvent.run({
        tenant: event.tenant,
        name: event.name,
        id: event.id,
        ts_ms: event.timestamp,
        user_id: event.userId,
        value: event.value,
        value_micros: event.value === null ? 0 : toMicros(event.value),
        dimensions: JSON.stringify(event.dimensions),
        log_topic: event.topic,
        log_partition: event.partition,
        log_offset: event.offset,
      });
      const position = JSON.stringify([event.topic, event.partition]);
      if ((offsets.get(position)?.[2] ?? -1) < event.offset)
        offsets.set(position, [event.topic, event.partition, event.offset]);
      const seconds = Math.floor(event.timestamp / 1000);
      const name = JSON.stringify([event.tenant, event.name]);
      if ((names.get(name)?.[2] ?? -Infinity) < seconds)
        names.set(name, [event.tenant, event.name, seconds]);
    }
    for (const row of minuteRows(events)) upsertMinute.run(row);
    for (const offset of offsets.values()) upsertOffset.run(...offset);
    for (const name of names.values()) upsertName.run(...name);
  });

  function queryMinutes(plan: RollupPlan): HistoryResult {
    const { aggregate, range, groupBy } = plan;
    const { key, values } = plan.slice;
    // Inlined, not bound (a bound JS number is a REAL to SQLite and the division must be
    // integral); a whole number of seconds, as alignRange checked.
    const seconds = range.intervalMs / 1000;
    const params: unknown[] = [plan.tenant, plan.event, key];
    let where = 'tenant = ? AND name = ? AND dim_key = ?';
    if (key === '') where += " AND dim_value = ''";
    else if (values !== null) {
      where += ` AND dim_value IN ${placeholders(values.length)}`;
      params.push(...values);
    }
    params.push(range.fromMs / 1000, range.toMs / 1000);
    const rows = db
      .prepare(
        `SELECT ${groupBy === null ? 'NULL' : 'dim_value'} AS grp, (minute / ${seconds}) * ${seconds} AS bucket,
           SUM(event_count) AS n, SUM(value_count) AS vn, SUM(value_sum) AS s, MIN(value_min) AS lo, MAX(value_max) AS hi
         FROM events_minute WHERE ${where} AND minute >= ? AND minute < ? GROUP BY grp, bucket`,
      )
      .all(...params) as MinuteCell[];
    const cells = rows.map((row): Cell => ({
      group: row.grp,
      time: row.bucket * 1000,
      ...minuteStats(aggregate, row),
    }));
    if (groupBy === null)
      return { series: assembleSeries(aggregate, range, [null], cells), path: plan.path };
    const totals = new Map<string, Omit<MinuteCell, 'grp' | 'bucket'>>();
    for (const row of rows) {
      const total = totals.get(row.grp!);
      if (!total) totals.set(row.grp!, { ...row });
      else {
        total.n += row.n;
        total.vn += row.vn;
        total.s += row.s;
        total.lo = lower(total.lo, row.lo);
        total.hi = higher(total.hi, row.hi);
      }
    }
    const stats = new Map(
      [...totals].map(([group, total]) => [group, minuteStats(aggregate, total)]),
    );
    const groups = topGroups(aggregate, stats, plan.maxGroups);
    return { series: assembleSeries(aggregate, range, groups, cells), path: plan.path };
  }

  function queryRaw(plan: HistoryPlan): HistoryResult {
    const { aggregate, range, groupBy } = plan;
    const params: unknown[] = [];
    let group = 'NULL';
    if (groupBy !== null) {
      group = '(SELECT value FROM json_each(events.dimensions) WHERE key = ?)';
      params.push(groupBy);
    }
    params.push(plan.tenant, plan.event, range.fromMs, range.toMs);
    let where = 'tenant = ? AND name = ? AND ts_ms >= ? AND ts_ms < ?';
    for (const filter of plan.filters) {
      where += ` AND EXISTS (SELECT 1 FROM json_each(events.dimensions) WHERE key = ? AND value IN ${placeholders(filter.in.length)})`;
      params.push(filter.key, ...filter.in);
    }
    if (groupBy !== null) {
      where += ' AND EXISTS (SELECT 1 FROM json_each(events.dimensions) WHERE key = ?)';
      params.push(groupBy);
    }
    const statement = db.prepare(
      `SELECT ts_ms, user_id, value, value_micros, ${group} AS grp FROM events WHERE ${where}`,
    );
    const buckets = new Map<string | null, Map<number, ExactStats>>();
    const totals = new Map<string, ExactStats>();
    for (const row of statement.iterate(...params) as IterableIterator<RawRow>) {
      let perGroup = buckets.get(row.grp);
      if (!perGroup) buckets.set(row.grp, (perGroup = new Map()));
      const time = bucketOf(row.ts_ms, range.intervalMs);
      let cell = perGroup.get(time);
      if (!cell) perGroup.set(time, (cell = createExactStats(aggregate)));
      cell.add(row.user_id, row.value, row.value_micros);
      if (row.grp !== null) {
        let total = totals.get(row.grp);
        if (!total) totals.set(row.grp, (total = createExactStats(aggregate)));
        total.add(row.user_id, row.value, row.value_micros);
      }
    }
    const cells = [...buckets].flatMap(([group, perGroup]) =>
      [...perGroup].map(([time, stats]): Cell => ({ group, time, ...stats.stats() })),
    );
    const groups =
      groupBy === null
        ? [null]
        : topGroups(
            aggregate,
            new Map([...totals].map(([g, total]) => [g, total.stats()])),
            plan.maxGroups,
          );
    return { series: assembleSeries(aggregate, range, groups, cells), path: plan.path };
  }

  return {
    async insert(events) {
      if (events.length > 0) guard(() => write(events));
    },

    async offsets(partitions) {
      return guard(() =>
        partitions.map((p) => (selectOffset.get(p.topic, p.partition) as number | undefined) ?? -1),
      );
    },

    async query(query) {
      const plan = planHistoryQuery(query, { minute: rollups, hour: false });
      if (plan.matchesNothing)
        return { series: emptySeries(plan.aggregate, plan.range, plan.groupBy), path: plan.path };
      return guard(() => (plan.path === 'raw' ? queryRaw(plan) : queryMinutes(plan)));
    },

    async eventNames(tenant, limit) {
      return guard(() => selectNames.all(tenant, limit) as string[]);
    },

    async close() {
      db.close();
    },
  };
}
