/**
 * Start-up never leaves a process up and silent. `serve` started while its broker (a private one)
 * is down opens its HTTP port at once: the API answers, /readyz is 503 and says why ingest is not
 * consuming; once the broker is up, ingest joins by itself and stores everything once. After a
 * kill -9, a restarted `serve` answers while its consumer is still joining the group (the dead
 * member's session has to expire first). `serve`, `api`, `ingest` and `alerter` that cannot reach their
 * store exit non-zero with a message instead of hanging.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startPrivateKafka, createTopic, uniqueTopic, type PrivateKafka } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { runCli, startServe, stopChild } from './support/cli.js';
import { waitForValue } from './support/wait.js';
import { assertStoredExactlyOnce, produce, sampleCorpus, storedCounts, waitUntilDone } from './support/faults.js';

let kafka: PrivateKafka;
let store: TestStore;

before(async () => {
  kafka = await startPrivateKafka();
  store = await storeForTests();
});

after(async () => {
  await store?.dispose();
  await kafka?.dispose();
});

interface Readiness {
  status: number;
  ingest?: { ready: boolean; state: string; reason?: string };
}

async function readyz(url: string): Promise<Readiness> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { ingest?: Readiness['ingest'] };
  return { status: response.status, ingest: body.ingest };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 1;
}

test('serve with the broker down answers at once, /readyz says why, and ingest joins once the broker is up; after kill -9 the API answers while the group is joining', { timeout: 240_000 }, async () => {
  const topic = uniqueTopic('serve-startup');
  const group = `${topic}-group`;
  const { values, expected } = sampleCorpus(2);
  await createTopic(kafka.brokers, topic, 3);
  await kafka.stop();
  const env = { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_TOPIC: topic, KAFKA_GROUP_ID: group, CLICKHOUSE_URL: store.url, RETENTION_DAYS: '0', PORT: '0', INGEST_BATCH_MAX_MS: '200' };

  // A dead member stays in the group for its own session timeout: 30 s for this first serve, so that
  // the window after its kill -9 is wide.
  let serve = await startServe({ ...env, KAFKA_SESSION_TIMEOUT_MS: '30000' });
  try {
    const health = await fetch(`${serve.url}/healthz`);
    assert.equal(health.status, 200);
    const events = await fetch(`${serve.url}/v1/events?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z`);
    assert.equal(events.status, 200, 'the API answers while ingest cannot reach Kafka');
    const down = await readyz(serve.url);
    assert.equal(down.status, 503);
    assert.equal(down.ingest?.ready, false);
    assert.equal(down.ingest?.state, 'starting');
    assert.match(down.ingest?.reason ?? '', /Kafka|connect/i, `says why: ${down.ingest?.reason}`);

    await kafka.start();
    assert.equal(await produce(kafka.brokers, topic, values).done, values.length);
    await waitUntilDone(kafka.brokers, group, topic, 120_000);
    await waitForValue('/readyz 200 once ingest consumes', 60_000, async () => ((await readyz(serve.url)).status === 200 ? true : undefined));

    // kill -9, then at once a new serve: the old member stays in the group until its session
    // expires, and the API must not wait for it.
    await stopChild(serve.child, 'SIGKILL');
    serve = await startServe(env);
    const joining = await readyz(serve.url);
    assert.equal(joining.status, 503, 'the API answers before the consumer has joined');
    assert.equal(joining.ingest?.state, 'starting');
    assert.match(joining.ingest?.reason ?? '', /joining|connecting/);
    await waitForValue('/readyz 200 after the restart', 90_000, async () => ((await readyz(serve.url)).status === 200 ? true : undefined));

    // Once more with the default session timeout: how long until the restarted worker consumes again.
    await stopChild(serve.child, 'SIGKILL');
    const killed = Date.now();
    serve = await startServe(env);
    const answered = Date.now();
    await waitForValue('/readyz 200 after the second restart', 90_000, async () => ((await readyz(serve.url)).status === 200 ? true : undefined));
    console.log(`after kill -9 with the default session timeout: API answering after ${((answered - killed) / 1000).toFixed(1)} s, consuming after ${((Date.now() - killed) / 1000).toFixed(1)} s`);
  } finally {
    assert.equal(await stopChild(serve.child), 0, serve.logs());
  }
  const client = await openTestStore(store);
  try {
    assertStoredExactlyOnce(await storedCounts(client), expected);
  } finally {
    await client.close();
  }
});

test('serve, api, ingest and alerter that cannot reach their store exit non-zero with a message', { timeout: 120_000 }, async () => {
  const port = await closedPort();
  for (const command of ['serve', 'api', 'ingest', 'alerter']) {
    const result = await runCli([command], { CLICKHOUSE_URL: `http://127.0.0.1:${port}/none`, KAFKA_BROKERS: kafka.brokers.join(','), PORT: '0' });
    assert.notEqual(result.code, 0, `${command} exits non-zero`);
    assert.match(result.stderr, /^csbs-errors: .*ECONNREFUSED/m, `${command} says why: ${result.stderr.slice(-500)}`);
  }
});
