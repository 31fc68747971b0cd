/**
 * Bad input never stops the worker: a corpus of unreadable messages (empty values and tombstones,
 * invalid UTF-8, 10 MB values, deeply nested JSON, wrong types, hundreds of bad records in one
 * batch) between copies of the samples goes through the `ingest` worker (a child on the embedded
 * engine). Every readable record after the bad ones is stored once, every unreadable one is
 * dead-lettered once, and the worker is still running at the end.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import {
  addExpectation,
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  killWorkers,
  emptyExpectation,
  readDeadLetters,
  sampleLines,
  startWorker,
  stopWorker,
  storedCounts,
  waitUntilDone,
  workerEnv,
} from './support/faults.js';
import kafkajs from 'kafkajs';

const MB = 1024 * 1024;
const flat = { timestamp: '2026-11-28T00:56:02.913Z', method: 'GET', path: '/v1/0123456789abcdef0123456789abcdef/checkpoints', response_code: '500', upstream_cluster: 'csbs' };

/** Unreadable messages, each one record that must be dead-lettered once (`reason` when it is certain). */
function badMessages(): Array<{ name: string; value: Buffer | null; reason?: string }> {
  const deepArray = '['.repeat(200_000) + ']'.repeat(200_000);
  const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  return [
    { name: 'empty value', value: Buffer.alloc(0), reason: 'empty' },
    { name: 'tombstone (null value)', value: null, reason: 'empty' },
    { name: 'blank', value: Buffer.from(' \t\r\n '), reason: 'empty' },
    { name: 'empty array', value: Buffer.from('[]'), reason: 'empty' },
    { name: 'invalid UTF-8 in JSON', value: Buffer.concat([Buffer.from('{"method":"GET","path":"/v1/x/'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]), reason: 'invalid_utf8' },
    { name: 'lone continuation bytes', value: Buffer.from([0x80, 0x81, 0x82, 0xbf]), reason: 'invalid_utf8' },
    { name: 'overlong NUL', value: Buffer.from([0xc0, 0x80]), reason: 'invalid_utf8' },
    { name: 'NUL bytes', value: Buffer.alloc(64), reason: 'invalid_json' },
    { name: '10 MB of JSON', value: Buffer.from(JSON.stringify({ ...flat, pad: 'x'.repeat(10 * MB) })), reason: 'too_large' },
    { name: '10 MB of random bytes', value: randomBytes(10 * MB), reason: 'too_large' },
    { name: 'deeply nested array', value: Buffer.from(deepArray) },
    { name: 'deeply nested object', value: Buffer.from(deepObject) },
    { name: 'deep JSON inside a record', value: Buffer.from(JSON.stringify({ ...flat, path: 5 }).slice(0, -1) + ',"x":' + deepArray + '}') },
    { name: 'status is an object', value: Buffer.from(JSON.stringify({ ...flat, response_code: { code: 500 } })), reason: 'invalid_fields' },
    { name: 'path is a number', value: Buffer.from(JSON.stringify({ ...flat, path: 42 })), reason: 'invalid_fields' },
    { name: 'method is an array', value: Buffer.from(JSON.stringify({ ...flat, method: ['GET'] })) },
    { name: 'time is not a time', value: Buffer.from(JSON.stringify({ ...flat, timestamp: 'yesterday-ish' })), reason: 'invalid_fields' },
    { name: 'status 9999', value: Buffer.from(JSON.stringify({ ...flat, response_code: 9999 })), reason: 'invalid_fields' },
    { name: 'a number', value: Buffer.from('42'), reason: 'not_an_object' },
    { name: 'a string', value: Buffer.from('"hello"'), reason: 'not_an_object' },
    { name: 'null', value: Buffer.from('null'), reason: 'not_an_object' },
    { name: 'truncated JSON', value: Buffer.from('{"request":{"method":"GET","uri":"/v1/'), reason: 'invalid_json' },
  ];
}

/** Bytes that are no UTF-8 text and no JSON (deterministic). */
function randomBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let state = 0x2545f491;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = 0x80 | (state & 0x7f); // never ASCII: not JSON, not valid UTF-8 text
  }
  return bytes;
}

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

test('bad input (invalid UTF-8, 10 MB values, deep JSON, wrong types, empty values) never stops the worker', { timeout: 120_000 }, async () => {
  const topic = uniqueTopic('ingest-bad-input');
  const group = `${topic}-group`;
  // The source topic takes the 10 MB values (the broker default is 1 MB); the dead-letter topic is
  // left to the worker (auto-created with the broker defaults, as in a quick start).
  await createTopic(brokers, topic, 2, [{ name: 'max.message.bytes', value: String(16 * MB) }]);

  const lines = sampleLines();
  const expected = emptyExpectation();
  const messages: Array<{ value: Buffer | null }> = [];
  const bad = badMessages();
  const addSamples = (from: number, to: number) => {
    for (const line of lines.slice(from, to)) {
      messages.push({ value: line.value });
      addExpectation(expected, line.expected);
    }
  };
  // Samples, then each bad message between samples, then a burst of 600 bad records of 4 KB (more
  // than 2 MB of dead letters in one batch), then the samples again.
  addSamples(0, 200);
  bad.forEach((b, i) => {
    messages.push({ value: b.value });
    expected.dead += 1;
    addSamples(200 + i * 5, 200 + i * 5 + 5);
  });
  for (let i = 0; i < 600; i++) messages.push({ value: Buffer.from(`{"not json ${i}": ${'z'.repeat(4_000)}`) });
  expected.dead += 600;
  addSamples(0, 400);

  const producer = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // One message per send: a send is one request, and the broker takes up to 100 MB per request.
    for (let i = 0; i < messages.length; i += 50) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 50) });
  } finally {
    await producer.disconnect();
  }

  const worker = startWorker(workerEnv(brokers, topic, group, store.url, { INGEST_BATCH_MAX_ROWS: '5000', INGEST_BATCH_MAX_MS: '500' }));
  try {
    await waitUntilDone(brokers, group, topic, 60_000, worker.gone);
  } catch (error) {
    await stopWorker(worker, 'SIGKILL');
    throw new Error(`${(error as Error).message}\n${worker.logs().slice(-5_000)}`);
  }
  assert.equal(worker.gone(), undefined, 'the worker still runs');
  const exit = await stopWorker(worker);
  assert.equal(exit.code, 0, `the worker stops cleanly:\n${worker.logs().slice(-5_000)}`);

  const client = await openTestStore(store);
  try {
    assertStoredExactlyOnce(await storedCounts(client), expected);
  } finally {
    await client.close();
  }
  const letters = await readDeadLetters(brokers, `${topic}.dlq`, expected.dead);
  assertDeadLetteredExactlyOnce(letters, topic, expected.dead);
  const reasons = new Map<string, number>();
  for (const letter of letters) reasons.set(letter.headers['csbs-reason']!, (reasons.get(letter.headers['csbs-reason']!) ?? 0) + 1);
  for (const reason of new Set(bad.flatMap((b) => (b.reason ? [b.reason] : [])))) {
    const least = bad.filter((b) => b.reason === reason).length;
    assert.ok((reasons.get(reason) ?? 0) >= least, `at least ${least} dead letters for ${reason}: ${JSON.stringify([...reasons])}`);
  }
  // The 10 MB values are dead-lettered, but no dead letter is larger than a broker takes by default.
  assert.equal(reasons.get('too_large'), 2);
  for (const letter of letters) assert.ok(letter.bytes < 1_000_000, `a dead letter of ${letter.bytes} bytes`);
});
