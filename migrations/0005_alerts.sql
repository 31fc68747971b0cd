-- Alerts of the evaluator (services/alerter): one row per episode of a rule and group, keyed by
-- (rule, group_key, active_at). Every change inserts the whole row again with a higher `version`;
-- readers use FINAL. Besides the state machine (state, times, the latest and the peak numbers) a row
-- records what was delivered, so that a restarted evaluator neither drops a firing alert nor pages
-- twice. No TTL: a few rows per incident, kept as the alert history.
CREATE TABLE IF NOT EXISTS alerts
(
    rule LowCardinality(String),
    group_key String,
    active_at DateTime64(3, 'UTC'),
    labels Map(String, String),
    severity LowCardinality(String),
    state Enum8('pending' = 1, 'firing' = 2, 'resolved' = 3, 'cancelled' = 4),
    fired_at Nullable(DateTime64(3, 'UTC')),
    last_breach_at Nullable(DateTime64(3, 'UTC')),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    cooldown_until DateTime64(3, 'UTC'),
    count UInt64,
    requests UInt64,
    baseline Float64,
    factor Float64,
    observed_at DateTime64(3, 'UTC'),
    peak_count UInt64,
    peak_requests UInt64,
    peak_baseline Float64,
    peak_factor Float64,
    peak_at DateTime64(3, 'UTC'),
    am_sent_at Nullable(DateTime64(3, 'UTC')),
    am_resolved Bool,
    webhook Enum8('none' = 0, 'firing' = 1, 'resolved' = 2),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (rule, group_key, active_at);

-- Who evaluates: at most one evaluator holds the lease `name` at a time (services/alerter/src/lease.ts).
-- A claim is a new row with a higher version; the holder is the row with the highest (version, holder).
CREATE TABLE IF NOT EXISTS alerter_lease
(
    name LowCardinality(String),
    holder String,
    expires_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name;
