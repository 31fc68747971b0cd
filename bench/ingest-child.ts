/**
 * One measured run of the ingest bench in its own process (an embedded store binds one directory
 * per process, and the CPU and peak RSS of a process are then the run's alone): `startIngest` with
 * INGEST_EXTRACT_THREADS = `threads` into a fresh embedded store, from the moment it has joined its
 * group until every offset of the topic is committed; then, when asked, the freshness run with
 * that worker still running. Prints its figures as one JSON line on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { z } from 'zod';
import { cpuByName, describeCpu, threadCpu } from './thread-cpu.js';
import { loadConfig } from '@csbs-errors/config';
import { startIngest } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { applyRetention, createStoreClient, migrate, type ClickHouseClient } from '@csbs-errors/store';
import { RecordGenerator } from './ingest-records.js';

const FRESH_RATE = 20_000;

const ingestRunSchema = z.object({
  brokers: z.array(z.string()),
  topic: z.string(),
  runId: z.string(),
  total: z.number().int().positive(),
  threads: z.number().int().positive(),
  freshSeconds: z.number().min(0),
});

const run = ingestRunSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const kafka = new kafkajs.Kafka({ clientId: 'csbs-errors-bench', brokers: run.brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const storeDir = mkdtempSync(join(tmpdir(), 'csbs-bench-store-'));
const store = createStoreClient({ kind: 'embedded', location: storeDir });
try {
  await migrate(store);
  await applyRetention(store, 0);
  const group = `${run.topic}-ingest-${run.runId}-${run.threads}`;
  const config = loadConfig({
    KAFKA_BROKERS: run.brokers.join(','),
    KAFKA_TOPIC: run.topic,
    KAFKA_GROUP_ID: group,
    CLICKHOUSE_URL: `chdb://${storeDir}`,
    LOG_LEVEL: 'warn',
    INGEST_EXTRACT_THREADS: String(run.threads),
  });
  const registry = createMetricsRegistry();
  const ingest = startIngest({ config, store, logger: createLogger('warn'), registry });
  // From here (threads up, group joined) to the last commit.
  while (ingest.health.status().state !== 'consuming') await sleep(20);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const threadsBefore = threadCpu();
  const loop = performance.eventLoopUtilization();
  try {
    await waitCommitted(admin, group, run.topic, run.total);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    process.stderr.write(`ingest CPU µs per record by thread: ${describeCpu(cpuByName(threadsBefore, threadCpu()), run.total)}\n`);
    const insert = await histogram(registry, 'csbs_errors_store_insert_seconds');
    const figures: Record<string, number> = {
      records_per_s: Math.round(run.total / seconds),
      cpu_us_per_record: Math.round(((used.user + used.system) / run.total) * 100) / 100,
      // Where the time goes: CPU of this process (all threads) per second, the main thread's share.
      cpu_cores: Math.round(((used.user + used.system) / 1e6 / seconds) * 100) / 100,
      main_thread_busy: Math.round(performance.eventLoopUtilization(loop).utilization * 100) / 100,
      batches: insert.count,
      insert_ms_per_batch: Math.round((insert.sum / Math.max(1, insert.count)) * 1000),
    };
    if (run.freshSeconds > 0) {
      const freshness = await measureFreshness(kafka, run.topic, store, new RecordGenerator(run.runId), run.freshSeconds);
      process.stderr.write(`ingest bench: freshness at ${FRESH_RATE} records/s: p50 ${freshness.p50} ms, p99 ${freshness.p99} ms (${freshness.seen} of ${freshness.sent} markers seen)\n`);
      figures.freshness_p50_ms = freshness.p50;
      figures.freshness_p99_ms = freshness.p99;
    }
    // Peak resident memory of the whole run (maxRSS is in KiB).
    figures.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await ingest.stop();
  }
} finally {
  await store.close();
  rmSync(storeDir, { recursive: true, force: true });
  await admin.disconnect();
}

async function histogram(registry: ReturnType<typeof createMetricsRegistry>, name: string): Promise<{ sum: number; count: number }> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (suffix: string) => Number(metric?.values.find((v) => (v as { metricName?: string }).metricName === `${name}_${suffix}`)?.value ?? 0);
  return { sum: value('sum'), count: value('count') };
}

async function waitCommitted(admin: kafkajs.Admin, group: string, topic: string, total: number): Promise<void> {
  for (;;) {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const committed = (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    const open = (offsets?.partitions ?? []).some((p) => p.metadata !== null && p.metadata.startsWith('csbs-errors/'));
    if (committed >= total && !open) return;
    await sleep(100);
  }
}

/** Steady FRESH_RATE records/s for `seconds`; the store polled for the error records' request ids. */
async function measureFreshness(kafka: kafkajs.Kafka, topic: string, store: ClickHouseClient, generator: RecordGenerator, seconds: number): Promise<{ p50: number; p99: number; seen: number; sent: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const prefix = `fresh-${generator.runId}-`;
  const latencies = new Map<string, number>();
  let producing = true;
  let polling = true;
  let sentMarkers = 0;
  const poller = (async () => {
    while (polling) {
      const rows = await (
        await store.query({ query: 'SELECT request_id FROM events WHERE startsWith(request_id, {prefix:String})', query_params: { prefix }, format: 'JSONCompactEachRow' })
      ).json<[string]>();
      const now = Date.now();
      for (const [id] of rows) if (!latencies.has(id)) latencies.set(id, now - Number(id.slice(prefix.length).split('-')[0]));
      if (!producing && latencies.size >= sentMarkers) return;
      await sleep(50);
    }
  })();
  const tick = 50; // ms: FRESH_RATE / 20 records per send
  const perTick = Math.round((FRESH_RATE * tick) / 1000);
  const started = Date.now();
  try {
    for (let n = 0; Date.now() - started < seconds * 1000; n++) {
      const due = started + n * tick;
      if (due > Date.now()) await sleep(due - Date.now());
      const now = Date.now();
      const messages: Array<{ value: Buffer }> = [];
      for (let i = 0; i < perTick; i++) {
        const value = generator.live(now);
        if (value.includes(prefix)) sentMarkers += 1;
        messages.push({ value });
      }
      await producer.send({ topic, acks: 1, messages });
    }
  } finally {
    producing = false;
    await producer.disconnect();
  }
  const timeout = new AbortController();
  await Promise.race([poller, sleep(60_000, undefined, { signal: timeout.signal }).catch(() => undefined)]);
  timeout.abort();
  polling = false;
  await poller;
  const sorted = [...latencies.values()].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), seen: sorted.length, sent: sentMarkers };
}
