-- Gateway log files replayed to the end by `csbs-errors replay`, by the SHA-256 of their content
-- (after gunzip). The chunks of a replay carry deduplication tokens derived from this hash, which
-- the store remembers for its deduplication window only; this table recognises a file replayed
-- before at once, however long ago. No TTL: one row per file (more only with --force).
CREATE TABLE IF NOT EXISTS replayed_files
(
    sha256 String,
    file String,
    lines UInt64,
    events UInt64,
    requests UInt64,
    skipped UInt64,
    dead UInt64,
    replayed_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (sha256, replayed_at);
