-- Per-minute error counts by code, status, tenant and operation, fed by a materialized view on
-- `events`: the frequency and trend queries read this instead of the raw events.
-- A replayed insert into `events` is deduplicated here too (deduplicate_blocks_in_dependent_materialized_views).
CREATE TABLE IF NOT EXISTS error_counts_1m
(
    minute DateTime('UTC'),
    code LowCardinality(String),
    status UInt16,
    tenant LowCardinality(String),
    operation LowCardinality(String),
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, code, status, tenant, operation)
TTL minute + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_1m_mv TO error_counts_1m AS
SELECT
    toStartOfMinute(ts) AS minute,
    code,
    status,
    tenant,
    operation,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY minute, code, status, tenant, operation;
