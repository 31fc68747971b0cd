-- Raw enriched error events: the contract fields plus where each came from in Kafka.
-- ORDER BY serves the API filters (code, tenant, time); one partition per day so that the TTL drops
-- whole parts. The deduplication window lets a replayed batch (same insert_deduplication_token) be
-- recognised and skipped: see docs/exactly-once.md.
CREATE TABLE IF NOT EXISTS events
(
    ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    request_id String,
    tenant LowCardinality(String),
    method LowCardinality(String),
    path String,
    route LowCardinality(String),
    operation LowCardinality(String),
    status UInt16,
    code LowCardinality(String),
    message String,
    params Array(String),
    known Bool,
    catalog_status UInt16,
    status_mismatch Bool,
    unused Bool,
    description LowCardinality(String),
    solution LowCardinality(String),
    gateway LowCardinality(String),
    latency_ms Nullable(Float64),
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64,
    source_index UInt32
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (code, tenant, ts)
TTL toDateTime(ts) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;
