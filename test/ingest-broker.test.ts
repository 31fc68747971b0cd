/**
 * Exactly once across broker outages: the `ingest` worker (a child on the embedded engine) reads
 * from a broker of the test's own (startPrivateKafka), which is stopped and started again while
 * batches are in flight, then killed (SIGKILL, no controlled shutdown) and started again. The worker
 * rides both out; afterwards every event is stored once and every dead letter published once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrivateKafka, uniqueTopic, createTopic, type PrivateKafka } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { waitForValue } from './support/wait.js';
import {
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  killWorkers,
  produce,
  readDeadLetters,
  sampleCorpus,
  startWorker,
  stopWorker,
  storedCounts,
  waitUntilDone,
  watchGroup,
  workerEnv,
  type WorkerChild,
} from './support/faults.js';

let kafka: PrivateKafka;
let store: TestStore;

before(async () => {
  kafka = await startPrivateKafka();
  store = await storeForTests();
});

after(async () => {
  await killWorkers();
  await store?.dispose();
  await kafka?.dispose();
});

/** Waits until the worker has committed past `from` and some partition has a batch in flight. */
async function midBatch(topic: string, group: string, worker: WorkerChild): Promise<void> {
  const watch = await watchGroup(kafka.brokers, group, topic);
  try {
    // A broker just (re)started answers GROUP_LOAD_IN_PROGRESS until its coordinator has loaded.
    const start = await waitForValue('the group progress', 30_000, () => watch.progress());
    const deadline = Date.now() + 60_000;
    for (;;) {
      assert.equal(worker.gone(), undefined, `the worker died:\n${worker.logs()}`);
      assert.ok(Date.now() < deadline, `no batch in flight within 60 s:\n${worker.logs()}`);
      const now = await watch.progress().catch(() => start);
      if (now.committed > start.committed && now.intents > 0) return;
      await sleep(20);
    }
  } finally {
    await watch.close();
  }
}

test('the broker stopped and started, then killed and started, mid-batch: every event stored once, every dead letter published once', { timeout: 150_000 }, async () => {
  const topic = uniqueTopic('ingest-broker');
  const group = `${topic}-group`;
  await createTopic(kafka.brokers, topic, 6);
  const { values, expected } = sampleCorpus(30); // 12 000 messages, produced in three parts
  const third = values.length / 3;
  const started = Date.now();
  const phases: string[] = [];
  const phase = (name: string) => phases.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  const worker = startWorker(workerEnv(kafka.brokers, topic, group, store.url, { INGEST_BATCH_MAX_ROWS: '2000', INGEST_BATCH_MAX_MS: '1000' }));

  // Records are produced while the broker is up; the outages hit the worker's reads, commits,
  // dead-letter transactions and group membership.
  assert.equal(await produce(kafka.brokers, topic, values.slice(0, third), { ratePerSecond: 2_000 }).done, third);
  await midBatch(topic, group, worker);
  phase('in flight');
  await kafka.stop();
  phase('stopped');
  await sleep(3_000);
  await kafka.start();
  phase('started');

  assert.equal(await produce(kafka.brokers, topic, values.slice(third, 2 * third), { ratePerSecond: 2_000 }).done, third);
  await midBatch(topic, group, worker);
  phase('in flight');
  await kafka.kill();
  phase('killed');
  await sleep(2_000);
  await kafka.start();
  phase('started');

  assert.equal(await produce(kafka.brokers, topic, values.slice(2 * third)).done, values.length - 2 * third);
  await waitUntilDone(kafka.brokers, group, topic, 90_000, worker.gone);
  phase('done');
  const exit = await stopWorker(worker);
  assert.equal(exit.code, 0, `the worker stops cleanly:\n${worker.logs()}`);

  const client = await openTestStore(store);
  try {
    assertStoredExactlyOnce(await storedCounts(client), expected);
  } finally {
    await client.close();
  }
  assertDeadLetteredExactlyOnce(await readDeadLetters(kafka.brokers, `${topic}.dlq`, expected.dead), topic, expected.dead);
  console.log(`phases: ${phases.join(', ')}`);
});
