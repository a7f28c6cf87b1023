import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import type { PeerContext, PeerSystem, RunningPeer } from './peer.js';
import { addWindowRows, type WindowCountRow, type WindowCounts } from './workload.js';

/** The dimension keys of the generated events: ClickHouse 18.16 has no JSON-to-map parsing. */
const DIMENSION_KEYS = ['country', 'device', 'plan'];

/**
 * What a ClickHouse user builds instead of the service: a Kafka engine table reading the topic,
 * a materialized view folding each block it reads into an AggregatingMergeTree of count, sum and
 * uniq (adaptive sampling, approximate) states per (window size, window start, event name,
 * dimension key, dimension value). 18.16 limits shape it:
 * - JSONEachRow cannot skip the events' unknown fields nor read their nested `dimensions` object
 *   without profile settings of the server (the Kafka engine reads with the server's settings, not
 *   a query's), so each message is read whole as one TabSeparated String column (the generated
 *   events hold no tab or backslash) and fields are taken with visitParamExtract*;
 * - the engine flushes a block to the views when it holds max_block_size rows (65 536) or after
 *   stream_flush_interval_ms (7 500 ms by default), both server-wide profile settings in 18.16;
 * - a new consumer group starts at the end of the topic (librdkafka's default; the server-wide
 *   <kafka> config would change it), so the group's offsets are set to the start beforehand;
 * - under a steady stream the engine of this release drops an event now and then (about one per
 *   flush seen here; a known loss of old releases' Kafka engine, ClickHouse issue #4890): its
 *   windows then never reach their count, which the report shows.
 */
export function createClickHouseKafkaPeer(context: PeerContext, database: string): PeerSystem {
  let runs = 0;
  const kafka = new Kafka({
    clientId: 'bench-peers',
    brokers: context.brokers,
    logLevel: logLevel.NOTHING,
  });

  async function startGroupAtBeginning(groupId: string, topic: string): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: offsets.map(({ partition, low }) => ({ partition, offset: low })),
      });
    } finally {
      await admin.disconnect();
    }
  }

  const scalar = async (query: string): Promise<number> => {
    const rows = await (
      await context.clickhouse.query({ query, format: 'JSONEachRow' })
    ).json<{ n: string | number }>();
    return Number(rows[0]?.n ?? 0);
  };

  return {
    system: 'clickhouse-kafka-engine',
    pollMs: 50,
    async start(topic) {
      const n = runs++;
      const queue = `${database}.peer_queue_${n}`;
      const windows = `${database}.peer_windows_${n}`;
      const view = `${database}.peer_windows_mv_${n}`;
      const groupId = `${context.kafkaPrefix}.clickhouse.${n}`;
      await startGroupAtBeginning(groupId, topic);
      const command = (query: string) => context.clickhouse.command({ query });
      await command(`
        CREATE TABLE ${windows} (
          window_seconds UInt16,
          window_start DateTime('UTC'),
          name String,
          dim_key String,
          dim_value String,
          event_count AggregateFunction(count),
          value_sum AggregateFunction(sum, Float64),
          uniques AggregateFunction(uniq, String)
        )
        ENGINE = AggregatingMergeTree()
        PARTITION BY window_seconds
        ORDER BY (window_seconds, window_start, name, dim_key, dim_value)`);
      await command(`
        CREATE TABLE ${queue} (raw String)
        ENGINE = Kafka SETTINGS
          kafka_broker_list = '${context.env.KAFKA_BROKERS}',
          kafka_topic_list = '${topic}',
          kafka_group_name = '${groupId}',
          kafka_format = 'TabSeparated',
          kafka_row_delimiter = '\\n',
          kafka_num_consumers = 1`);
      // One row per (window size, series) of each event. 18.16 loses the query context of a
      // subquery in a view fed by the Kafka engine ("There is no query"), so the cross product is
      // one arrayJoin, defined inline (a select item named `series` would be a column to insert).
      const series = [10, 60].flatMap((seconds) =>
        ['', ...DIMENSION_KEYS].map(
          (key) =>
            `(toUInt16(${seconds}), '${key}', ${key ? `visitParamExtractString(raw, '${key}')` : "''"})`,
        ),
      );
      // Creating the view attaches it to the Kafka table, which starts consuming then.
      await command(`
        CREATE MATERIALIZED VIEW ${view} TO ${windows} AS
        SELECT
          tupleElement(arrayJoin([${series.join(', ')}]) AS series, 1) AS window_seconds,
          toDateTime(intDiv(intDiv(visitParamExtractUInt(raw, 'timestamp'), 1000), window_seconds) * window_seconds) AS window_start,
          visitParamExtractString(raw, 'name') AS name,
          tupleElement(series, 2) AS dim_key,
          tupleElement(series, 3) AS dim_value,
          countState() AS event_count,
          sumState(visitParamExtractFloat(raw, 'value')) AS value_sum,
          uniqState(visitParamExtractString(raw, 'userId')) AS uniques
        FROM ${queue}
        GROUP BY window_seconds, window_start, name, dim_key, dim_value`);
      const readyAt = performance.now();
      const peer: RunningPeer = {
        readyAt,
        notes: () => [
          'reads messages as TabSeparated strings (18.16 JSONEachRow needs server-wide settings for nested fields); flushes every 65,536 rows or 7.5 s (server-wide in 18.16)',
        ],
        folded: () =>
          scalar(
            `SELECT countMerge(event_count) AS n FROM ${windows} WHERE window_seconds = 60 AND dim_key = ''`,
          ),
        windowTotal: (startMs) =>
          scalar(
            `SELECT countMerge(event_count) AS n FROM ${windows}
             WHERE window_seconds = 10 AND dim_key = '' AND window_start = toDateTime(${startMs / 1000})`,
          ),
        async windowCounts() {
          const rows = await (
            await context.clickhouse.query({
              query: `SELECT window_seconds, toUInt32(window_start) AS start, name, dim_key, dim_value,
                             countMerge(event_count) AS n
                      FROM ${windows} GROUP BY window_seconds, window_start, name, dim_key, dim_value`,
              format: 'JSONEachRow',
            })
          ).json<WindowCountRow>();
          const counts: WindowCounts = new Map();
          addWindowRows(counts, rows);
          return counts;
        },
        async stop() {
          await command(`DROP TABLE IF EXISTS ${view}`);
          await command(`DROP TABLE IF EXISTS ${queue}`);
        },
      };
      return peer;
    },
  };
}
