/**
 * Health that tells: while the store refuses every insert, the `ingest` worker (a child on the
 * embedded engine, store fault hook of test/support/faults.ts) consumes records but commits nothing.
 * The lag gauge shows the real committed lag (high watermark minus committed offset, the same as the
 * group's offsets say), not 0; after INGEST_STALL_AFTER_MS /readyz is 503 naming the stalled
 * partitions and the stall gauge is 1. Once the store is back, everything is stored once, the lag
 * gauge falls to 0 and /readyz is 200 again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { waitForValue } from './support/wait.js';
import {
  STORE_FAULT_ENV,
  assertStoredExactlyOnce,
  groupProgress,
  killWorkers,
  operationsUrl,
  produce,
  sampleCorpus,
  startWorker,
  stopWorker,
  storeFaultsInjected,
  storedCounts,
  waitUntilDone,
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
  faultDir = mkdtempSync(join(tmpdir(), 'csbs-health-'));
});

after(async () => {
  await killWorkers();
  await store?.dispose();
  await stopKafka?.();
  if (faultDir) rmSync(faultDir, { recursive: true, force: true });
});

/** Sum of a metric's samples (all label sets). */
async function metricSum(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').at(-1));
  return sum;
}

test('nothing committed while the store fails: the lag gauge is the committed lag, /readyz 503 names the stall; then 0 and 200', { timeout: 180_000 }, async () => {
  const topic = uniqueTopic('ingest-health');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 3);
  const { values, expected } = sampleCorpus(5);
  const faultFile = join(faultDir, 'store-down');
  const worker = startWorker(
    workerEnv(brokers, topic, group, store.url, { INGEST_BATCH_MAX_MS: '300', INGEST_LAG_POLL_MS: '500', INGEST_STALL_AFTER_MS: '3000', [STORE_FAULT_ENV]: faultFile }),
    { storeFaults: true },
  );
  try {
    // The store fails from once the worker has migrated it, before any record arrives.
    const base = await waitForValue('the worker to serve /metrics', 60_000, () => operationsUrl(worker.logs()));
    writeFileSync(faultFile, 'before');
    assert.equal(await produce(brokers, topic, values).done, values.length);
    await waitForValue('inserts to fail', 60_000, () => (storeFaultsInjected(faultFile).before ?? 0) > 0 || undefined);

    // The gauge agrees with the group's offsets: everything produced is still to be committed.
    const lag = await waitForValue('the lag gauge to show the committed lag', 30_000, async () => {
      const progress = await groupProgress(brokers, group, topic);
      const gauge = await metricSum(base, 'csbs_errors_consumer_lag');
      return gauge === progress.end - progress.committed && gauge > 0 ? gauge : undefined;
    });
    assert.equal(lag, values.length, 'nothing committed: the whole topic is lag');

    const stalled = await waitForValue('/readyz 503 with the stall', 30_000, async () => {
      const response = await fetch(`${base}/readyz`);
      const body = (await response.json()) as { ingest?: { ready: boolean; reason?: string } };
      return response.status === 503 && /no committed progress/.test(body.ingest?.reason ?? '') ? body : undefined;
    });
    assert.equal(stalled.ingest?.ready, false);
    assert.match(stalled.ingest?.reason ?? '', new RegExp(`${topic}/\\d`));
    assert.ok((await metricSum(base, 'csbs_errors_ingest_partition_stalled')) >= 1, 'the stall gauge is set');
    assert.equal(await metricSum(base, 'csbs_errors_ingest_ready'), 0);

    rmSync(faultFile);
    await waitUntilDone(brokers, group, topic, 90_000, worker.gone);
    await waitForValue('lag 0 and /readyz 200', 30_000, async () =>
      (await metricSum(base, 'csbs_errors_consumer_lag')) === 0 && (await fetch(`${base}/readyz`)).status === 200 ? true : undefined,
    );
    assert.equal(await metricSum(base, 'csbs_errors_ingest_partition_stalled'), 0);
    assert.equal(await metricSum(base, 'csbs_errors_ingest_ready'), 1);
  } catch (error) {
    await stopWorker(worker, 'SIGKILL');
    throw new Error(`${(error as Error).message}\n${worker.logs().slice(-5_000)}`);
  }
  assert.equal((await stopWorker(worker)).code, 0);
  const client = await openTestStore(store);
  try {
    assertStoredExactlyOnce(await storedCounts(client), expected);
  } finally {
    await client.close();
  }
});
