-- Event names per tenant with the latest event time seen, for `eventNames` (most recent first)
-- without scanning the rollups.
CREATE TABLE IF NOT EXISTS event_names
(
    tenant String,
    name String,
    last_seen AggregateFunction(max, UInt32)
)
ENGINE = AggregatingMergeTree()
ORDER BY (tenant, name);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_names_mv TO event_names AS
SELECT tenant, name, maxState(toUInt32(ts)) AS last_seen
FROM events
GROUP BY tenant, name
