/**
 * An owner whose commit fails because another owner fenced the partition meanwhile: in a rebalance
 * the member that loses a partition can go on for a while before it hears of it. Found by the
 * cluster's rolling-restart fault test: the old owner fenced back with a new producer and committed
 * over the new owner's intent, and the next owner formed other batches over rows stored already
 * (events stored twice). Made deterministic here on one broker with the real kafkajs source: the
 * worker must take the partition over again, find the new owner's intent and rebuild exactly that
 * batch. Every event stored once, every dead letter published once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { createExtractor } from '@csbs-errors/extract';
import { IngestMetrics, IngestWorker, KafkaJsSource, decodeIntent, encodeIntent, partitionTransactionalId } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import type { ClickHouseClient } from '@csbs-errors/store';
import { kafkaForTests } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { assertDeadLetteredExactlyOnce, assertStoredExactlyOnce, corpusTopic, overriding, readDeadLetters, storedCounts, waitUntilDone } from './support/faults.js';

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
 * Another owner of the partition, as a rebalance the worker has not heard of yet would make one: it
 * fences the partition's transactional id (a new epoch) and commits `offset` with `metadata`, the
 * intent of a batch it is about to store.
 */
async function commitAsNewOwner(group: string, topic: string, offset: string, metadata: string): Promise<void> {
  const kafka = new kafkajs.Kafka({ clientId: 'csbs-errors-test-new-owner', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: partitionTransactionalId(group, topic, 0), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    await transaction.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset, metadata } as kafkajs.PartitionOffset] }] });
    await transaction.commit();
  } finally {
    await producer.disconnect();
  }
}

test('an owner whose intent fails because a new owner fenced it takes the partition over again and rebuilds the new owner\'s intent', { timeout: 120_000 }, async () => {
  const { topic, group, dlq, values, expected } = await corpusTopic(brokers, 'ingest-refenced', 2);
  const batchMaxRows = Math.floor(values.length / 4);

  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-errors-test-refenced', groupId: group, topic, dlqTopic: dlq, partitionsConcurrency: 1, logger });
  // What the worker commits, in order, and what became of its second intent.
  const commits: Array<{ offset: string; metadata: string | null }> = [];
  let newIntent: { first: string; last: string } | null = null;
  let interceptedFailure: unknown = null;
  const commit = async (offset: string, metadata: string | null, send: () => Promise<void>): Promise<void> => {
    commits.push({ offset, metadata });
    if (newIntent === null && metadata !== null && offset !== '0') {
      // The first batch is committed; before the intent of the second reaches the broker, a new
      // owner takes the partition over and commits the intent of a batch of its own.
      newIntent = { first: offset, last: (BigInt(offset) + BigInt(Math.floor(batchMaxRows / 2))).toString() };
      await commitAsNewOwner(group, topic, offset, encodeIntent(newIntent));
      try {
        await send();
      } catch (error) {
        interceptedFailure = error;
        throw error;
      }
      return;
    }
    await send();
  };
  const intercepting = overriding(source, {
    commit: (t, partition, offset, metadata) => commit(offset, metadata, () => source.commit(t, partition, offset, metadata)),
    commitWithDeadLetters: (t, partition, offset, letters, due) => commit(offset, null, () => source.commitWithDeadLetters(t, partition, offset, letters, due)),
  });
  worker = new IngestWorker(intercepting, client, createExtractor(), { batchMaxRows, batchMaxMs: 1_000 }, new IngestMetrics(createMetricsRegistry()), logger);
  await worker.start();
  try {
    await waitUntilDone(brokers, group, topic, 60_000);
  } finally {
    await worker.stop();
    worker = undefined;
  }

  assert.ok(newIntent !== null, 'the second batch reached its intent');
  // Fenced (an old epoch), or refused while the new owner's transaction is being completed.
  assert.match(String(interceptedFailure), /old epoch|fenced|concurrent operation/i, 'the fenced intent failed at the broker');
  const failedAt = commits.findIndex((entry) => entry.metadata !== null && entry.offset !== '0');
  const next = commits[failedAt + 1];
  assert.ok(next !== undefined, 'the worker committed after the failure');
  const rebuilt = decodeIntent(next.metadata);
  assert.deepEqual(rebuilt && { first: rebuilt.first, last: rebuilt.last }, newIntent, `after the failure the worker rebuilds the new owner's intent (it committed ${JSON.stringify(next)})`);
  assertStoredExactlyOnce(await storedCounts(client), expected);
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, dlq, expected.dead), topic, expected.dead);
});
