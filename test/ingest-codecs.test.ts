/**
 * Every Kafka codec is read: gzip, Snappy, LZ4 and ZSTD record batches produced by a real non-JS
 * producer (kcat, librdkafka: one partition per codec) go through the `ingest` worker (a child on the
 * embedded engine): every event stored once, every unreadable record dead-lettered once. kafkajs
 * alone stops its consumer on such batches (checked first, so the batches are really compressed).
 *
 * A batch that still cannot be decompressed (the codec fault hook of test/support/faults.ts makes
 * ZSTD fail) is no silent stop: /readyz turns 503 naming the crash, the crash is counted, the
 * process stays up, and once the batch can be read the restarted consumer stores everything once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTests, uniqueTopic, createTopic, testKafkaClient } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { waitForValue } from './support/wait.js';
import {
  CODEC_FAULT_ENV,
  addExpectation,
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  emptyExpectation,
  killWorkers,
  operationsUrl,
  readDeadLetters,
  sampleLines,
  startWorker,
  stopWorker,
  storedCounts,
  waitUntilDone,
  workerEnv,
  type Expectation,
} from './support/faults.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

let brokers: string[];
let store: TestStore;
let stopKafka: () => Promise<void>;
let faultDir: string;

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
  faultDir = mkdtempSync(join(tmpdir(), 'csbs-codecs-'));
});

after(async () => {
  await killWorkers();
  await store?.dispose();
  await stopKafka?.();
  if (faultDir) rmSync(faultDir, { recursive: true, force: true });
});

/** Produces `lines` (one message each) to one partition with kcat and a codec; resolves when kcat has flushed them. */
function kcatProduce(topic: string, partition: number, codec: string, lines: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-P', '-b', brokers.join(','), '-t', topic, '-p', String(partition), '-z', codec, '-X', 'linger.ms=50', '-X', 'batch.num.messages=500'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat -z ${codec} exited with ${code}: ${stderr}`))));
    child.stdin.end(Buffer.concat(lines.flatMap((line) => [line, Buffer.from('\n')])));
  });
}

/** Every sample line (without line breaks inside) to each codec's partition; the expectation of all of them. */
async function produceEveryCodec(topic: string): Promise<Expectation> {
  const lines = sampleLines().filter((line) => !line.value.includes(0x0a) && line.value.length > 0);
  const expected = emptyExpectation();
  for (const [partition, codec] of CODECS.entries()) {
    await kcatProduce(topic, partition, codec, lines.map((line) => line.value));
    for (const line of lines) addExpectation(expected, line.expected);
  }
  return expected;
}

/** What a kafkajs consumer without the service's codecs makes of the topic: the error it crashes with. */
async function plainKafkajsCrash(topic: string): Promise<string> {
  const consumer = testKafkaClient(brokers).consumer({ groupId: `${topic}-plain`, retry: { retries: 0 } });
  let crash: string | undefined;
  consumer.on(consumer.events.CRASH, (event) => void (crash ??= String(event.payload.error)));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    return await waitForValue('the plain kafkajs consumer to crash', 30_000, () => crash);
  } finally {
    await consumer.disconnect();
  }
}

async function readyz(base: string): Promise<{ status: number; body: { ingest?: { ready: boolean; state: string; reason?: string } } }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as { ingest?: { ready: boolean; state: string; reason?: string } } };
}

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

test('gzip, Snappy, LZ4 and ZSTD batches from kcat: every event stored once, every dead letter published once', { timeout: 180_000 }, async () => {
  const topic = uniqueTopic('ingest-codecs');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, CODECS.length);
  const expected = await produceEveryCodec(topic);
  assert.match(await plainKafkajsCrash(topic), /(Snappy|LZ4|ZSTD) compression not implemented/, 'kafkajs alone cannot read these batches');

  const worker = startWorker(workerEnv(brokers, topic, group, store.url, { INGEST_BATCH_MAX_MS: '300' }));
  try {
    await waitUntilDone(brokers, group, topic, 90_000, worker.gone);
  } catch (error) {
    await stopWorker(worker, 'SIGKILL');
    throw new Error(`${(error as Error).message}\n${worker.logs().slice(-5_000)}`);
  }
  const base = operationsUrl(worker.logs());
  assert.ok(base, 'the worker serves /readyz');
  assert.equal((await readyz(base)).status, 200);
  assert.equal(await metric(base, 'csbs_errors_consumer_crashes_total'), 0, 'no consumer crash');
  assert.equal((await stopWorker(worker)).code, 0, `the worker stops cleanly:\n${worker.logs().slice(-5_000)}`);

  const client = await openTestStore(store);
  try {
    const counts = await storedCounts(client);
    assertStoredExactlyOnce(counts, expected);
    const perPartition = await (await client.query({ query: `SELECT source_partition AS p, count() AS n FROM events WHERE source_topic = '${topic}' GROUP BY p ORDER BY p`, format: 'JSONEachRow' })).json<{ p: number; n: string }>();
    assert.deepEqual(perPartition.map((row) => Number(row.n)), CODECS.map(() => expected.events / CODECS.length), 'each codec partition read whole');
  } finally {
    await client.close();
  }
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, `${topic}.dlq`, expected.dead), topic, expected.dead);
});

test('a batch that cannot be decompressed (no codec, then corrupt): /readyz 503 saying why, the process stays up, and reads it once it can', { timeout: 240_000 }, async () => {
  const topic = uniqueTopic('ingest-codec-fault');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, CODECS.length);
  const expected = await produceEveryCodec(topic);
  const faultFile = join(faultDir, 'zstd-broken');
  writeFileSync(faultFile, 'missing');
  const env = { INGEST_BATCH_MAX_MS: '300', INGEST_LAG_POLL_MS: '500', INGEST_STALL_AFTER_MS: '4000', [CODEC_FAULT_ENV]: faultFile };
  const worker = startWorker(workerEnv(brokers, topic, group, store.url, env), { storeFaults: true });
  const unreadyBecause = async (base: string, reason: RegExp, what: string) =>
    waitForValue(what, 90_000, async () => {
      assert.equal(worker.gone(), undefined, `the worker stays up:\n${worker.logs().slice(-3_000)}`);
      const answer = await readyz(base);
      return answer.status === 503 && reason.test(answer.body.ingest?.reason ?? '') ? answer : undefined;
    });
  try {
    const base = await waitForValue('the worker to serve /readyz', 60_000, () => operationsUrl(worker.logs()));
    // No codec: the consumer stops; it is restarted, and stops again, loudly.
    const crashed = await unreadyBecause(base, /crashed/, '/readyz to report the crash');
    assert.equal(crashed.body.ingest?.ready, false);
    assert.ok((await metric(base, 'csbs_errors_consumer_crashes_total')) >= 1, 'the crash is counted');
    assert.equal(await metric(base, 'csbs_errors_ingest_ready'), 0);
    assert.match(worker.logs(), /"level":50[^\n]*kafka consumer crashed and stopped/, 'an error is logged');

    // A corrupt batch: kafkajs retries the fetch without crashing, nothing moves: the stall tells.
    writeFileSync(faultFile, 'corrupt');
    await unreadyBecause(base, /no committed progress/, '/readyz to report the stalled partitions');
    assert.match(worker.logs(), /"level":50[^\n]*partition stalled/, 'the stall is logged as an error');

    rmSync(faultFile);
    await waitUntilDone(brokers, group, topic, 150_000, worker.gone);
    await waitForValue('/readyz 200 again', 30_000, async () => ((await readyz(base)).status === 200 ? true : undefined));
  } catch (error) {
    await stopWorker(worker, 'SIGKILL');
    throw new Error(`${(error as Error).message}\n${worker.logs().slice(-5_000)}`);
  }
  assert.equal((await stopWorker(worker)).code, 0);
  const client = await openTestStore(store);
  try {
    // The store holds the first test's topic too: this topic's part.
    const [row] = await (await client.query({ query: `SELECT count() AS n, uniqExact(source_partition, source_offset, source_index) AS u FROM events WHERE source_topic = '${topic}'`, format: 'JSONEachRow' })).json<{ n: string; u: string }>();
    assert.equal(Number(row?.n), expected.events, 'events of this topic');
    assert.equal(Number(row?.u), expected.events, 'none stored twice');
  } finally {
    await client.close();
  }
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, `${topic}.dlq`, expected.dead), topic, expected.dead);
});
