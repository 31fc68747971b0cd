/**
 * Ingest throughput, CPU and memory against its peers, on a real broker and the embedded engine:
 * `npm run bench -- ingest [--json]`, `--records N` for a quick run (default 1 000 000),
 * `--fresh-seconds S` for the length of the freshness run (default 10), `--peer-configs N` to try
 * only the first N settings of the Kafka-engine peer (default all).
 *
 * Produces N realistic gateway records (bench/ingest-records.ts: about 5 % errors) into a fresh
 * 6-partition topic on the local broker (KAFKA_BROKERS, default 127.0.0.1:9092), then on that
 * same topic, each from the earliest offset in a new group:
 *
 * - `raw_consume_per_s`, `raw_cpu_us_per_record`: kafkajs with the worker's fetch settings doing
 *   nothing with what it reads (best of two reads);
 * - `kcat_records_per_s`, `kcat_cpu_us_per_record`: the reading floor of librdkafka, when kcat is
 *   installed (`kcat -C -e -o beginning -q`);
 * - `extract_cpu_us_per_record`: the extractor over a sample of the records, on one thread;
 *   `essential_cpu_us_per_record` = raw read + extraction: what any worker of ours must spend;
 * - `records_per_s`, `cpu_us_per_record` (all threads of the process), `peak_rss_mb`, freshness:
 *   the ingest worker (`startIngest`, default settings, so INGEST_EXTRACT_THREADS = cores − 1) into
 *   a fresh embedded store, in a child process (bench/ingest-child.ts), from the moment it has
 *   joined until every offset is committed; `overhead_cpu_us_per_record` = cpu − essential;
 *   `freshness_p99_ms`: then, still running, 20 000 records/s and the time from send to visible;
 * - `records_per_s_1_thread`, `records_per_s_2_threads`: the same with 1 and 2 extraction threads;
 * - `peer_records_per_s`, `peer_cpu_us_per_record`: ClickHouse's own Kafka engine with materialized
 *   views doing the same job in SQL (bench/ingest-peer.ts), in a child process, best of a few
 *   settings (`peer_best` names it); `ratio_to_peer` = records_per_s / peer_records_per_s.
 *
 * The topic is deleted at the end.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { createExtractor } from '@csbs-errors/extract';
import { RecordGenerator } from './ingest-records.js';

const PARTITIONS = 6;
/** Records kept from the production run to time the extractor on. */
const EXTRACT_SAMPLE = 50_000;

/** Settings of the Kafka-engine peer tried, in this order. */
const PEER_CONFIGS = [
  { kafka_num_consumers: 1, kafka_thread_per_consumer: 0, kafka_max_block_size: 65_536, kafka_flush_interval_ms: 7_500 },
  { kafka_num_consumers: 2, kafka_thread_per_consumer: 1, kafka_max_block_size: 65_536, kafka_flush_interval_ms: 7_500 },
  { kafka_num_consumers: 2, kafka_thread_per_consumer: 1, kafka_max_block_size: 262_144, kafka_flush_interval_ms: 1_000 },
  { kafka_num_consumers: 1, kafka_thread_per_consumer: 0, kafka_max_block_size: 262_144, kafka_flush_interval_ms: 1_000 },
];

type Figures = Record<string, number>;

export async function run(args: string[]): Promise<Record<string, number | string>> {
  const { values } = parseArgs({
    args,
    options: {
      records: { type: 'string', default: '1000000' },
      'fresh-seconds': { type: 'string', default: '10' },
      'peer-configs': { type: 'string', default: String(PEER_CONFIGS.length) },
    },
    strict: false,
    allowPositionals: true,
  });
  const total = Number(values.records);
  const freshSeconds = Number(values['fresh-seconds']);
  const peerConfigs = PEER_CONFIGS.slice(0, Number(values['peer-configs']));
  if (!Number.isInteger(total) || total < 1) throw new Error('--records must be a positive integer');
  if (!(freshSeconds > 0)) throw new Error('--fresh-seconds must be a positive number');
  if (peerConfigs.length === 0) throw new Error('--peer-configs must be at least 1');

  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const runId = `${Date.now().toString(36)}-${process.pid}`;
  const topic = `bench-ingest-${runId}`;
  const kafka = new kafkajs.Kafka({ clientId: 'csbs-errors-bench', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    const generator = new RecordGenerator(runId);
    const produced = await produceAll(kafka, topic, total, generator);
    log(`produced ${total} records (${(produced.bytes / 1e6).toFixed(0)} MB, ${Math.round((produced.errors / total) * 1000) / 10} % errors) in ${(produced.ms / 1000).toFixed(1)} s`);

    // Best of two reads: the ceiling, less the noise of a machine the broker shares.
    const reads = [await rawConsume(kafka, topic, total, 1), await rawConsume(kafka, topic, total, 2)];
    const raw = reads.reduce((best, read) => (read.recordsPerSecond > best.recordsPerSecond ? read : best));
    log(`raw kafkajs consume: ${Math.round(raw.recordsPerSecond)} records/s, ${raw.cpuUsPerRecord.toFixed(2)} µs CPU per record`);
    const kcat = await kcatConsume(brokers, topic, total);
    if (kcat) log(`kcat: ${Math.round(kcat.recordsPerSecond)} records/s, ${kcat.cpuUsPerRecord.toFixed(2)} µs CPU per record`);
    const extractUs = extractCpu(produced.sample);
    const essential = raw.cpuUsPerRecord + extractUs;
    log(`extraction: ${extractUs.toFixed(2)} µs CPU per record; essential (read + extract): ${essential.toFixed(2)} µs`);

    const defaultThreads = Math.max(1, availableParallelism() - 1);
    const child = (threads: number, fresh: number) => runChild('ingest-child.ts', { brokers, topic, runId, total, threads, freshSeconds: fresh });
    const ingest = await child(defaultThreads, freshSeconds);
    log(`ingest (${defaultThreads} extraction thread(s)): ${ingest.records_per_s} records/s, ${ingest.cpu_us_per_record} µs CPU per record, peak RSS ${ingest.peak_rss_mb} MB`);
    const byThreads: Record<number, Figures> = { [defaultThreads]: ingest };
    for (const threads of [1, 2]) {
      if (byThreads[threads]) continue;
      byThreads[threads] = await child(threads, 0);
      log(`ingest (${threads} extraction thread(s)): ${byThreads[threads]!.records_per_s} records/s, ${byThreads[threads]!.cpu_us_per_record} µs CPU per record`);
    }

    let peer: { figures: Figures; name: string } | undefined;
    for (const [index, settings] of peerConfigs.entries()) {
      const figures = await runChild('ingest-peer.ts', { brokers, topic, group: `${topic}-peer-${index}`, total, settings });
      const name = Object.entries(settings).map(([key, value]) => `${key}=${value}`).join(' ');
      log(`Kafka engine peer (${name}): ${figures.records_per_s} records/s, ${figures.cpu_us_per_record} µs CPU per record, ${figures.events} events`);
      if (!peer || figures.records_per_s! > peer.figures.records_per_s!) peer = { figures, name };
    }
    if (!peer) throw new Error('no peer run');
    log(`best peer: ${peer.name}`);

    const round = (value: number) => Math.round(value * 100) / 100;
    const cpuPerRecord = ingest.cpu_us_per_record!;
    return {
      records: total,
      raw_consume_per_s: Math.round(raw.recordsPerSecond),
      raw_cpu_us_per_record: round(raw.cpuUsPerRecord),
      ...(kcat ? { kcat_records_per_s: Math.round(kcat.recordsPerSecond), kcat_cpu_us_per_record: round(kcat.cpuUsPerRecord) } : {}),
      extract_cpu_us_per_record: round(extractUs),
      essential_cpu_us_per_record: round(essential),
      extract_threads: defaultThreads,
      ...ingest,
      ratio_to_raw: round(ingest.records_per_s! / raw.recordsPerSecond),
      overhead_cpu_us_per_record: round(cpuPerRecord - essential),
      overhead_share_of_essential: round((cpuPerRecord - essential) / essential),
      records_per_s_1_thread: byThreads[1]!.records_per_s!,
      records_per_s_2_threads: byThreads[2]!.records_per_s!,
      cpu_us_per_record_1_thread: byThreads[1]!.cpu_us_per_record!,
      cpu_us_per_record_2_threads: byThreads[2]!.cpu_us_per_record!,
      peer_records_per_s: peer.figures.records_per_s!,
      peer_cpu_us_per_record: peer.figures.cpu_us_per_record!,
      peer_cpu_cores: peer.figures.cpu_cores!,
      peer_best: peer.name,
      ratio_to_peer: round(ingest.records_per_s! / peer.figures.records_per_s!),
      cpu_ratio_to_peer: round(cpuPerRecord / peer.figures.cpu_us_per_record!),
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

function log(line: string): void {
  process.stderr.write(`ingest bench: ${line}\n`);
}

// --- phases -------------------------------------------------------------------------------------

async function produceAll(kafka: kafkajs.Kafka, topic: string, total: number, generator: RecordGenerator): Promise<{ ms: number; bytes: number; errors: number; sample: Buffer[] }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let bytes = 0;
  let errors = 0;
  const sample: Buffer[] = [];
  const every = Math.max(1, Math.floor(total / EXTRACT_SAMPLE));
  const inFlight = new Set<Promise<unknown>>();
  try {
    for (let sent = 0; sent < total; ) {
      const messages: Array<{ value: Buffer }> = [];
      for (const end = Math.min(total, sent + 3_000); sent < end; sent++) {
        const record = generator.next(total);
        bytes += record.value.length;
        if (record.error) errors += 1;
        if (sent % every === 0) sample.push(record.value);
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
  return { ms: performance.now() - started, bytes, errors, sample };
}

interface Read {
  recordsPerSecond: number;
  cpuUsPerRecord: number;
}

/** kafkajs reading the whole topic with the worker's fetch settings and no work, timed from the join. */
async function rawConsume(kafka: kafkajs.Kafka, topic: string, total: number, round: number): Promise<Read> {
  const consumer = kafka.consumer({ groupId: `${topic}-raw-${round}`, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
      if (seen >= total) finished();
    },
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  await done;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await consumer.disconnect();
  return { recordsPerSecond: total / seconds, cpuUsPerRecord: (used.user + used.system) / total };
}

/** kcat (librdkafka) reading the topic to its end, with its CPU from the shell's `time`; undefined without kcat. */
async function kcatConsume(brokers: string[], topic: string, total: number): Promise<Read | undefined> {
  const script = `command -v kcat >/dev/null || exit 127; TIMEFORMAT='%R %U %S'; time kcat -C -b "$1" -t "$2" -e -o beginning -q > /dev/null`;
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'kcat', brokers.join(','), topic], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, stderr: err }));
  });
  if (code === 127) return undefined;
  const times = stderr.trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
  const [real = Number.NaN, user = Number.NaN, sys = Number.NaN] = times;
  if (code !== 0 || !(real > 0)) throw new Error(`kcat failed (${code}): ${stderr.trim()}`);
  return { recordsPerSecond: total / real, cpuUsPerRecord: ((user + sys) * 1e6) / total };
}

/** CPU of the extractor per record on this thread (the second of two passes, once the code is warm). */
function extractCpu(sample: Buffer[]): number {
  const extractor = createExtractor();
  let sink = 0;
  let perRecord = Number.NaN;
  for (let pass = 0; pass < 2; pass += 1) {
    const cpu = process.cpuUsage();
    for (const value of sample) sink += extractor.extractMessage(value).length;
    const used = process.cpuUsage(cpu);
    perRecord = (used.user + used.system) / sample.length;
  }
  if (sink < sample.length) throw new Error('the extractor lost records');
  return perRecord;
}

/** Runs bench/NAME in a child process (same Node flags, so from sources too) and reads its JSON line. */
async function runChild(name: string, args: object): Promise<Figures> {
  const entry = fileURLToPath(new URL(`./${name}`, import.meta.url));
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, entry, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${name} exited with ${code}`))));
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Figures;
}
