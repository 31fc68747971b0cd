/**
 * Exactly once across rebalances: up to three ingest workers in one consumer group on a real broker,
 * storing into one real engine. They run in this process (the embedded engine binds one data dir
 * per process, so several `ingest` children cannot share one store); each has its own kafkajs
 * client and group membership, so the group protocol is the real one. Members join and leave while
 * records keep arriving and while their flushes are slow (the store answers late), so rebalances
 * land between intents, inserts and commits. Afterwards every event is stored once and every dead
 * letter published once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createExtractor } from '@csbs-errors/extract';
import { IngestMetrics, IngestWorker, KafkaJsSource, type BatchWriter } from '@csbs-errors/ingest';
import { createMetricsRegistry, type Logger } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import {
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  produce,
  readDeadLetters,
  sampleCorpus,
  storedCounts,
  waitUntilDone,
  watchGroup,
} from './support/faults.js';

let brokers: string[];
let store: TestStore;
let client: ClickHouseClient;
let stopKafka: () => Promise<void>;
/** Members still in the group (stopped by the test, or by `after` when it failed or timed out). */
const members = new Map<string, IngestWorker>();

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
  client = await openTestStore(store);
});

after(async () => {
  await Promise.allSettled([...members.values()].map((worker) => worker.stop()));
  await client?.close();
  await store?.dispose();
  await stopKafka?.();
});

/** A logger that keeps the messages (a member's log is part of what the test checks). */
function recordingLogger(lines: string[]): Logger {
  const record = (level: string) => (first: unknown, second?: unknown) => void lines.push(`${level}: ${typeof first === 'string' ? first : String(second)}`);
  const logger = { info: record('info'), warn: record('warn'), error: record('error'), debug: () => undefined, child: () => logger };
  return logger as unknown as Logger;
}

/**
 * The real writer, late: up to 800 ms before the insert and up to 800 ms before it returns, so that
 * some flushes outlast a heartbeat (1 s) and a rebalance finds the worker waiting for the store.
 */
const slowWriter: BatchWriter = async (target, batch) => {
  await sleep(Math.random() * 800);
  await writeBatch(target, batch);
  await sleep(Math.random() * 800);
};

/** The kafkajs source, counting the seeks the worker asks for when it gives its partitions up. */
class CountingSource extends KafkaJsSource {
  static seeks = 0;
  override seek(topic: string, partition: number, offset: string): void {
    CountingSource.seeks += 1;
    super.seek(topic, partition, offset);
  }
}

test('members joining and leaving a group mid-batch: every event stored once, every dead letter published once', { timeout: 120_000 }, async () => {
  const topic = uniqueTopic('ingest-rebalance');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 6);
  const { values, expected } = sampleCorpus(50); // 20 000 messages
  const extractor = createExtractor();
  const logs: string[] = [];

  const join = async (name: string) => {
    const logger = recordingLogger(logs);
    const source = new CountingSource({ brokers, clientId: `csbs-test-${name}`, groupId: group, topic, dlqTopic: `${topic}.dlq`, partitionsConcurrency: 6, logger });
    const worker = new IngestWorker(source, client, extractor, { batchMaxRows: 800, batchMaxMs: 2_000 }, new IngestMetrics(createMetricsRegistry()), logger, slowWriter);
    await worker.start();
    members.set(name, worker);
  };
  const leave = async (name: string) => {
    await members.get(name)?.stop();
    members.delete(name);
  };

  const producer = produce(brokers, topic, values, { ratePerSecond: 2_500 }); // 8 s of records
  const watch = await watchGroup(brokers, group, topic);
  const atRebalance: number[] = [];
  try {
    await Promise.all([join('a'), join('b')]);
    const steps: Array<[string, () => Promise<void>]> = [
      ['c joins', () => join('c')],
      ['a leaves', () => leave('a')],
      ['d joins', () => join('d')],
      ['b leaves', () => leave('b')],
    ];
    for (const [, step] of steps) {
      await sleep(1_000 + Math.random() * 1_000);
      atRebalance.push((await watch.progress()).intents);
      await step();
    }
    assert.equal(await producer.done, values.length);
    await waitUntilDone(brokers, group, topic, 60_000);
  } finally {
    producer.stop();
    await watch.close();
    await Promise.all([...members.keys()].map((name) => leave(name)));
  }

  assertStoredExactlyOnce(await storedCounts(client), expected);
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, `${topic}.dlq`, expected.dead), topic, expected.dead);
  const rebuilt = logs.filter((l) => l.startsWith('info: rebuilding a batch')).length;
  console.log(`batches in flight at the rebalances: ${JSON.stringify(atRebalance)}; rebuilt by a new owner: ${rebuilt}; seeks after a lost heartbeat: ${CountingSource.seeks}`);
});
