/**
 * Schema of the embedded history store (SQLite). Times are epoch ms for raw events and epoch
 * seconds for rollup minutes; sums, minima and maxima in integer micro-units (src/history/micros.ts).
 * `user_version` records the schema version; a newer file than this code is refused.
 */
export const HISTORY_SCHEMA_VERSION = 1;

export const HISTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  user_id TEXT,
  value REAL,
  value_micros INTEGER NOT NULL,
  dimensions TEXT NOT NULL, -- JSON object of string values
  log_topic TEXT NOT NULL,
  log_partition INTEGER NOT NULL,
  log_offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_name_time ON events (tenant, name, ts_ms);

-- Per (dimension key, value) and the total under key '' (value ''), as in ClickHouse's events_minute.
CREATE TABLE IF NOT EXISTS events_minute (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  dim_key TEXT NOT NULL,
  dim_value TEXT NOT NULL,
  minute INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  value_count INTEGER NOT NULL,
  value_sum INTEGER NOT NULL,
  value_min INTEGER,
  value_max INTEGER,
  PRIMARY KEY (tenant, name, dim_key, dim_value, minute)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS log_offsets (
  log_topic TEXT NOT NULL,
  log_partition INTEGER NOT NULL,
  log_offset INTEGER NOT NULL,
  PRIMARY KEY (log_topic, log_partition)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS event_names (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  last_seen INTEGER NOT NULL, -- epoch seconds of the latest event, as in ClickHouse
  PRIMARY KEY (tenant, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_names_recent ON event_names (tenant, last_seen);
`;
