/**
 * A new owner whose Kafka client resumes past the committed offset: after a rejoin kafkajs can fetch
 * from a position of its previous assignment, past the intent the group committed. Found by the
 * cluster's rolling-restart fault test (a batch committed with records never read); here the real
 * kafkajs source hands the first batch over from that later position, and the worker must read
 * again from the commit: every event stored once, every dead letter published once.
 *
 * Also here, with the same real source: a partition that is behind goes in full batches. An aged
 * batch is filled, not stored, while the broker holds enough messages to fill it, because every
 * insert costs the store a fixed price per materialized view (docs/performance.md); once the
 * partition has caught up, its tail is stored by age, as before. The source hands each fetch over
 * in small slices, a while apart (as small fetches from a busy broker would come), so that without
 * the rule every slice would age into a batch of its own.
 *
 * And: records handed over again (at the same time as their fetch, or later, when some are pending
 * and some in batches handed to the store) are taken once. A batch that took them twice would store
 * their events twice under its own token, one that skipped some would lose them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createExtractor } from '@csbs-errors/extract';
import { IngestMetrics, IngestWorker, KafkaJsSource, encodeIntent, type BatchWriter, type LogSource } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { addExpectation, assertDeadLetteredExactlyOnce, assertStoredExactlyOnce, commitAsMember, corpusTopic, emptyExpectation, overriding, produce, readDeadLetters, sampleLines, storedCounts, waitUntilDone } from './support/faults.js';

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

/** Runs `running` (this file's `worker`, which `after` stops) until the group has committed all of `topic`, then stops it. */
async function ingestUntilDone(running: IngestWorker, group: string, topic: string, timeoutMs: number): Promise<void> {
  await running.start();
  try {
    await waitUntilDone(brokers, group, topic, timeoutMs);
  } finally {
    await running.stop();
    worker = undefined;
  }
}

test('a new owner whose fetch resumes past the committed intent reads again from the commit: nothing skipped', { timeout: 120_000 }, async () => {
  const { topic, group, dlq, values, expected } = await corpusTopic(brokers, 'ingest-resume', 1);
  // An earlier owner committed the intent of the whole batch and died before storing it.
  await commitAsMember(brokers, group, topic, '0', encodeIntent({ first: '0', last: String(values.length - 1) }));

  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-errors-test-resume', groupId: group, topic, dlqTopic: dlq, partitionsConcurrency: 1, logger });
  worker = new IngestWorker(resumingPast(source, BigInt(values.length / 2)), client, createExtractor(), { batchMaxRows: 100_000, batchMaxMs: 500 }, new IngestMetrics(createMetricsRegistry()), logger);
  await ingestUntilDone(worker, group, topic, 60_000);
  assertStoredExactlyOnce(await storedCounts(client), expected);
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, dlq, expected.dead), topic, expected.dead);
});

const BATCH_MAX_ROWS = 2_000;
const BATCH_MAX_MS = 250;
const SLICE = 500;
const SLICE_GAP_MS = 300;

/** The real kafkajs source, handing every fetch over in slices of SLICE messages, SLICE_GAP_MS apart. */
function inSlices(source: KafkaJsSource): LogSource {
  return overriding(source, {
    start: (handlers) =>
      source.start({
        ...handlers,
        onBatch: async (batch) => {
          for (let at = 0; at < batch.messages.length; at += SLICE) {
            if (at > 0) await sleep(SLICE_GAP_MS);
            await handlers.onBatch({ ...batch, messages: batch.messages.slice(at, at + SLICE) });
          }
        },
      }),
  });
}

/** Empties the tables that the exactly-once checks count (this file's tests share one store). */
async function emptyStore(): Promise<void> {
  const tables = await (await client.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND (name = 'events' OR name LIKE 'error\\_counts\\_%' OR name = 'request_counts_1m')", format: 'JSONEachRow' })).json<{ name: string }>();
  for (const { name } of tables) await client.command({ query: `TRUNCATE TABLE ${name}` });
}

/** A batch writer that also notes each batch's offset range (from its token). */
function notingRanges(ranges: Array<{ first: bigint; last: bigint }>): BatchWriter {
  return (target, batch) => {
    const range = /:(\d+)-(\d+)$/.exec(batch.token);
    assert.ok(range, `a batch token ends in its offset range: ${batch.token}`);
    ranges.push({ first: BigInt(range[1]!), last: BigInt(range[2]!) });
    return writeBatch(target, batch);
  };
}

test('a partition that is behind is stored in full batches; its caught-up tail by age', { timeout: 120_000 }, async () => {
  await emptyStore();
  const topic = uniqueTopic('ingest-backlog');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 1);
  await createTopic(brokers, `${topic}.dlq`, 1);
  // Messages of one request each (a few hold a further record the worker skips).
  const single = sampleLines().filter(({ expected }) => expected.requests === 1 && expected.dead === 0);
  const values: Buffer[] = [];
  const expected = emptyExpectation();
  while (values.length < 3 * BATCH_MAX_ROWS + BATCH_MAX_ROWS / 2) {
    for (const line of single) {
      values.push(line.value);
      addExpectation(expected, line.expected);
    }
  }
  assert.equal(await produce(brokers, topic, values).done, values.length);

  const ranges: Array<{ first: bigint; last: bigint }> = [];
  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-errors-test-backlog', groupId: group, topic, dlqTopic: `${topic}.dlq`, partitionsConcurrency: 1, logger });
  worker = new IngestWorker(inSlices(source), client, createExtractor(), { batchMaxRows: BATCH_MAX_ROWS, batchMaxMs: BATCH_MAX_MS }, new IngestMetrics(createMetricsRegistry()), logger, notingRanges(ranges));
  // Done while the worker runs: the tail, short of a full batch, was stored by age.
  await ingestUntilDone(worker, group, topic, 90_000);

  const sizes = ranges.map(({ first, last }) => Number(last - first + 1n));
  assert.equal(sizes.reduce((sum, size) => sum + size, 0), values.length, `every offset in one batch: ${sizes.join(', ')}`);
  // A full batch holds BATCH_MAX_ROWS records, in somewhat fewer messages; a slice is SLICE messages.
  assert.ok(sizes.length >= 3, `several batches: ${sizes.join(', ')}`);
  for (const size of sizes.slice(0, -1)) assert.ok(size > 0.9 * BATCH_MAX_ROWS && size <= BATCH_MAX_ROWS, `full batches while behind: ${sizes.join(', ')}`);
  assert.ok(sizes[sizes.length - 1]! < 0.9 * BATCH_MAX_ROWS, `the tail is a short batch: ${sizes.join(', ')}`);
  assertStoredExactlyOnce(await storedCounts(client), expected);
});

/**
 * The real kafkajs source, handing the last two thirds of every fetch over again: once at the same
 * time as the fetch (as overlapping fetches from an old and a new leader would come), once after
 * it, when the worker has taken those records, some into its pending batch and some into batches
 * handed to the store (as a client whose position went back would fetch them again).
 */
function handingOverAgain(source: KafkaJsSource): LogSource {
  return overriding(source, {
    start: (handlers) =>
      source.start({
        ...handlers,
        onBatch: async (batch) => {
          const again = { ...batch, messages: batch.messages.slice(Math.floor(batch.messages.length / 3)) };
          await Promise.all([handlers.onBatch(batch), handlers.onBatch(again)]);
          await handlers.onBatch(again);
        },
      }),
  });
}

test('records handed over again are taken once: every offset in one batch, every event stored once', { timeout: 120_000 }, async () => {
  await emptyStore();
  const { topic, group, dlq, values, expected } = await corpusTopic(brokers, 'ingest-again', 10);

  const ranges: Array<{ first: bigint; last: bigint }> = [];
  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-errors-test-again', groupId: group, topic, dlqTopic: dlq, partitionsConcurrency: 1, logger });
  worker = new IngestWorker(handingOverAgain(source), client, createExtractor(), { batchMaxRows: 1_000, batchMaxMs: 250 }, new IngestMetrics(createMetricsRegistry()), logger, notingRanges(ranges));
  await ingestUntilDone(worker, group, topic, 60_000);
  ranges.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  assert.ok(ranges.length >= 2, `some batches were handed to the store before a fetch came again: ${ranges.length}`);
  for (const [i, range] of ranges.entries()) assert.equal(range.first, i === 0 ? 0n : ranges[i - 1]!.last + 1n, `batches follow each other: ${JSON.stringify(ranges, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  assert.equal(ranges[ranges.length - 1]!.last, BigInt(values.length - 1));
  assertStoredExactlyOnce(await storedCounts(client), expected);
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, dlq, expected.dead), topic, expected.dead);
});
