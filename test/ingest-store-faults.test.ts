/**
 * Exactly once while the store fails for a while: the `ingest` worker (a child on the embedded
 * engine) runs with the store fault hook of test/support/faults.ts; while the fault file exists its
 * inserts fail, before the insert or after it (the rows are in, the acknowledgement is lost), at
 * random per insert, so that batches end up half written (request counts in, events not). The
 * worker retries each batch with the same deduplication token; afterwards every event is stored
 * once, the rollups count it once and every dead letter is published once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { waitForValue } from './support/wait.js';
import {
  STORE_FAULT_ENV,
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  killWorkers,
  produce,
  readDeadLetters,
  sampleCorpus,
  startWorker,
  stopWorker,
  storeFaultsInjected,
  storedCounts,
  waitUntilDone,
  watchGroup,
  operationsUrl,
  workerEnv,
} from './support/faults.js';

let brokers: string[];
let store: TestStore;
let stopKafka: () => Promise<void>;
let faultDir: string;

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
  faultDir = mkdtempSync(join(tmpdir(), 'csbs-faults-'));
});

after(async () => {
  await killWorkers();
  await store?.dispose();
  await stopKafka?.();
  if (faultDir) rmSync(faultDir, { recursive: true, force: true });
});

test('the store failing for a while (before and after inserts): every event stored once, every dead letter published once', { timeout: 120_000 }, async () => {
  const topic = uniqueTopic('ingest-store-faults');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 6);
  const { values, expected } = sampleCorpus(40); // 16 000 messages
  const faultFile = join(faultDir, 'store-down');
  const worker = startWorker(
    workerEnv(brokers, topic, group, store.url, { INGEST_BATCH_MAX_ROWS: '1000', INGEST_BATCH_MAX_MS: '300', [STORE_FAULT_ENV]: faultFile }),
    { storeFaults: true },
  );
  const producer = produce(brokers, topic, values, { ratePerSecond: 2_000 });
  const watch = await watchGroup(brokers, group, topic);
  const stalls: number[] = [];
  try {
    // The store fails only once the worker has migrated it (a failing migration stops it: start-up).
    await waitForValue('the worker to be up', 60_000, () => operationsUrl(worker.logs()));
    // Outages of each kind, with recoveries in between, while records keep arriving.
    for (const mode of ['random', 'after', 'before', 'random']) {
      await sleep(800 + Math.random() * 700);
      writeFileSync(faultFile, mode);
      const down = await watch.progress();
      await sleep(1_500 + Math.random() * 1_000);
      // Nothing is committed past a batch that is not stored (commits may still land for batches stored before).
      stalls.push((await watch.progress()).committed - down.committed);
      rmSync(faultFile, { force: true });
      assert.equal(worker.gone(), undefined, `the worker survives a store outage:\n${worker.logs()}`);
    }
    assert.equal(await producer.done, values.length);
    await waitUntilDone(brokers, group, topic, 60_000, worker.gone);
  } finally {
    producer.stop();
    rmSync(faultFile, { force: true });
    await watch.close();
  }
  const exit = await stopWorker(worker);
  assert.equal(exit.code, 0, `the worker stops cleanly:\n${worker.logs()}`);

  const injected = storeFaultsInjected(faultFile);
  assert.ok((injected.before ?? 0) > 0 && (injected.after ?? 0) > 0, `inserts failed before and after writing: ${JSON.stringify(injected)}`);
  assert.ok(worker.logs().includes('store failed; retrying'), 'the worker retried the store');

  const client = await openTestStore(store);
  try {
    assertStoredExactlyOnce(await storedCounts(client), expected);
  } finally {
    await client.close();
  }
  assertDeadLetteredExactlyOnce(await readDeadLetters(brokers, `${topic}.dlq`, expected.dead), topic, expected.dead);
  console.log(`faults injected: ${JSON.stringify(injected)}; committed during outages: ${JSON.stringify(stalls)}`);
});
