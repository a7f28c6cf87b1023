-- Hour rollup for UNIQUES and percentiles at whole-hour intervals: HyperLogLog (uniqHLL12,
-- ~1.6% standard error) and t-digest states, which stay small per hour. Same rows as the minute
-- rollup (0002): per dimension key and value, and the total under dim_key = ''.
CREATE TABLE IF NOT EXISTS events_hour
(
    tenant String,
    name String,
    dim_key String,
    dim_value String,
    hour DateTime('UTC'),
    event_count AggregateFunction(count),
    value_count AggregateFunction(sum, UInt64),
    users AggregateFunction(uniqHLL12, String),
    value_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMMDD(hour)
ORDER BY (tenant, name, dim_key, dim_value, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS events_hour_mv TO events_hour AS
SELECT
    tenant,
    name,
    dim_key,
    dim_value,
    toDateTime(intDiv(toUInt32(ts), 3600) * 3600, 'UTC') AS hour,
    countState() AS event_count,
    sumState(toUInt64(isNotNull(value))) AS value_count,
    uniqHLL12StateIf(ifNull(user_id, ''), isNotNull(user_id)) AS users,
    quantilesTDigestStateIf(0.5, 0.9, 0.95, 0.99)(ifNull(value, 0), isNotNull(value)) AS value_quantiles
FROM events
ARRAY JOIN
    arrayConcat([''], arrayFilter(k -> k != '', dim_keys)) AS dim_key,
    arrayConcat([''], arrayFilter((v, k) -> k != '', dim_values, dim_keys)) AS dim_value
GROUP BY tenant, name, dim_key, dim_value, hour
