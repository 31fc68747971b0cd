/**
 * A zombie owner cannot publish dead letters twice. The previous owner of a partition committed its
 * batch intent, opened the dead-letter transaction (letters sent, offsets added) and then stalled:
 * a GC pause, a frozen VM, SIGSTOP. The group gave the partition to another worker. When the old
 * owner wakes up and commits, its transaction must fail, because the new owner fenced the
 * partition's transactional id when it took the partition over; else the letters would be
 * published twice (once by each). The new owner is a real worker (real broker, real engine); the
 * stalled owner is played by a kafkajs transactional producer with the partition's transactional id,
 * doing what the worker does in its dead-letter step.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { createExtractor } from '@csbs-errors/extract';
import { IngestMetrics, IngestWorker, KafkaJsSource, PartitionBatchBuilder, partitionTransactionalId, encodeIntent, type BatchWriter } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { kafkaForTests } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import {
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  commitAsMember,
  corpusTopic,
  readDeadLetters,
  storedCounts,
  waitUntilDone,
  watchGroup,
} from './support/faults.js';

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


test('a stalled owner that commits its dead-letter transaction after losing the partition is fenced: no letter twice', { timeout: 120_000 }, async () => {
  const { topic, group, dlq, values, expected } = await corpusTopic(brokers, 'ingest-zombie', 1); // offsets 0..399 of partition 0, 4 of them unreadable
  const range = { first: '0', last: String(values.length - 1) };

  // The stalled owner: intent committed, transaction open with the batch's letters and offsets.
  await commitAsMember(brokers, group, topic, range.first, encodeIntent(range));
  const builder = new PartitionBatchBuilder(topic, 0);
  const extractor = createExtractor();
  values.forEach((value, offset) => builder.add(String(offset), extractor.extractMessage(value)));
  assert.equal(builder.deadLetters.length, expected.dead);
  const zombie = new kafkajs.Kafka({ brokers, clientId: 'csbs-errors-test-zombie', logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 3 } }).producer({ transactionalId: partitionTransactionalId(group, topic, 0), idempotent: true, maxInFlightRequests: 1 });
  await zombie.connect();
  const transaction = await zombie.transaction();
  await transaction.send({ topic: dlq, messages: builder.deadLetters });
  await transaction.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: String(values.length) }] }] });

  // The new owner takes the partition over; its insert waits until the stalled owner has tried to commit.
  let entered!: () => void;
  const inserting = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const gated: BatchWriter = async (target, batch) => {
    entered();
    await released;
    await writeBatch(target, batch);
  };
  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-errors-test-owner', groupId: group, topic, dlqTopic: dlq, partitionsConcurrency: 1, logger });
  worker = new IngestWorker(source, client, extractor, { batchMaxRows: 100_000, batchMaxMs: 500 }, new IngestMetrics(createMetricsRegistry()), logger, gated);
  await worker.start();
  let zombieCommitted: boolean;
  try {
    await inserting;
    zombieCommitted = await transaction.commit().then(
      () => true,
      () => false,
    );
    release();
    await waitUntilDone(brokers, group, topic, 60_000);
  } finally {
    release();
    await worker.stop();
    worker = undefined;
    await zombie.disconnect().catch(() => undefined);
  }

  const watch = await watchGroup(brokers, group, topic);
  assert.deepEqual(await watch.progress(), { committed: values.length, end: values.length, intents: 0 });
  await watch.close();
  assertStoredExactlyOnce(await storedCounts(client), expected);
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, dlq, expected.dead), topic, expected.dead);
  assert.equal(zombieCommitted, false, "the stalled owner's late commit fails (its producer is fenced)");
});
