/**
 * Exactly once across kill -9: the `ingest` worker (a child process on the embedded engine) is
 * killed several times while it stores batches of a corpus that keeps arriving; the last worker
 * drains it. Afterwards ClickHouse holds every expected event once (rollups included) and the
 * dead-letter topic every unreadable record once.
 *
 * Each kill waits until some partition is between its intent commit and its final commit (the
 * batch is "in flight": maybe stored, not committed), so that every restart has a batch to recover.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { waitForValue } from './support/wait.js';
import {
  assertDeadLetteredExactlyOnce,
  assertStoredExactlyOnce,
  killWorkers,
  expireMembers,
  logLines,
  operationsUrl,
  produce,
  readDeadLetters,
  sampleCorpus,
  startWorker,
  stopWorker,
  storedCounts,
  waitUntilDone,
  watchGroup,
  workerEnv,
  type GroupProgress,
} from './support/faults.js';

const KILLS = 4;

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
  await killWorkers();
  await store?.dispose();
  await stopKafka?.();
});

test(`kill -9 of the ingest worker mid-batch, ${KILLS} times: every event stored once, every dead letter published once`, { timeout: 150_000 }, async () => {
  const topic = uniqueTopic('ingest-kill');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 6);
  const { values, expected } = sampleCorpus(60); // 24 000 messages
  // Large batches (many records, seconds) so that batches are in flight when the worker dies.
  const env = workerEnv(brokers, topic, group, store.url, { INGEST_BATCH_MAX_ROWS: '3000', INGEST_BATCH_MAX_MS: '1500' });

  // 24 s of arrivals: the four rounds (start, join, work, kill) take 3-5 s each on a slow machine, and a
  // kill after the last arrival has nothing in flight.
  const producer = produce(brokers, topic, values, { ratePerSecond: 1_000 });
  const watch = await watchGroup(brokers, group, topic);
  const kills: Array<{ atKill: GroupProgress; afterKill: GroupProgress }> = [];
  let logs = '';
  try {
    for (let round = 0; round < KILLS; round++) {
      const worker = startWorker(env);
      const start = await watch.progress();
      // Let it work a while (it must have committed something of its own), then wait for a batch in flight.
      const progressed = Date.now() + 30_000;
      while ((await watch.progress()).committed <= start.committed) {
        assert.equal(worker.gone(), undefined, `worker ${round} died by itself:\n${worker.logs()}`);
        assert.ok(Date.now() < progressed, `worker ${round} made no progress:\n${worker.logs()}`);
        await sleep(50);
      }
      await sleep(200 + Math.random() * 1_500);
      let atKill = await watch.progress();
      const inFlightBy = Date.now() + 5_000;
      while (atKill.intents === 0 && Date.now() < inFlightBy) atKill = await watch.progress();
      worker.child.kill('SIGKILL');
      const exit = await worker.exited;
      assert.equal(exit.signal, 'SIGKILL');
      logs += worker.logs();
      kills.push({ atKill, afterKill: await watch.progress() });
      // The coordinator would drop the dead member after its session timeout; do it now.
      await expireMembers(brokers, group);
    }

    const last = startWorker(env);
    const sent = await producer.done;
    assert.equal(sent, values.length);
    await waitUntilDone(brokers, group, topic, 90_000, last.gone);
    // The killed workers may have committed everything already: stop the last one only once it is
    // up (its signal handlers installed), so that its stop is the graceful one under test.
    await waitForValue('the last worker to be up', 60_000, () => operationsUrl(last.logs()));
    const exit = await stopWorker(last);
    logs += last.logs();
    assert.equal(exit.code, 0, `the last worker stops cleanly:\n${last.logs()}`);
  } finally {
    producer.stop();
    await watch.close();
  }

  // The kills happened mid-way and left batches to recover, which the next workers rebuilt.
  for (const [i, kill] of kills.entries()) assert.ok(kill.afterKill.committed < kill.afterKill.end, `kill ${i} happened before the end: ${JSON.stringify(kill)}`);
  const leftInFlight = kills.filter((k) => k.afterKill.intents > 0).length;
  assert.ok(leftInFlight >= 1, `at least one kill left a batch in flight: ${JSON.stringify(kills)}`);
  assert.ok(logLines(logs, 'rebuilding a batch') >= leftInFlight, 'a restarted worker rebuilds each batch left in flight');

  const client = await openTestStore(store);
  try {
    assertStoredExactlyOnce(await storedCounts(client), expected);
  } finally {
    await client.close();
  }
  const letters = await readDeadLetters(brokers, `${topic}.dlq`, expected.dead);
  assertDeadLetteredExactlyOnce(letters, topic, expected.dead);
  console.log(`kills: ${JSON.stringify(kills.map((k) => ({ committed: k.afterKill.committed, end: k.afterKill.end, intents: k.afterKill.intents })))}`);
});
