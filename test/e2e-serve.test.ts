/**
 * End to end on the real services: the shared sample records produced into a fresh topic on a real
 * Kafka broker, `serve` on the embedded engine (or the store the harness gives), and the API's
 * counts per code equal to the expected events, exactly; the unreadable records dead-lettered.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, type TestStore } from './support/store.js';
import { runCli, startServe, stopChild } from './support/cli.js';
import { waitForValue } from './support/wait.js';
import { assertDeadLetteredExactlyOnce, readDeadLetters, sampleCorpus } from './support/faults.js';

const recordsFile = fileURLToPath(new URL('../../shared/samples/gateway-records.ndjson', import.meta.url));
const { expected } = sampleCorpus(1);

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
  await store?.dispose();
  await stopKafka?.();
});

test('samples produced to Kafka are counted per code exactly by the API of serve', async () => {
  const topic = uniqueTopic('e2e');
  await createTopic(brokers, topic, 3);
  const env = {
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `${topic}-group`,
    CLICKHOUSE_URL: store.url,
    RETENTION_DAYS: '0',
    PORT: '0',
    INGEST_BATCH_MAX_MS: '200',
  };
  const produced = await runCli(['produce', recordsFile, '--topic', topic], env);
  assert.equal(produced.code, 0, produced.stderr);
  assert.match(produced.stderr, /produced 400 messages/);

  const serve = await startServe(env);
  try {
    const query = new URLSearchParams({ group_by: 'code', from: '2026-11-01T00:00:00Z', to: '2026-12-31T00:00:00Z', limit: '10000' });
    const answer = await waitForValue('all sample events in the API', 90_000, async () => {
      const response = await fetch(`${serve.url}/v1/errors/frequency?${query}`);
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as { total: number; groups: Array<{ code: string; count: number }> };
      return body.total >= expected.events ? body : undefined;
    });
    assert.equal(answer.total, expected.events);
    const actual = Object.fromEntries(answer.groups.map((g) => [g.code, g.count]).sort());
    assert.deepEqual(actual, Object.fromEntries(Object.entries(expected.byCode).sort()));

    assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, `${topic}.dlq`, expected.dead), topic, expected.dead);
  } finally {
    assert.equal(await stopChild(serve.child), 0, serve.logs());
  }
});

test('serve on a topic that does not exist yet creates it and its dead-letter topic, and stops cleanly', async () => {
  const topic = uniqueTopic('e2e-missing');
  const serve = await startServe({
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `${topic}-group`,
    CLICKHOUSE_URL: store.url,
    RETENTION_DAYS: '0',
    PORT: '0',
  });
  try {
    const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      // The API listens first; ingest creates the topics as it starts, in the background.
      await waitForValue('source and dead-letter topics to exist', 60_000, async () => {
        const topics = new Set(await admin.listTopics());
        return topics.has(topic) && topics.has(`${topic}.dlq`) ? true : undefined;
      });
    } finally {
      await admin.disconnect();
    }
  } finally {
    assert.equal(await stopChild(serve.child), 0, serve.logs());
  }
});
