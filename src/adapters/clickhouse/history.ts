import type { ClickHouseClient } from '@clickhouse/client';
import type { PositionedEvent } from '../../events/event.js';
import { DependencyUnavailableError, isDependencyUnavailable } from '../../errors.js';
import { planHistoryQuery, type RollupCapabilities } from '../../history/plan.js';
import { assembleSeries, emptySeries, type Cell } from '../../history/series.js';
import { partitionKey } from '../../ports/event-log.js';
import type { HistoryStore } from '../../ports/history.js';
import {
  bucketQuery,
  bucketQuerySettings,
  eventNamesQuery,
  offsetsQuery,
  partitionsBeforeQuery,
  topGroupsQuery,
} from './history-sql.js';
import type { ClickHouseReads, CompactAnswer } from './http-reads.js';
import { identifier, quoteString } from './sql.js';

/**
 * The history store on ClickHouse (18.16 and current). `insert` is one JSONEachRow INSERT into
 * `events`; its materialized views fill the minute and hour rollups, the per-partition offsets and
 * the event names inside that same insert (migrations/0002-0005). Reads go to the cheapest data
 * that answers (src/history/plan.ts): the hour rollup at whole-hour intervals, the minute rollup
 * at other whole minutes, raw events otherwise.
 * - COUNT, SUM, AVG, MIN, MAX: exact on every path (sums, minima, maxima in integer micro-units).
 * - UNIQUES: uniqHLL12 on every path: exact up to 16 distinct users, then about 1.6% standard
 *   error (the contract allows 5%).
 * - Percentiles: exact on raw events (quantileExact: the element at floor(q·n)); t-digest from the
 *   hour rollup (the answer's rank within about 1-2% of the asked one).
 */
export interface ClickHouseHistoryOptions {
  /** Owned by the caller: `close()` leaves it open. */
  client: ClickHouseClient;
  /** The migrated database (migrations/); a plain identifier. */
  database: string;
  /** The rollups reads may use (default both). Turned off for benchmarks and cross-checks. */
  rollups?: RollupCapabilities;
  /** SELECTs over these instead of `client` (the API's reads: http-reads.ts); owned by the caller. */
  reads?: ClickHouseReads;
}

export interface ClickHouseHistory extends HistoryStore {
  /**
   * Retention: drops the raw events of the UTC days before the one holding `dayMs` (that day is
   * kept), and the rollups' months that lie wholly before it (rollups outlive raw events by up to
   * a month). Offsets and event names stay. Returns the dropped `table/partition`s.
   */
  dropBefore(dayMs: number): Promise<string[]>;
}

/** ClickHouse's default max_insert_block_size: inserts up to this size are one block anyway. */
const DEFAULT_INSERT_BLOCK_ROWS = 1_048_576;

/**
 * Answers as one JSONCompact document, 64-bit integers as numbers: one JSON.parse per answer.
 * JSONEachRow went through the client's stream of row objects, twice the CPU per answer.
 */
const ROWS_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

const toRow = (event: PositionedEvent) => {
  const dimensions = Object.entries(event.dimensions);
  return {
    tenant: event.tenant,
    name: event.name,
    id: event.id,
    ts: Math.floor(event.timestamp / 1000),
    ts_ms: event.timestamp,
    user_id: event.userId,
    value: event.value,
    dim_keys: dimensions.map(([key]) => key),
    dim_values: dimensions.map(([, value]) => value),
    topic: event.topic,
    partition: event.partition,
    offset: event.offset,
  };
};

/** 'YYYYMMDD' of the UTC day holding `ms`: the partition id of toYYYYMMDD(ts). */
const dayId = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

export function createClickHouseHistory({
  client,
  database,
  rollups = { minute: true, hour: true },
  reads,
}: ClickHouseHistoryOptions): ClickHouseHistory {
  const db = identifier(database);

  /** Failures to reach ClickHouse become DependencyUnavailableError (retried); the rest are bugs. */
  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isDependencyUnavailable(error)) throw new DependencyUnavailableError('ClickHouse', error);
      throw error;
    }
  }

  const answer = <T extends unknown[]>(
    query: string,
    settings: Record<string, number> = {},
  ): Promise<CompactAnswer<T>> =>
    guard(async () => {
      if (reads) return reads.select<T>(query, settings);
      const result = await client.query({
        query,
        format: 'JSONCompact',
        clickhouse_settings: { ...ROWS_SETTINGS, ...settings },
      });
      const { meta = [], data } = await result.json<T>();
      return { meta, data };
    });

  /** The answer's rows, each an array in the SELECT's column order. */
  const selectRows = async <T extends unknown[]>(query: string): Promise<T[]> =>
    (await answer<T>(query)).data;

  /** The answer's rows as objects by column name (for the small answers). */
  const select = async <T>(query: string): Promise<T[]> => {
    const { meta, data } = await answer<unknown[]>(query);
    return data.map(
      (row) => Object.fromEntries(meta.map((column, i) => [column.name, row[i]])) as T,
    );
  };

  return {
    async insert(events) {
      if (events.length === 0) return;
      // One INSERT, one block: the events, the rollups and the offsets land together or not at all.
      await guard(() =>
        client.insert({
          table: `${db}.events`,
          values: events.map(toRow),
          format: 'JSONEachRow',
          clickhouse_settings: {
            max_insert_block_size: String(Math.max(DEFAULT_INSERT_BLOCK_ROWS, events.length)),
          },
        }),
      );
    },

    async offsets(partitions) {
      if (partitions.length === 0) return [];
      const topics = [...new Set(partitions.map((p) => p.topic))];
      const rows = await select<{ topic: string; partition: number; max_offset: number }>(
        offsetsQuery(db, topics),
      );
      const stored = new Map(rows.map((row) => [partitionKey(row), row.max_offset]));
      return partitions.map((p) => stored.get(partitionKey(p)) ?? -1);
    },

    async query(query) {
      const plan = planHistoryQuery(query, rollups);
      const { aggregate, range, groupBy } = plan;
      if (plan.matchesNothing)
        return { series: emptySeries(aggregate, range, groupBy), path: plan.path };
      let groups: string[] | null = null;
      if (groupBy !== null) {
        groups = (await selectRows<[grp: string]>(topGroupsQuery(db, plan))).map(([grp]) => grp);
        if (groups.length === 0) return { series: [], path: plan.path };
      }
      const { meta, data } = await answer<unknown[]>(
        bucketQuery(db, plan, groups),
        bucketQuerySettings(plan, groups),
      );
      // The query selects only the columns the aggregate reads (history-sql.ts).
      const column = <T>(name: string, absent: T): ((row: unknown[]) => T) => {
        const i = meta.findIndex((c) => c.name === name);
        return i < 0 ? () => absent : (row) => row[i] as T;
      };
      const grp = column<string | null>('grp', null);
      const bucket = column<number>('bucket', 0);
      const n = column<number>('n', 0);
      const vn = column<number>('vn', 0);
      const v = column<number | null>('v', null);
      const cells = data.map((row): Cell => ({
        group: grp(row),
        time: bucket(row) * 1000,
        n: n(row),
        vn: vn(row),
        v: v(row),
      }));
      return { series: assembleSeries(aggregate, range, groups ?? [null], cells), path: plan.path };
    },

    async eventNames(tenant, limit) {
      const rows = await select<{ name: string }>(eventNamesQuery(db, tenant, limit));
      return rows.map((row) => row.name);
    },

    async dropBefore(dayMs) {
      const parts = await select<{ table: string; partition_id: string }>(
        partitionsBeforeQuery(database, dayId(dayMs)),
      );
      for (const { table, partition_id } of parts) {
        await guard(() =>
          client.command({
            query: `ALTER TABLE ${db}.${identifier(table)} DROP PARTITION ID ${quoteString(partition_id)}`,
          }),
        );
      }
      return parts.map((part) => `${part.table}/${part.partition_id}`);
    },

    async close() {
      // Nothing of ours to release: the client belongs to the caller.
    },
  };
}
