/**
 * A new owner whose Kafka client resumes past the committed offset: after a rejoin kafkajs can fetch
 * from a position of its previous assignment, past the intent the group committed. Found by the
 * cluster's rolling-restart fault test (a batch committed with records never read); here the real
 * kafkajs source hands the first batch over from that later position, and the worker must read
 * again from the commit: every event stored once, every dead letter published once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createExtractor } from '@csbs-errors/extract';
import { IngestMetrics, IngestWorker, KafkaJsSource, encodeIntent, type LogSource } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import type { ClickHouseClient } from '@csbs-errors/store';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { assertDeadLetteredExactlyOnce, assertStoredExactlyOnce, commitAsMember, overriding, produce, readDeadLetters, sampleCorpus, storedCounts, waitUntilDone } from './support/faults.js';

let brokers: string[];
let store: TestStore;
let client: ClickHouseClient;
let stopKafka: () => Promise<void>;
let worker: IngestWorker | undefined;

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
  client = await openTestStore(store);
});

after(async () => {
  await worker?.stop();
  await client?.close();
  await store?.dispose();
  await stopKafka?.();
});

/**
 * The real kafkajs source, except that the first batch it hands over begins at `from`: the fetch
 * position a client can resume from after a rejoin, past the committed offset.
 */
function resumingPast(source: KafkaJsSource, from: bigint): LogSource {
  let resumed = false;
  return overriding(source, {
    start: (handlers) =>
      source.start({
        ...handlers,
        onBatch: (batch) => {
          if (resumed) return handlers.onBatch(batch);
          resumed = true;
          return handlers.onBatch({ ...batch, messages: batch.messages.filter((m) => BigInt(m.offset) >= from) });
        },
      }),
  });
}

test('a new owner whose fetch resumes past the committed intent reads again from the commit: nothing skipped', { timeout: 120_000 }, async () => {
  const topic = uniqueTopic('ingest-resume');
  const group = `${topic}-group`;
  const dlq = `${topic}.dlq`;
  await createTopic(brokers, topic, 1);
  await createTopic(brokers, dlq, 1);
  const { values, expected } = sampleCorpus(1);
  assert.equal(await produce(brokers, topic, values).done, values.length);
  // An earlier owner committed the intent of the whole batch and died before storing it.
  await commitAsMember(brokers, group, topic, '0', encodeIntent({ first: '0', last: String(values.length - 1) }));

  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-errors-test-resume', groupId: group, topic, dlqTopic: dlq, partitionsConcurrency: 1, logger });
  worker = new IngestWorker(resumingPast(source, BigInt(values.length / 2)), client, createExtractor(), { batchMaxRows: 100_000, batchMaxMs: 500 }, new IngestMetrics(createMetricsRegistry()), logger);
  await worker.start();
  try {
    await waitUntilDone(brokers, group, topic, 60_000);
  } finally {
    await worker.stop();
    worker = undefined;
  }
  assertStoredExactlyOnce(await storedCounts(client), expected);
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, dlq, expected.dead), topic, expected.dead);
});
