-- Smaller rollups for the usual dashboard questions, each fed by its own materialized view on
-- `events`, so that a request reads the fewest rows able to answer it (the planner in
-- packages/query/src/counts.ts picks, per unit, the smallest rollup that has every column the
-- request groups and filters by):
--   error_counts_code_{1m,1h,1d}      by code, status and catalog_status (the catalog row matched):
--                                     breakdowns by code and status over all tenants, the code page
--   error_counts_tenant_{1h,1d}       by tenant, code and status: top tenants, tenant-filtered views
--   error_counts_operation_{1h,1d}    by operation, code and status
-- Anything else (say, tenant and operation together) is still answered by error_counts_1m/1h/1d.
-- Replayed inserts are deduplicated here as in the other rollups. Migration 0009 fills these tables
-- from the events stored before this one.

CREATE TABLE IF NOT EXISTS error_counts_code_1m
(
    minute DateTime('UTC'),
    code LowCardinality(String),
    status UInt16,
    catalog_status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, code, status, catalog_status)
TTL minute + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_code_1m_mv TO error_counts_code_1m AS
SELECT
    toStartOfMinute(ts) AS minute,
    code, status, catalog_status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY minute, code, status, catalog_status;

CREATE TABLE IF NOT EXISTS error_counts_code_1h
(
    hour DateTime('UTC'),
    code LowCardinality(String),
    status UInt16,
    catalog_status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, code, status, catalog_status)
TTL hour + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_code_1h_mv TO error_counts_code_1h AS
SELECT
    toStartOfHour(ts) AS hour,
    code, status, catalog_status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY hour, code, status, catalog_status;

CREATE TABLE IF NOT EXISTS error_counts_code_1d
(
    day DateTime('UTC'),
    code LowCardinality(String),
    status UInt16,
    catalog_status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, code, status, catalog_status)
TTL day + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_code_1d_mv TO error_counts_code_1d AS
SELECT
    toStartOfDay(ts) AS day,
    code, status, catalog_status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY day, code, status, catalog_status;

CREATE TABLE IF NOT EXISTS error_counts_tenant_1h
(
    hour DateTime('UTC'),
    tenant LowCardinality(String),
    code LowCardinality(String),
    status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, tenant, code, status)
TTL hour + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_tenant_1h_mv TO error_counts_tenant_1h AS
SELECT
    toStartOfHour(ts) AS hour,
    tenant, code, status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY hour, tenant, code, status;

CREATE TABLE IF NOT EXISTS error_counts_tenant_1d
(
    day DateTime('UTC'),
    tenant LowCardinality(String),
    code LowCardinality(String),
    status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, tenant, code, status)
TTL day + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_tenant_1d_mv TO error_counts_tenant_1d AS
SELECT
    toStartOfDay(ts) AS day,
    tenant, code, status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY day, tenant, code, status;

CREATE TABLE IF NOT EXISTS error_counts_operation_1h
(
    hour DateTime('UTC'),
    operation LowCardinality(String),
    code LowCardinality(String),
    status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, operation, code, status)
TTL hour + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_operation_1h_mv TO error_counts_operation_1h AS
SELECT
    toStartOfHour(ts) AS hour,
    operation, code, status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY hour, operation, code, status;

CREATE TABLE IF NOT EXISTS error_counts_operation_1d
(
    day DateTime('UTC'),
    operation LowCardinality(String),
    code LowCardinality(String),
    status UInt16,
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, operation, code, status)
TTL day + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_operation_1d_mv TO error_counts_operation_1d AS
SELECT
    toStartOfDay(ts) AS day,
    operation, code, status,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY day, operation, code, status;
