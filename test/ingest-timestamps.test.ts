/**
 * Any mix of record times in one batch, and rows the store refuses, never stop ingest: one batch of
 * one partition through the `ingest` worker (a child on the embedded engine) holds records spread
 * over 200 days (more partitions than one ClickHouse insert may touch), records older than
 * RETENTION_DAYS, records days ahead of the clock, error bodies of 5 MiB, and records the store
 * refuses (a constraint on the events table). The group gets done; every storable event is stored
 * once, 5 MiB messages cut to MAX_STORED_MESSAGE_BYTES on a UTF-8 boundary and flagged; the others
 * are dead-lettered once with their reason (too_old, too_far_in_future, store_rejected) and counted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { assertDeadLetteredExactlyOnce, killWorkers, operationsUrl, readDeadLetters, startWorker, stopWorker, waitUntilDone, workerEnv } from './support/faults.js';

const DAY = 86_400_000;
const MB = 1024 * 1024;

let brokers: string[];
let store: TestStore;
let stopKafka: () => Promise<void>;

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
});

after(async () => {
  await killWorkers();
  await store?.dispose();
  await stopKafka?.();
});

/** A flat gateway record of a CSBS error at `ms`, with this code and message. */
function record(ms: number, code: string, message: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      timestamp: new Date(ms).toISOString(),
      method: 'POST',
      path: '/v1/0123456789abcdef0123456789abcdef/checkpoints',
      response_code: 500,
      upstream_cluster: 'csbs',
      body: JSON.stringify({ error_code: code, error_msg: message }),
    }),
  );
}

test('records over 200 days, too old, too far ahead, refused by the store, and 5 MiB bodies in one batch: stored or dead-lettered, once', { timeout: 180_000 }, async () => {
  const topic = uniqueTopic('ingest-timestamps');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 1, [{ name: 'max.message.bytes', value: String(16 * MB) }]);
  const now = Date.now();
  const values: Buffer[] = [];
  const expect = { stored: 0, tooOld: 0, tooFar: 0, refused: 0, truncated: 0 };
  for (let day = 0; day < 200; day++) {
    values.push(record(now - day * DAY - 1_000, 'CSBS.9999', `backup failed on day ${day}`));
    expect.stored += 1;
  }
  for (let i = 0; i < 7; i++) {
    values.push(record(now - (400 + i) * DAY, 'CSBS.9999', 'an archive from long ago'));
    expect.tooOld += 1;
  }
  for (let i = 0; i < 5; i++) {
    values.push(record(now + (3 + i) * DAY, 'CSBS.9999', 'a gateway clock days ahead'));
    expect.tooFar += 1;
  }
  for (let i = 0; i < 4; i++) {
    values.push(record(now - i * 37 * DAY, 'CSBS.REFUSED', 'a row the store refuses'));
    expect.refused += 1;
  }
  // 5 MiB bodies of two-byte characters: a cut in the middle of one would leave invalid UTF-8.
  const huge = `x${'é'.repeat((5 * MB) / 2)}`;
  for (let i = 0; i < 3; i++) {
    values.push(record(now - i * DAY, 'CSBS.9999', huge));
    expect.stored += 1;
    expect.truncated += 1;
  }

  // The store refuses CSBS.REFUSED rows (a constraint), as it would rows that break a type.
  const setup = await openTestStore(store);
  try {
    await setup.command({ query: "ALTER TABLE events ADD CONSTRAINT no_refused_code CHECK code != 'CSBS.REFUSED'" });
  } finally {
    await setup.close();
  }

  const producer = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 20) await producer.send({ topic, acks: -1, messages: values.slice(i, i + 20).map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }

  // One batch for all of them; records older than a year are too old, more than a day ahead too far.
  const worker = startWorker(workerEnv(brokers, topic, group, store.url, { RETENTION_DAYS: '365', INGEST_BATCH_MAX_ROWS: '10000', INGEST_BATCH_MAX_MS: '2000' }));
  let metrics = '';
  try {
    await waitUntilDone(brokers, group, topic, 120_000, worker.gone);
    const base = operationsUrl(worker.logs());
    assert.ok(base);
    metrics = await (await fetch(`${base}/metrics`)).text();
  } catch (error) {
    await stopWorker(worker, 'SIGKILL');
    throw new Error(`${(error as Error).message}\n${worker.logs().slice(-5_000)}`);
  }
  assert.equal((await stopWorker(worker)).code, 0, `the worker stops cleanly:\n${worker.logs().slice(-3_000)}`);

  const client = await openTestStore(store);
  try {
    const rows = async <T>(query: string) => (await client.query({ query, format: 'JSONEachRow' })).json<T>();
    const [counts] = await rows<{ n: string; u: string; days: string }>(
      `SELECT count() AS n, uniqExact(source_partition, source_offset, source_index) AS u, uniqExact(toYYYYMMDD(ts)) AS days FROM events WHERE source_topic = '${topic}'`,
    );
    assert.equal(Number(counts?.n), expect.stored, 'events stored');
    assert.equal(Number(counts?.u), expect.stored, 'none twice');
    assert.ok(Number(counts?.days) >= 200, `spread over 200 days: ${counts?.days}`);
    const [rollup] = await rows<{ n: string }>(`SELECT sum(count) AS n FROM error_counts_1m`);
    assert.equal(Number(rollup?.n), expect.stored, 'the rollup counts each stored event once');
    const cut = await rows<{ bytes: string; valid: number; truncated: boolean }>(
      `SELECT length(message) AS bytes, isValidUTF8(message) AS valid, message_truncated AS truncated FROM events WHERE source_topic = '${topic}' AND startsWith(message, 'xé')`,
    );
    assert.equal(cut.length, expect.truncated);
    for (const row of cut) {
      assert.ok(Number(row.bytes) <= 8 * 1024 && Number(row.bytes) > 8 * 1024 - 4, `cut to 8 KiB: ${row.bytes} bytes`);
      assert.equal(Number(row.valid), 1, 'cut on a character boundary');
      assert.equal(Boolean(row.truncated), true, 'flagged');
    }
    const [whole] = await rows<{ n: string }>(`SELECT count() AS n FROM events WHERE source_topic = '${topic}' AND message_truncated`);
    assert.equal(Number(whole?.n), expect.truncated, 'only the cut messages are flagged');
  } finally {
    await client.close();
  }

  const dead = expect.tooOld + expect.tooFar + expect.refused;
  const letters = await readDeadLetters(brokers, `${topic}.dlq`, dead);
  assertDeadLetteredExactlyOnce(letters, topic, dead);
  const reasons: Record<string, number> = {};
  for (const letter of letters) reasons[letter.headers['csbs-reason'] ?? ''] = (reasons[letter.headers['csbs-reason'] ?? ''] ?? 0) + 1;
  assert.deepEqual(reasons, { too_old: expect.tooOld, too_far_in_future: expect.tooFar, store_rejected: expect.refused });
  for (const reason of ['too_old', 'too_far_in_future', 'store_rejected'] as const) {
    const key = reason === 'too_old' ? 'tooOld' : reason === 'too_far_in_future' ? 'tooFar' : 'refused';
    assert.match(metrics, new RegExp(`csbs_errors_ingest_dead_letters_total\\{reason="${reason}"\\} ${expect[key]}\\b`), `dead letters counted for ${reason}`);
  }
  assert.match(metrics, new RegExp(`csbs_errors_store_refused_rows_total\\{table="events"\\} ${expect.refused}\\b`));
});
