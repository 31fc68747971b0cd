/**
 * The peer of the ingest bench, in its own process: what a ClickHouse user sets up instead of our
 * worker, in the same embedded engine (chdb): a Kafka table (ENGINE = Kafka, JSONAsString) and
 * materialized views that do the job in SQL: status, path, tenant and minute of every record into
 * per-minute request counts; code and message of every error record into an events table.
 * Measured from its first read message until every record is counted; prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session } from 'chdb';
import { z } from 'zod';
import { cpuByName, describeCpu, threadCpu } from './thread-cpu.js';

const peerRunSchema = z.object({
  brokers: z.array(z.string()),
  topic: z.string(),
  group: z.string(),
  total: z.number().int().positive(),
  settings: z.object({
    kafka_num_consumers: z.number().int().positive(),
    kafka_thread_per_consumer: z.number().int().min(0).max(1),
    kafka_max_block_size: z.number().int().positive(),
    kafka_flush_interval_ms: z.number().int().positive(),
  }),
});

const run = peerRunSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const dir = mkdtempSync(join(tmpdir(), 'csbs-bench-peer-'));
const session = new Session(dir);
const quote = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const settings = Object.entries({
  kafka_broker_list: quote(run.brokers.join(',')),
  kafka_topic_list: quote(run.topic),
  kafka_group_name: quote(run.group),
  kafka_format: quote('JSONAsString'),
  ...run.settings,
})
  .map(([name, value]) => `${name} = ${value}`)
  .join(', ');

// The gateway formats of the samples (apisix, kong, flat): the fields where each keeps them.
const parse = `
  WITH
    coalesce(nullIf(JSONExtractString(raw, 'request', 'uri'), ''), nullIf(JSONExtractString(raw, 'path'), ''), nullIf(JSONExtractString(raw, 'uri'), ''), JSONExtractString(raw, 'request_uri')) AS target,
    trim(BOTH '"' FROM coalesce(nullIf(JSONExtractRaw(raw, 'response', 'status'), ''), nullIf(JSONExtractRaw(raw, 'status'), ''), JSONExtractRaw(raw, 'response_code'))) AS status_text,
    trim(BOTH '"' FROM coalesce(nullIf(JSONExtractRaw(raw, 'start_time'), ''), nullIf(JSONExtractRaw(raw, 'started_at'), ''), nullIf(JSONExtractRaw(raw, 'time'), ''), JSONExtractRaw(raw, 'timestamp'))) AS time_text
  SELECT
    if(match(time_text, '^[0-9]+$'), fromUnixTimestamp64Milli(toInt64(time_text)), parseDateTime64BestEffortOrZero(time_text, 3)) AS ts,
    extract(target, '^/v1/([0-9a-f]{32})/') AS tenant,
    splitByChar('?', target)[1] AS path,
    toUInt16OrZero(status_text) AS status,
    if(status >= 400, multiIf(JSONType(raw, 'response', 'body') = 'String', JSONExtractString(raw, 'response', 'body'), JSONType(raw, 'resp_body') = 'String', JSONExtractString(raw, 'resp_body'), JSONExtractRaw(raw, 'resp_body')), '') AS body
  FROM peer_queue`;

for (const statement of [
  `CREATE TABLE peer_requests_1m (minute DateTime, tenant String, path String, status UInt16, requests UInt64) ENGINE = SummingMergeTree ORDER BY (minute, tenant, path, status)`,
  `CREATE TABLE peer_events (ts DateTime64(3), tenant String, path String, status UInt16, code String, message String) ENGINE = MergeTree ORDER BY ts`,
  `CREATE TABLE peer_parsed (ts DateTime64(3), tenant String, path String, status UInt16, body String) ENGINE = Null`,
  `CREATE MATERIALIZED VIEW peer_requests_mv TO peer_requests_1m AS SELECT toStartOfMinute(ts) AS minute, tenant, path, status, count() AS requests FROM peer_parsed GROUP BY minute, tenant, path, status`,
  `CREATE MATERIALIZED VIEW peer_events_mv TO peer_events AS SELECT ts, tenant, path, status, JSONExtractString(body, 'error_code') AS code, JSONExtractString(body, 'error_msg') AS message FROM peer_parsed WHERE status >= 400`,
  `CREATE TABLE peer_queue (raw String) ENGINE = Kafka SETTINGS ${settings}`,
  `CREATE MATERIALIZED VIEW peer_parse_mv TO peer_parsed AS ${parse}`,
]) {
  session.query(statement);
}

const cpu = process.cpuUsage();
let started = 0;
let cpuAtStart = cpu;
let threadsBefore = threadCpu();
const deadline = Date.now() + 600_000;
for (;;) {
  const now = performance.now();
  if (started === 0 && Number(session.query('SELECT sum(num_messages_read) FROM system.kafka_consumers', 'TSV').trim()) > 0) {
    started = now;
    cpuAtStart = process.cpuUsage();
    threadsBefore = threadCpu();
  }
  if (Number(session.query('SELECT sum(requests) FROM peer_requests_1m', 'TSV').trim()) >= run.total) break;
  if (Date.now() > deadline) throw new Error('the Kafka engine did not read the topic in 10 minutes');
  await sleep(50);
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpuAtStart);
process.stderr.write(`peer CPU µs per record by thread: ${describeCpu(cpuByName(threadsBefore, threadCpu()), run.total)}\n`);
const events = Number(session.query('SELECT count() FROM peer_events', 'TSV').trim());
const figures = {
  records_per_s: Math.round(run.total / seconds),
  cpu_us_per_record: Math.round(((used.user + used.system) / run.total) * 100) / 100,
  cpu_cores: Math.round(((used.user + used.system) / 1e6 / seconds) * 100) / 100,
  events,
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
};
session.query('DROP TABLE peer_parse_mv');
session.query('DROP TABLE peer_queue');
session.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
