-- Per-minute counts of all requests to the backup service (any status): the denominator of error
-- rates. The ingest worker aggregates each batch before it inserts, so rows here are already small.
CREATE TABLE IF NOT EXISTS request_counts_1m
(
    minute DateTime('UTC'),
    tenant LowCardinality(String),
    operation LowCardinality(String),
    status UInt16,
    requests SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, tenant, operation, status)
TTL minute + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;
