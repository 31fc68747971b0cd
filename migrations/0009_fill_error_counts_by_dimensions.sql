-- Fills the rollups of migration 0008 from the events stored before it (the views feed them from
-- then on). Migrations run before the ingest worker starts (serve, ingest and migrate apply them at
-- start-up), so no event is both in this fill and seen by a view.

INSERT INTO error_counts_code_1m
SELECT toStartOfMinute(ts) AS minute, code, status, catalog_status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY minute, code, status, catalog_status;

INSERT INTO error_counts_code_1h
SELECT toStartOfHour(ts) AS hour, code, status, catalog_status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY hour, code, status, catalog_status;

INSERT INTO error_counts_code_1d
SELECT toStartOfDay(ts) AS day, code, status, catalog_status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY day, code, status, catalog_status;

INSERT INTO error_counts_tenant_1h
SELECT toStartOfHour(ts) AS hour, tenant, code, status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY hour, tenant, code, status;

INSERT INTO error_counts_tenant_1d
SELECT toStartOfDay(ts) AS day, tenant, code, status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY day, tenant, code, status;

INSERT INTO error_counts_operation_1h
SELECT toStartOfHour(ts) AS hour, operation, code, status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY hour, operation, code, status;

INSERT INTO error_counts_operation_1d
SELECT toStartOfDay(ts) AS day, operation, code, status, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
FROM events
GROUP BY day, operation, code, status;
