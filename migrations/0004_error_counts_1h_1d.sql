-- Hourly and daily error counts, same columns as error_counts_1m, each fed by its own materialized
-- view on `events`. The query API reads a window as whole days from error_counts_1d, the hours around
-- them from error_counts_1h, the minutes around those from error_counts_1m and the partial minutes at
-- either edge from `events`: a 7-day window reads about 7 daily rows per group instead of 10 080
-- per-minute ones. Replayed inserts are deduplicated here as in error_counts_1m.
-- Each rollup (error_counts_1m included) also gets an aggregate projection by (time, code, status):
-- queries that neither filter nor group by tenant or operation (the usual dashboard breakdowns)
-- read a few dozen rows per unit instead of one per code, status, tenant and operation. ClickHouse
-- picks the projection by itself; merges rebuild it (deduplicate_merge_projection_mode).
-- `events` gets a narrow projection ordered by time (ts and the four group columns, about a third
-- of the table's size): the partial minutes at a window's edges are then read from a few granules
-- instead of whole daily partitions sorted by (code, tenant, ts).
CREATE TABLE IF NOT EXISTS error_counts_1h
(
    hour DateTime('UTC'),
    code LowCardinality(String),
    status UInt16,
    tenant LowCardinality(String),
    operation LowCardinality(String),
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    PROJECTION by_code (SELECT hour, code, status, sum(count), min(first_seen), max(last_seen) GROUP BY hour, code, status)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, code, status, tenant, operation)
TTL hour + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000, deduplicate_merge_projection_mode = 'rebuild';

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_1h_mv TO error_counts_1h AS
SELECT
    toStartOfHour(ts) AS hour,
    code,
    status,
    tenant,
    operation,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY hour, code, status, tenant, operation;

CREATE TABLE IF NOT EXISTS error_counts_1d
(
    day DateTime('UTC'),
    code LowCardinality(String),
    status UInt16,
    tenant LowCardinality(String),
    operation LowCardinality(String),
    count SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    PROJECTION by_code (SELECT day, code, status, sum(count), min(first_seen), max(last_seen) GROUP BY day, code, status)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, code, status, tenant, operation)
TTL day + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000, deduplicate_merge_projection_mode = 'rebuild';

CREATE MATERIALIZED VIEW IF NOT EXISTS error_counts_1d_mv TO error_counts_1d AS
SELECT
    toStartOfDay(ts) AS day,
    code,
    status,
    tenant,
    operation,
    count() AS count,
    min(ts) AS first_seen,
    max(ts) AS last_seen
FROM events
GROUP BY day, code, status, tenant, operation;

ALTER TABLE error_counts_1m MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE error_counts_1m ADD PROJECTION IF NOT EXISTS by_code
    (SELECT minute, code, status, sum(count), min(first_seen), max(last_seen) GROUP BY minute, code, status);

-- Builds the projection for minutes stored before this migration (a background mutation).
ALTER TABLE error_counts_1m MATERIALIZE PROJECTION by_code;

ALTER TABLE events ADD PROJECTION IF NOT EXISTS by_time (SELECT ts, code, status, tenant, operation ORDER BY ts);

-- Builds the projection for events stored before this migration (a background mutation).
ALTER TABLE events MATERIALIZE PROJECTION by_time;
