/**
 * End to end, on the real pieces: gateway records produced to a real Kafka broker, `serve` (ingest +
 * API + alerter) with a short evaluation step from a rules file, and a real Alertmanager on loopback
 * (ALERTMANAGER_URL when set, else scripts/alertmanager-local.sh on a free port). A CSBS.9999 spike
 * shows up as an active alert in Alertmanager and is resolved after it; a webhook receiver gets the
 * firing and the resolved message.
 *
 * The only test of the alerter that uses the wall clock: the records carry "now"-relative times
 * (five normal minutes, then a spike in the minute that just ended), and the alert resolves when the
 * current minute, normal again, is complete.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaForTests, uniqueTopic, createTopic, testKafkaClient, REPO_ROOT } from './support/kafka.js';
import { storeForTests, type TestStore } from './support/store.js';
import { startServe, stopChild } from './support/cli.js';
import { waitForValue } from './support/wait.js';

const MINUTE = 60_000;
const TENANT = '5eda92d864ac5db9d707107e855c3844';
const OTHER_TENANT = '78255d6807923986bb968a437d5c8dfc';

let brokers: string[];
let stopKafka: () => Promise<void>;
let store: TestStore;
let alertmanagerUrl: string;
let stopAlertmanager: () => Promise<void> = async () => undefined;
let workDir: string;

function script(command: 'start' | 'stop', env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(REPO_ROOT, 'scripts', 'alertmanager-local.sh'), command], { env: { ...process.env, ...env }, timeout: 600_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`alertmanager-local.sh ${command}: ${error.message}\n${stderr}`));
      else resolve(stdout.trim().split('\n').at(-1) ?? '');
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
  workDir = mkdtempSync(join(tmpdir(), 'csbs-alerts-e2e-'));
  const fromEnv = process.env.ALERTMANAGER_URL?.trim();
  if (fromEnv) {
    alertmanagerUrl = fromEnv;
  } else {
    const env = { ALERTMANAGER_PORT: String(await freePort()), ALERTMANAGER_DATA_DIR: join(workDir, 'alertmanager') };
    alertmanagerUrl = await script('start', env);
    stopAlertmanager = async () => void (await script('stop', env));
  }
});

after(async () => {
  await stopAlertmanager();
  await store?.dispose();
  await stopKafka?.();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Gateway records (flat format) of one minute: `errors` CSBS.9999 failures and `ok` successes. */
function minuteRecords(minuteStart: number, errors: number, ok: number, until = minuteStart + MINUTE): string[] {
  const records: string[] = [];
  const total = errors + ok;
  const span = Math.max(1, until - minuteStart - 1);
  for (let i = 0; i < total; i++) {
    const ts = new Date(minuteStart + Math.floor((i * span) / total)).toISOString();
    const failed = i < errors;
    const tenant = i % 4 === 3 ? OTHER_TENANT : TENANT;
    records.push(
      JSON.stringify({
        timestamp: ts,
        method: 'POST',
        path: `/v1/${tenant}/providers/p1/checkpoints`,
        response_code: failed ? '500' : '200',
        request_id: `e2e-${minuteStart}-${i}`,
        upstream_cluster: 'csbs',
        ...(failed ? { resp_body: { error_code: 'CSBS.9999', error_msg: 'backup failed' } } : {}),
      }),
    );
  }
  return records;
}

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  startsAt: string;
}

async function alertmanagerAlerts(alertname: string): Promise<AmAlert[]> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
  assert.equal(response.status, 200);
  return (await response.json()) as AmAlert[];
}

function webhookReceiver(): Promise<{ server: Server; url: string; messages: Array<{ status: string; alerts: Array<{ labels: Record<string, string> }> }> }> {
  const messages: Array<{ status: string; alerts: Array<{ labels: Record<string, string> }> }> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof messages)[number]);
      response.writeHead(200).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, messages })));
}

test('a CSBS.9999 spike produced to Kafka becomes an active alert in Alertmanager, and is resolved after it', async () => {
  const topic = uniqueTopic('alerts-e2e');
  await createTopic(brokers, topic, 1);
  const alertname = `E2ESpike_${Date.now().toString(36)}`;
  const rulesFile = join(workDir, 'rules.json');
  writeFileSync(
    rulesFile,
    JSON.stringify([
      {
        name: alertname,
        codes: ['CSBS.9999'],
        step: '2s',
        window: '1m',
        method: 'rate',
        baseline: { lookback: '5m', minSamples: 3 },
        minCount: 20,
        pendingFor: 0,
        keepFiringFor: 0,
        cooldown: 0,
      },
    ]),
  );
  const webhook = await webhookReceiver();
  const serve = await startServe({
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `${topic}-group`,
    CLICKHOUSE_URL: store.url,
    RETENTION_DAYS: '0',
    PORT: '0',
    INGEST_BATCH_MAX_MS: '200',
    ALERT_RULES_FILE: rulesFile,
    ALERTMANAGER_URL: alertmanagerUrl,
    ALERT_WEBHOOK_URL: webhook.url,
    ALERT_EVALUATION_DELAY: '1s',
    ALERT_RESEND_INTERVAL: '5s',
  });
  const producer = testKafkaClient(brokers).producer();
  await producer.connect();
  try {
    // Late in a minute, wait for the next one: the alert must stay firing long enough to be seen.
    if (Date.now() % MINUTE > 45_000) await sleep(MINUTE - (Date.now() % MINUTE) + 1_000);
    const now = Date.now();
    const current = Math.floor(now / MINUTE) * MINUTE;
    const records = [
      ...[6, 5, 4, 3, 2].flatMap((ago) => minuteRecords(current - ago * MINUTE, 5, 400)),
      ...minuteRecords(current - MINUTE, 120, 400), // the spike: 24× the error rate
      ...minuteRecords(current, 5, 400, now), // the current minute, normal so far
    ];
    await producer.send({ topic, messages: records.map((value) => ({ value })), acks: -1 });

    const firing = await waitForValue('the alert active in Alertmanager', 30_000, async () => {
      const alerts = await alertmanagerAlerts(alertname);
      return alerts.find((a) => a.status.state === 'active');
    });
    const { incident, ...identity } = firing.labels;
    assert.deepEqual(identity, { alertname, code: 'CSBS.9999', severity: 'critical' });
    assert.match(incident ?? '', /^CSBS\.9999-\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    assert.equal(firing.annotations.count, '120');
    assert.ok(Number(firing.annotations.factor) >= 10, `factor ${firing.annotations.factor}`);
    assert.ok(Number(firing.annotations.baseline) > 2 && Number(firing.annotations.baseline) < 10, `baseline ${firing.annotations.baseline}`);
    assert.match(firing.annotations.dashboard ?? '', /^http:\/\/127\.0\.0\.1:\d+\/\?code=CSBS\.9999&from=/);
    assert.equal(firing.annotations.requests, '520');

    // The current minute is normal: once it is complete, the alert resolves (endsAt) and leaves
    // Alertmanager's list of alerts.
    await waitForValue('the alert resolved in Alertmanager', 75_000, async () => ((await alertmanagerAlerts(alertname)).length === 0 ? true : undefined));
    await waitForValue('the resolved webhook message', 10_000, async () => (webhook.messages.some((m) => m.status === 'resolved') ? true : undefined));
    assert.deepEqual(webhook.messages.map((m) => [m.status, m.alerts[0]?.labels.alertname]), [
      ['firing', alertname],
      ['resolved', alertname],
    ]);
  } finally {
    await producer.disconnect();
    await new Promise<void>((resolve) => webhook.server.close(() => resolve()));
    assert.equal(await stopChild(serve.child), 0, serve.logs());
  }
});
