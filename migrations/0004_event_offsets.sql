-- The highest log offset applied per (topic, partition), filled by the same insert as the events
-- themselves (the view runs inside it), so the offsets are exactly as durable as the data. Read on
-- partition assignment: a handful of rows, not a scan of events. Not partitioned by day: retention
-- never drops it.
CREATE TABLE IF NOT EXISTS event_offsets
(
    topic String,
    partition UInt32,
    max_offset AggregateFunction(max, UInt64)
)
ENGINE = AggregatingMergeTree()
ORDER BY (topic, partition);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_offsets_mv TO event_offsets AS
SELECT topic, partition, maxState(offset) AS max_offset
FROM events
GROUP BY topic, partition
