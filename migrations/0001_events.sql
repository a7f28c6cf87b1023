-- Raw events: the source for fallback queries and the rollups' materialized views.
-- (topic, partition, offset) record where each row came from, so the sink can tell on
-- redelivery what it already holds.
CREATE TABLE IF NOT EXISTS events
(
    tenant String,
    name String,
    id String,
    ts DateTime,
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
