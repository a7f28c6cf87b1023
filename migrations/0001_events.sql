-- Raw events: the source for fallback queries and the rollups' materialized views.
-- (topic, partition, offset) record where each row came from, so the sink can tell on
-- redelivery what it already holds (read back through event_offsets, 0004).
-- ts is UTC whole seconds (buckets are integer arithmetic on toUInt32(ts)); ts_ms keeps the
-- event's millisecond. Partitions are UTC days: retention drops whole days (the rollups, 0002 and
-- 0003, are partitioned by month).
CREATE TABLE IF NOT EXISTS events
(
    tenant String,
    name String,
    id String,
    ts DateTime('UTC'),
    ts_ms UInt64,
    user_id Nullable(String),
    value Nullable(Float64),
    dim_keys Array(String),
    dim_values Array(String),
    topic String,
    partition UInt32,
    offset UInt64
)
ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(ts)
ORDER BY (tenant, name, ts)
