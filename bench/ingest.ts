/**
 * Ingest throughput and freshness on a real broker and the embedded engine:
 * `npm run bench -- ingest [--json]`, `--records N` for a quick run (default 1 000 000),
 * `--fresh-seconds S` for the length of the freshness run (default 10).
 *
 * Produces N realistic gateway records (the shapes of the shared sample lines with fresh ids and
 * timestamps spread over an hour, about 5 % errors) into a fresh 6-partition topic on the local
 * broker (KAFKA_BROKERS, default 127.0.0.1:9092), then on that same topic:
 *
 * - `raw_consume_per_s`: a kafkajs consumer with the worker's fetch settings that does nothing with
 *   what it reads: the ceiling (best of two reads);
 * - `records_per_s`: the ingest worker (`startIngest`, default batch settings) into a fresh embedded
 *   store, from its start until every offset is committed (extraction, rollups, inserts, commits,
 *   dead letters);
 * - `ratio_to_raw`: the two divided;
 * - `freshness_p99_ms`: with that worker still running, records produced at a steady 20 000 per
 *   second; each error record carries its send time, and the store is polled every 50 ms for it:
 *   p99 (and p50) of the time from send to visible in `events`.
 *
 * The topic is deleted at the end. Both consumers start from the earliest offset in a new group.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import { loadConfig } from '@csbs-errors/config';
import { startIngest } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { applyRetention, createStoreClient, migrate, type ClickHouseClient } from '@csbs-errors/store';

const PARTITIONS = 6;
const FRESH_RATE = 20_000;
const ERROR_SHARE = 0.05;
const samplesDir = fileURLToPath(new URL('../../shared/samples/', import.meta.url));

export async function run(args: string[]): Promise<Record<string, number>> {
  const { values } = parseArgs({
    args,
    options: { records: { type: 'string', default: '1000000' }, 'fresh-seconds': { type: 'string', default: '10' } },
    strict: false,
    allowPositionals: true,
  });
  const total = Number(values.records);
  const freshSeconds = Number(values['fresh-seconds']);
  if (!Number.isInteger(total) || total < 1) throw new Error('--records must be a positive integer');
  if (!(freshSeconds > 0)) throw new Error('--fresh-seconds must be a positive number');

  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const runId = `${Date.now().toString(36)}-${process.pid}`;
  const topic = `bench-ingest-${runId}`;
  const kafka = new kafkajs.Kafka({ clientId: 'csbs-errors-bench', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const storeDir = mkdtempSync(join(tmpdir(), 'csbs-bench-store-'));
  const store = createStoreClient({ kind: 'embedded', location: storeDir });
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    const generator = new RecordGenerator(runId);
    const produced = await produceAll(kafka, topic, total, generator);
    log(`produced ${total} records (${(produced.bytes / 1e6).toFixed(0)} MB, ${Math.round(produced.errors / total * 1000) / 10} % errors) in ${(produced.ms / 1000).toFixed(1)} s`);

    // Best of two reads: the ceiling, less the noise of a machine the broker shares.
    const raw = Math.max(await rawConsume(kafka, topic, total, 1), await rawConsume(kafka, topic, total, 2));
    log(`raw consume: ${Math.round(raw)} records/s`);

    await migrate(store);
    await applyRetention(store, 0);
    const group = `${topic}-ingest`;
    const config = loadConfig({ KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, CLICKHOUSE_URL: `chdb://${storeDir}`, LOG_LEVEL: 'warn' });
    const started = performance.now();
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const registry = createMetricsRegistry();
    const ingest = await startIngest({ config, store, logger: createLogger('warn'), registry });
    try {
      await waitCommitted(admin, group, topic, total);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      const recordsPerSecond = total / seconds;
      const insert = await histogram(registry, 'csbs_errors_store_insert_seconds');
      const figures = {
        records: total,
        raw_consume_per_s: Math.round(raw),
        records_per_s: Math.round(recordsPerSecond),
        ratio_to_raw: Math.round((recordsPerSecond / raw) * 100) / 100,
        // Where the time goes: CPU of this process (all threads) per second, the main thread's share.
        ingest_cpu_cores: Math.round(((used.user + used.system) / 1e6 / seconds) * 100) / 100,
        ingest_main_thread_busy: Math.round(performance.eventLoopUtilization(loop).utilization * 100) / 100,
        batches: insert.count,
        insert_ms_per_batch: Math.round((insert.sum / Math.max(1, insert.count)) * 1000),
      };
      log(`ingest: ${figures.records_per_s} records/s (${figures.ratio_to_raw} of raw), ${figures.batches} batches`);
      const freshness = await measureFreshness(kafka, topic, store, generator, freshSeconds);
      log(`freshness at ${FRESH_RATE} records/s: p50 ${freshness.p50} ms, p99 ${freshness.p99} ms (${freshness.seen} of ${freshness.sent} markers seen)`);
      return { ...figures, freshness_p50_ms: freshness.p50, freshness_p99_ms: freshness.p99 };
    } finally {
      await ingest.stop();
    }
  } finally {
    await store.close();
    rmSync(storeDir, { recursive: true, force: true });
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

function log(line: string): void {
  process.stderr.write(`ingest bench: ${line}\n`);
}

async function histogram(registry: ReturnType<typeof createMetricsRegistry>, name: string): Promise<{ sum: number; count: number }> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = (suffix: string) => Number(metric?.values.find((v) => (v as { metricName?: string }).metricName === `${name}_${suffix}`)?.value ?? 0);
  return { sum: value('sum'), count: value('count') };
}

// --- records ------------------------------------------------------------------------------------

type Random = () => number;

function seeded(seed: number): Random {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sample line cut at its ids and timestamps, which each record gets fresh. */
interface Template {
  parts: string[];
  holes: Array<'uuid' | 'hex32' | 'iso' | 'epoch'>;
}

const HOLES = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})|(?<![0-9a-f])([0-9a-f]{32})(?![0-9a-f])|(20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)|(?<![\d.])(1[78]\d{11})(?=[.,}\s])/g;

function compile(line: string): Template {
  const parts: string[] = [];
  const holes: Template['holes'] = [];
  let at = 0;
  for (const match of line.matchAll(HOLES)) {
    parts.push(line.slice(at, match.index));
    holes.push(match[1] ? 'uuid' : match[2] ? 'hex32' : match[3] ? 'iso' : 'epoch');
    at = match.index + match[0].length;
  }
  parts.push(line.slice(at));
  return { parts, holes };
}

/** Records in the shapes of the sample lines: single records that the samples read as a request or as one error. */
class RecordGenerator {
  private readonly ok: Template[] = [];
  private readonly errors: Template[] = [];
  private readonly random = seeded(20261127);
  /** Tenants (and other 32-hex ids) come from a pool, as in real traffic; resource ids are new. */
  private readonly hexPool: string[];
  private readonly start = Date.now() - 3_600_000;
  private seq = 0;

  constructor(readonly runId: string) {
    const lines = readFileSync(`${samplesDir}gateway-records.ndjson`, 'utf8').split('\n');
    const expected = readFileSync(`${samplesDir}expected-events.ndjson`, 'utf8').split('\n').filter((l) => l.trim() !== '');
    expected.forEach((text, i) => {
      const e = JSON.parse(text) as { events: unknown[]; dead: number; requests: number };
      const line = lines[i] ?? '';
      if (!line.startsWith('{') || e.dead !== 0 || e.requests !== 1) return;
      if (e.events.length === 0) this.ok.push(compile(line));
      else if (e.events.length === 1) this.errors.push(compile(line));
    });
    if (this.ok.length === 0 || this.errors.length === 0) throw new Error('no usable sample lines');
    this.hexPool = Array.from({ length: 400 }, () => this.hex(32));
  }

  private hex(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += Math.floor(this.random() * 16).toString(16);
    return s;
  }

  private fill(template: Template, at: number): string {
    let out = template.parts[0] ?? '';
    template.holes.forEach((hole, i) => {
      switch (hole) {
        case 'uuid':
          out += `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}`;
          break;
        case 'hex32':
          out += this.hexPool[Math.floor(this.random() * this.hexPool.length)];
          break;
        case 'iso':
          out += new Date(at).toISOString();
          break;
        case 'epoch':
          out += String(at);
          break;
      }
      out += template.parts[i + 1] ?? '';
    });
    return out;
  }

  /** A record of the bulk: timestamps spread over the last hour. */
  next(total: number): { value: Buffer; error: boolean } {
    const at = this.start + Math.floor((this.seq++ / total) * 3_600_000);
    const error = this.random() < ERROR_SHARE;
    const pool = error ? this.errors : this.ok;
    return { value: Buffer.from(this.fill(pool[Math.floor(this.random() * pool.length)]!, at)), error };
  }

  /** A record of the freshness run: errors carry their send time in request_id. */
  live(now: number): Buffer {
    if (this.random() >= ERROR_SHARE) return Buffer.from(this.fill(this.ok[Math.floor(this.random() * this.ok.length)]!, now));
    return Buffer.from(
      JSON.stringify({
        timestamp: new Date(now).toISOString(),
        method: 'POST',
        path: `/v1/${this.hexPool[0]}/providers/${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-a${this.hex(3)}-${this.hex(12)}/checkpoints`,
        status: 500,
        request_id: `fresh-${this.runId}-${now}-${this.seq++}`,
        duration: 312,
        authority: 'csbs.eu-de.example.com',
        upstream_cluster: 'csbs',
        resp_body: JSON.stringify({ error_code: 'CSBS.9999', error_msg: 'Create backup failed' }),
      }),
    );
  }
}

// --- phases -------------------------------------------------------------------------------------

async function produceAll(kafka: kafkajs.Kafka, topic: string, total: number, generator: RecordGenerator): Promise<{ ms: number; bytes: number; errors: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let bytes = 0;
  let errors = 0;
  const inFlight = new Set<Promise<unknown>>();
  try {
    for (let sent = 0; sent < total; ) {
      const messages: Array<{ value: Buffer }> = [];
      for (const end = Math.min(total, sent + 3_000); sent < end; sent++) {
        const record = generator.next(total);
        bytes += record.value.length;
        if (record.error) errors += 1;
        messages.push({ value: record.value });
      }
      const send = producer.send({ topic, acks: 1, messages }).finally(() => inFlight.delete(send));
      inFlight.add(send);
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return { ms: performance.now() - started, bytes, errors };
}

/** kafkajs reading the whole topic with the worker's fetch settings and no work: records/s. */
async function rawConsume(kafka: kafkajs.Kafka, topic: string, total: number, round: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `${topic}-raw-${round}`, maxBytesPerPartition: 16 * 1024 * 1024, maxBytes: 64 * 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= total) finished();
    },
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return total / seconds;
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
