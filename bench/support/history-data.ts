import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { quoteString } from '../../src/adapters/clickhouse/sql.js';

/** The first instant of the generated history (whole days from here). */
export const HISTORY_START_S = Math.floor(Date.UTC(2024, 0, 1) / 1000);
/** The tenant of the generated history. */
export const HISTORY_TENANT = 'bench';

export interface HistoryDataOptions {
  client: ClickHouseClient;
  database: string;
  events: number;
  days: number;
  /** Rows per INSERT ... SELECT. */
  chunk: number;
  log: (line: string) => void;
}

/** How long to wait at most for the merges a load starts: they would otherwise be timed too. */
const MERGES_WAIT_MS = 180_000;
/** Merges are scheduled one after another: quiet means none at this many polls in a row. */
const QUIET_POLLS = 3;

/**
 * Generates `events` events inside ClickHouse (INSERT ... SELECT FROM numbers()), so the rollups'
 * materialized views run on them as on real inserts: tenant "bench", 8 event names of which
 * page_view is half, countries (10) and plans (3) as dimensions, 100 000 users, spread evenly over
 * `days` days from HISTORY_START_S. Every value is deterministic in the row number: the same
 * events and days give the same data.
 * Then waits until ClickHouse has no merge of the database running: a month of data that arrived
 * over a month is merged as it comes, while a bulk load leaves tens of parts behind that the server
 * merges for a while after, with the CPU a timed query would have had.
 */
export async function loadHistoryData(options: HistoryDataOptions): Promise<void> {
  const { client, database, events, days, chunk } = options;
  const span = days * 86_400;
  const started = performance.now();
  for (let offset = 0; offset < events; offset += chunk) {
    const rows = Math.min(chunk, events - offset);
    await client.command({
      query: `INSERT INTO \`${database}\`.events
        SELECT
          '${HISTORY_TENANT}' AS tenant,
          arrayElement(['page_view', 'page_view', 'page_view', 'page_view', 'click', 'purchase', 'signup', 'search'], intHash32(number) % 8 + 1) AS name,
          toString(number) AS id,
          toDateTime(${HISTORY_START_S} + intDiv(number * ${span}, ${events}), 'UTC') AS ts,
          toUInt64(${HISTORY_START_S} + intDiv(number * ${span}, ${events})) * 1000 AS ts_ms,
          if(intHash32(number + 1) % 10 = 0, NULL, concat('u', toString(intHash32(number + 2) % 100000))) AS user_id,
          if(intHash32(number + 3) % 7 = 0, NULL, (intHash32(number + 4) % 100000) / 1000) AS value,
          ['country', 'plan'] AS dim_keys,
          [concat('c', toString(intHash32(number + 5) % 10)), arrayElement(['free', 'pro', 'team'], intHash32(number + 6) % 3 + 1)] AS dim_values,
          'events' AS topic,
          toUInt32(number % 8) AS partition,
          intDiv(number, 8) AS offset
        FROM numbers(${offset}, ${rows})`,
    });
    const done = offset + rows;
    const seconds = (performance.now() - started) / 1000;
    options.log(
      `  loaded ${done.toLocaleString('en')} events, ${Math.round(done / seconds).toLocaleString('en')} rows/s`,
    );
  }
  await waitForMerges(client, database, options.log);
}

async function waitForMerges(
  client: ClickHouseClient,
  database: string,
  log: (line: string) => void,
): Promise<void> {
  const started = performance.now();
  let quiet = 0;
  while (quiet < QUIET_POLLS) {
    if (performance.now() - started > MERGES_WAIT_MS) {
      log(`  merges still running after ${MERGES_WAIT_MS / 1000} s: timing anyway`);
      return;
    }
    const rows = await (
      await client.query({
        query: `SELECT count() AS n FROM system.merges WHERE database = ${quoteString(database)}`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    quiet = Number(rows[0]?.n ?? 0) === 0 ? quiet + 1 : 0;
    await sleep(500);
  }
  log(`  the load's merges done after ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
