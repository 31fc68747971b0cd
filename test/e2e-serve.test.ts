/**
 * End to end on the real services: the shared sample records produced into a fresh topic on a real
 * Kafka broker, `serve` on the embedded engine (or the store the harness gives), and the API's
 * counts per code equal to the expected events, exactly; the unreadable records dead-lettered.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, type TestStore } from './support/store.js';
import { runCli, startServe, stopChild, waitFor } from './support/cli.js';

const samples = fileURLToPath(new URL('../../shared/samples/', import.meta.url));
const recordsFile = `${samples}gateway-records.ndjson`;

interface ExpectedLine {
  events: Array<{ code: string }>;
  dead: number;
}

const expectedLines = readFileSync(`${samples}expected-events.ndjson`, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as ExpectedLine);
const expectedByCode = new Map<string, number>();
for (const line of expectedLines) for (const e of line.events) expectedByCode.set(e.code, (expectedByCode.get(e.code) ?? 0) + 1);
const expectedTotal = [...expectedByCode.values()].reduce((a, b) => a + b, 0);
const expectedDead = expectedLines.reduce((sum, l) => sum + l.dead, 0);

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
    const answer = await waitFor('all sample events in the API', 90_000, async () => {
      const response = await fetch(`${serve.url}/v1/errors/frequency?${query}`);
      if (response.status !== 200) return undefined;
      const body = (await response.json()) as { total: number; groups: Array<{ code: string; count: number }> };
      return body.total >= expectedTotal ? body : undefined;
    });
    assert.equal(answer.total, expectedTotal);
    const actual = new Map(answer.groups.map((g) => [g.code, g.count]));
    assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...expectedByCode].sort()));

    const dead = await readTopic(brokers, `${topic}.dlq`, expectedDead);
    assert.equal(dead.length, expectedDead);
    for (const message of dead) {
      assert.ok(message.headers['csbs-reason'], 'a dead letter names its reason');
      assert.equal(message.headers['csbs-source-topic'], topic);
    }
  } finally {
    assert.equal(await stopChild(serve.child), 0, serve.logs());
  }
});

async function readTopic(brokerList: string[], topic: string, atLeast: number): Promise<Array<{ headers: Record<string, string> }>> {
  const kafka = new kafkajs.Kafka({ brokers: brokerList, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}` });
  const got: Array<{ headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      got.push({ headers });
    },
  });
  try {
    await waitFor(`${atLeast} messages on ${topic}`, 30_000, async () => (got.length >= atLeast ? true : undefined));
    // Anything beyond the expected count would be a duplicate: give it a moment to show up.
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    await consumer.disconnect();
  }
  return got;
}

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
    const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = new Set(await admin.listTopics());
      assert.ok(topics.has(topic) && topics.has(`${topic}.dlq`), 'source and dead-letter topics exist');
    } finally {
      await admin.disconnect();
    }
  } finally {
    assert.equal(await stopChild(serve.child), 0, serve.logs());
  }
});
