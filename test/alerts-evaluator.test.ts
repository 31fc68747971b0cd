/**
 * The evaluator on a real store (fresh embedded ClickHouse for this file) with fixed-timestamp data and
 * a clock the test drives: every transition persisted and notified (Alertmanager v2 shape and webhook
 * shape, received by a local HTTP receiver), a restart in the middle of firing (state reloaded, no
 * second page), Alertmanager down (counted, retried, never fatal), and the lease (one active
 * evaluator; a standby takes over after expiry and carries the firing alert on).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createMetricsRegistry, type Registry } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient, type StoredEvent } from '@csbs-errors/store';
import {
  AlerterMetrics,
  AlertTable,
  AlertmanagerTarget,
  Evaluator,
  Lease,
  WebhookTarget,
  parseRules,
  type NotifyTarget,
  type Rule,
} from '@csbs-errors/alerter';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { storedEvent } from './support/events.js';

const MINUTE = 60_000;
const S = 1_000;
/** Minute 0 of the data; the spike is minutes 10 and 11. */
const T0 = Date.UTC(2026, 9, 5, 12, 0);
const SETTLE = 3 * S;
/** The evaluation instant that first judges minute `m` (relative to T0). */
const judging = (m: number) => T0 + (m + 1) * MINUTE + SETTLE;

const RULES: Rule[] = parseRules([
  { name: 'TestSpike', codes: ['CSBS.9999'], baseline: { lookback: '10m', minSamples: 5 }, pendingFor: '20s', keepFiringFor: '1m', cooldown: '5m', severity: 'critical' },
  { name: 'TestTenantSpike', codes: ['CSBS.9999'], groupBy: ['tenant'], baseline: { lookback: '10m', minSamples: 5 }, minCount: 20, pendingFor: 0, keepFiringFor: '1m', cooldown: '5m', severity: 'warning' },
]);
const [OVERALL_RULE] = RULES as [Rule, Rule];
const quietLogger = createLogger('silent');

let store: TestStore;
let client: ClickHouseClient;

// ---------------------------------------------------------------------------------------------
// data: per minute, CSBS.9999 errors and requests per tenant (other codes must not count)

function event(ts: number, tenant: string, code: string, index: number): StoredEvent {
  return storedEvent({
    ts: new Date(ts).toISOString(),
    request_id: `r-${ts}-${index}`,
    tenant,
    path: `/v1/${tenant}/checkpoints`,
    route: '/v1/{project_id}/checkpoints',
    operation: 'create_backup',
    code,
    source_offset: String(ts),
    source_index: index,
  });
}

/** minute (relative to T0) → errors of tenant-a, errors of tenant-b. */
function errorsAt(m: number): { a: number; b: number } {
  if (m === 10 || m === 11) return { a: 80, b: 5 }; // the spike: tenant-a
  if (m >= 30 && m <= 31) return { a: 80, b: 5 }; // a second spike, 18 minutes after the first
  return { a: 4 + (m % 3), b: 5 };
}

async function writeData(minutes: number): Promise<void> {
  const events: StoredEvent[] = [];
  const requestCounts = [];
  for (let m = 0; m < minutes; m++) {
    const start = T0 + m * MINUTE;
    const { a, b } = errorsAt(m);
    for (let i = 0; i < a; i++) events.push(event(start + i * 500, 'tenant-a', 'CSBS.9999', i));
    for (let i = 0; i < b; i++) events.push(event(start + i * 700, 'tenant-b', 'CSBS.9999', i));
    events.push(event(start + 1_000, 'tenant-b', 'CSBS.6006', 0)); // another code: never counted
    const minute = new Date(start).toISOString();
    requestCounts.push({ minute, tenant: 'tenant-a', operation: 'create_backup', status: 200, requests: 2_000 });
    requestCounts.push({ minute, tenant: 'tenant-b', operation: 'create_backup', status: 200, requests: 1_500 });
  }
  await writeBatch(client, { token: 'alerts-evaluator-data', events, requestCounts });
}

// ---------------------------------------------------------------------------------------------
// a receiver for Alertmanager's API and the webhook

interface Received {
  path: string;
  body: unknown;
}

class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server: Server | undefined;
  url = '';

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        this.received.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
  alertmanagerBatches(): Array<Array<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt?: string }>> {
    return this.received.filter((r) => r.path === '/api/v2/alerts').map((r) => r.body as never);
  }
  webhooks(): Array<{ status: string; alerts: Array<{ labels: Record<string, string>; startsAt: string; endsAt: string; fingerprint: string }> }> {
    return this.received.filter((r) => r.path === '/hook').map((r) => r.body as never);
  }
}

const fastRetry = { attempts: 3, baseDelayMs: 5, timeoutMs: 1_000 };

function evaluatorWith(options: { clock: () => number; receiver?: Receiver; alertmanagerUrl?: string; registry?: Registry; rules?: Rule[]; lease?: Lease }) {
  const registry = options.registry ?? createMetricsRegistry();
  const metrics = new AlerterMetrics(registry);
  const targets: NotifyTarget[] = [];
  const amUrl = options.alertmanagerUrl ?? options.receiver?.url;
  if (amUrl !== undefined) targets.push(new AlertmanagerTarget(amUrl, metrics, quietLogger, fastRetry));
  if (options.receiver) targets.push(new WebhookTarget(`${options.receiver.url}/hook`, 'http://dash.test', metrics, quietLogger, fastRetry));
  const evaluator = new Evaluator({
    store: client,
    rules: options.rules ?? RULES,
    logger: quietLogger,
    metrics,
    targets,
    clock: options.clock,
    settleMs: SETTLE,
    resendMs: 60 * S,
    dashboardUrl: 'http://dash.test',
    ...(options.lease ? { lease: options.lease } : {}),
  });
  return { evaluator, registry };
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

async function clearAlerts(): Promise<void> {
  await client.command({ query: 'TRUNCATE TABLE alerts' });
  await client.command({ query: 'TRUNCATE TABLE alerter_lease' });
}

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await writeData(45);
});

after(async () => {
  await client?.close();
  await store?.dispose();
});

// ---------------------------------------------------------------------------------------------

test('each transition is persisted and notified: pending, firing (Alertmanager + webhook), re-send, resolved (endsAt), cooldown', async () => {
  await clearAlerts();
  const receiver = new Receiver();
  await receiver.start();
  let now = judging(9);
  const { evaluator } = evaluatorWith({ clock: () => now, receiver });
  const table = new AlertTable(client);
  try {
    assert.deepEqual(await evaluator.evaluateOnce(), [], 'minute 9 is normal');

    now = judging(10);
    const pending = await evaluator.evaluateOnce();
    assert.deepEqual(pending.map((e) => [e.rule, e.labels.tenant, e.transition]), [
      ['TestSpike', undefined, 'pending'],
      ['TestTenantSpike', 'tenant-a', 'firing'], // pendingFor 0
    ]);
    let stored = await table.latestEpisodes();
    assert.equal(stored.find((r) => r.rule === 'TestSpike')?.state.phase, 'pending');

    now = judging(10) + 10 * S;
    assert.deepEqual(await evaluator.evaluateOnce(), [], 'pending for 10 s of 20');

    now = judging(10) + 20 * S;
    const firing = await evaluator.evaluateOnce();
    assert.deepEqual(firing.map((e) => [e.rule, e.transition]), [['TestSpike', 'firing']]);
    stored = await table.latestEpisodes();
    const overall = stored.find((r) => r.rule === 'TestSpike');
    assert.equal(overall?.state.phase, 'firing');
    assert.equal(overall?.state.activeAt, judging(10));
    assert.equal(overall?.state.firedAt, judging(10) + 20 * S);
    assert.equal(overall?.state.peak?.count, 85, 'tenant-a 80 + tenant-b 5, CSBS.6006 left out');
    assert.equal(overall?.state.peak?.requests, 3_500);
    assert.ok(Math.abs((overall?.state.peak?.baseline ?? 0) - 10) < 1.5, `baseline ${overall?.state.peak?.baseline}`);
    assert.equal(overall?.delivery.webhook, 'firing');
    assert.equal(overall?.delivery.alertmanagerSentAt, judging(10) + 20 * S);

    // Alertmanager v2: labels, annotations with the numbers and the dashboard link; no endsAt while firing.
    const amAlerts = receiver.alertmanagerBatches().flat();
    const amOverall = amAlerts.find((a) => a.labels.alertname === 'TestSpike');
    // One incident, one page: both alerts of the spike carry its id (code and first breach minute).
    const incident = 'CSBS.9999-2026-10-05T12:11Z';
    assert.deepEqual(amOverall?.labels, { alertname: 'TestSpike', code: 'CSBS.9999', severity: 'critical', incident });
    assert.equal(amOverall?.annotations.count, '85');
    assert.match(amOverall?.annotations.baseline ?? '', /^\d+\.\d\d$/);
    assert.match(amOverall?.annotations.factor ?? '', /^\d+\.\d\d$/);
    assert.match(amOverall?.annotations.dashboard ?? '', /^http:\/\/dash\.test\/\?code=CSBS\.9999&from=/);
    assert.equal(amOverall?.startsAt, new Date(judging(10) + 20 * S).toISOString());
    assert.equal(amOverall?.endsAt, undefined);
    const amTenant = amAlerts.find((a) => a.labels.alertname === 'TestTenantSpike');
    assert.deepEqual(amTenant?.labels, { alertname: 'TestTenantSpike', code: 'CSBS.9999', severity: 'warning', tenant: 'tenant-a', incident });
    // Webhook: Alertmanager's webhook payload, one message per alert.
    const hooks = receiver.webhooks();
    assert.equal(hooks.length, 2);
    assert.ok(hooks.every((h) => h.status === 'firing' && h.alerts.length === 1 && h.alerts[0]?.endsAt === '0001-01-01T00:00:00Z'));
    assert.match(hooks[0]?.alerts[0]?.fingerprint ?? '', /^[0-9a-f]{16}$/);

    // Minute 11 still spikes; Alertmanager gets each firing alert again 60 s after the last push.
    const sentBatches = () => receiver.alertmanagerBatches().map((batch) => batch.map((a) => a.labels.alertname).sort());
    const amBefore = sentBatches().length;
    now = judging(11); // 60 s after the tenant alert's push, 40 s after the overall one's
    await evaluator.evaluateOnce();
    assert.deepEqual(sentBatches().slice(amBefore), [['TestTenantSpike']]);
    now = judging(10) + 80 * S;
    await evaluator.evaluateOnce();
    assert.deepEqual(sentBatches().slice(amBefore), [['TestTenantSpike'], ['TestSpike']]);
    assert.equal(receiver.webhooks().length, 2, 'the webhook is not paged again');

    // Minute 12 is normal: keep firing for 1 minute after the last breach (judging(10) + 80 s), then resolve.
    now = judging(12);
    assert.deepEqual(await evaluator.evaluateOnce(), []);
    now = judging(12) + 10 * S;
    assert.deepEqual(await evaluator.evaluateOnce(), [], 'keep-firing: 50 s since the last breach');
    now = judging(12) + 20 * S;
    const resolved = await evaluator.evaluateOnce();
    assert.deepEqual(resolved.map((e) => [e.rule, e.transition]).sort(), [['TestSpike', 'resolved'], ['TestTenantSpike', 'resolved']]);
    const endsAt = receiver.alertmanagerBatches().at(-1)?.find((a) => a.labels.alertname === 'TestSpike')?.endsAt;
    assert.equal(endsAt, new Date(now).toISOString());
    assert.deepEqual(receiver.webhooks().slice(2).map((h) => h.status), ['resolved', 'resolved']);
    stored = await table.latestEpisodes();
    assert.ok(stored.every((r) => r.state.phase === 'resolved' && r.delivery.alertmanagerResolved && r.delivery.webhook === 'resolved'));
    assert.equal(stored.find((r) => r.rule === 'TestSpike')?.state.resolvedAt, now);

    // The second spike (minute 30) comes after the 5-minute cooldown: a new episode, with its own activeAt.
    now = judging(30);
    const again = await evaluator.evaluateOnce();
    assert.deepEqual(again.map((e) => [e.rule, e.transition]), [['TestSpike', 'pending'], ['TestTenantSpike', 'firing']]);
    const episodes = await table.list({ since: 0, limit: 100 });
    assert.equal(episodes.filter((r) => r.rule === 'TestTenantSpike').length, 2, 'two episodes in the history');
  } finally {
    await receiver.stop();
  }
});

test('a breach during the cooldown opens no new episode', async () => {
  await clearAlerts();
  const rules = parseRules([{ ...ruleInput(OVERALL_RULE), pendingFor: 0, keepFiringFor: 0, cooldown: '30m' }]);
  let now = judging(10);
  const { evaluator } = evaluatorWith({ clock: () => now, rules });
  assert.deepEqual((await evaluator.evaluateOnce()).map((e) => e.transition), ['firing']);
  now = judging(12);
  assert.deepEqual((await evaluator.evaluateOnce()).map((e) => e.transition), ['resolved']);
  now = judging(30);
  assert.deepEqual(await evaluator.evaluateOnce(), [], 'minute 30 spikes, but within 30 minutes of the resolve');
});

test('restart while firing: the state is reloaded, the alert stays firing, nobody is paged twice', async () => {
  await clearAlerts();
  const receiver = new Receiver();
  await receiver.start();
  try {
    let now = judging(10);
    const first = evaluatorWith({ clock: () => now, receiver }).evaluator;
    await first.evaluateOnce();
    now = judging(10) + 20 * S;
    await first.evaluateOnce();
    assert.equal(receiver.webhooks().length, 2, 'paged once per alert');
    // The process dies here (no stop, nothing flushed beyond what evaluateOnce stored).

    now = judging(11) + 5 * S;
    const second = evaluatorWith({ clock: () => now, receiver }).evaluator;
    const events = await second.evaluateOnce();
    assert.deepEqual(events, [], 'no transition: the alerts were firing and still are');
    const overall = second.snapshot().find((r) => r.rule === 'TestSpike');
    assert.equal(overall?.state.phase, 'firing');
    assert.equal(overall?.state.firedAt, judging(10) + 20 * S);
    assert.equal(receiver.webhooks().length, 2, 'no second page after the restart');
    // Alertmanager gets the same alert (same labels and startsAt) when the re-send is due.
    now = judging(10) + 85 * S;
    await second.evaluateOnce();
    const resent = receiver.alertmanagerBatches().at(-1)?.find((a) => a.labels.alertname === 'TestSpike');
    assert.equal(resent?.startsAt, new Date(judging(10) + 20 * S).toISOString());

    now = judging(13) + 10 * S;
    await second.evaluateOnce();
    assert.deepEqual(receiver.webhooks().map((h) => h.status), ['firing', 'firing', 'resolved', 'resolved']);
  } finally {
    await receiver.stop();
  }
});

test('Alertmanager down: failures are counted and retried with backoff, evaluation goes on, delivery catches up once it is back', async () => {
  await clearAlerts();
  // A port nobody listens on: start a receiver to learn a free port, then stop it.
  const gone = new Receiver();
  await gone.start();
  const deadUrl = gone.url;
  await gone.stop();

  let now = judging(10);
  const rules = parseRules([{ ...ruleInput(OVERALL_RULE), pendingFor: 0 }]);
  const registry = createMetricsRegistry();
  const down = evaluatorWith({ clock: () => now, alertmanagerUrl: deadUrl, registry, rules }).evaluator;
  const events = await down.evaluateOnce();
  assert.deepEqual(events.map((e) => e.transition), ['firing'], 'the alert fires although it cannot be delivered');
  assert.equal(await metricValue(registry, 'csbs_errors_alert_notifications_total', { target: 'alertmanager', outcome: 'failed' }), 1);
  assert.equal(await metricValue(registry, 'csbs_errors_alert_notification_retries_total', { target: 'alertmanager' }), 2, '3 attempts: 2 retries');
  const table = new AlertTable(client);
  assert.equal((await table.latestEpisodes())[0]?.delivery.alertmanagerSentAt, null, 'not marked as delivered');

  now += 10 * S;
  await down.evaluateOnce();
  assert.equal(await metricValue(registry, 'csbs_errors_alert_notifications_total', { target: 'alertmanager', outcome: 'failed' }), 2, 'tried again at the next step');

  // Alertmanager comes back on the same address: the next step delivers.
  const port = Number(new URL(deadUrl).port);
  const back = new Receiver();
  await back.start(port);
  try {
    now += 10 * S;
    await down.evaluateOnce();
    assert.equal(back.alertmanagerBatches().length, 1);
    assert.equal(back.alertmanagerBatches()[0]?.[0]?.labels.alertname, 'TestSpike');
    assert.equal(await metricValue(registry, 'csbs_errors_alert_notifications_total', { target: 'alertmanager', outcome: 'sent' }), 1);
    assert.equal((await table.latestEpisodes())[0]?.delivery.alertmanagerSentAt, now);
  } finally {
    await back.stop();
  }
});

test('an answer of 500 is retried, a 400 is not; neither throws', async () => {
  const receiver = new Receiver();
  await receiver.start();
  try {
    const registry = createMetricsRegistry();
    const metrics = new AlerterMetrics(registry);
    const target = new AlertmanagerTarget(receiver.url, metrics, quietLogger, fastRetry);
    const notice = { status: 'firing' as const, labels: { alertname: 'X' }, annotations: {}, startsAt: new Date(T0).toISOString() };
    receiver.status = 500;
    assert.deepEqual(await target.deliver([notice]), [false]);
    assert.equal(receiver.received.length, 3);
    receiver.status = 400;
    assert.deepEqual(await target.deliver([notice]), [false]);
    assert.equal(receiver.received.length, 4, 'a 400 would fail again: not retried');
    receiver.status = 200;
    assert.deepEqual(await target.deliver([notice, notice]), [true, true]);
    assert.equal(receiver.received.length, 5, 'one request for the batch');
  } finally {
    await receiver.stop();
  }
});

test('lease: one evaluator is active; a standby takes over after the lease expired and carries the firing alert on', async () => {
  await clearAlerts();
  const receiver = new Receiver();
  await receiver.start();
  try {
    let now = judging(10);
    const clock = () => now;
    const rules = parseRules([{ ...ruleInput(OVERALL_RULE), pendingFor: 0 }]);
    const leaseA = new Lease(client, { holder: 'evaluator-a', ttlMs: 30 * S, settleMs: 20, clock });
    const leaseB = new Lease(client, { holder: 'evaluator-b', ttlMs: 30 * S, settleMs: 20, clock });
    const a = evaluatorWith({ clock, receiver, rules, lease: leaseA }).evaluator;
    const b = evaluatorWith({ clock, receiver, rules, lease: leaseB }).evaluator;

    assert.deepEqual((await a.evaluateOnce()).map((e) => e.transition), ['firing']);
    assert.deepEqual(await b.evaluateOnce(), [], 'b stands by');
    assert.equal(leaseB.held, false);
    assert.equal((await leaseA.current())?.holder, 'evaluator-a');
    assert.equal(receiver.webhooks().length, 1);

    // a renews while it runs (every ttl/3); b keeps standing by.
    now += 15 * S;
    await a.evaluateOnce();
    now += 10 * S;
    assert.deepEqual(await b.evaluateOnce(), []);

    // a dies; after its lease expired b takes over, reloads the firing alert and does not page again.
    now += 40 * S;
    assert.deepEqual(await b.evaluateOnce(), []);
    assert.equal(leaseB.held, true);
    assert.equal((await leaseB.current())?.holder, 'evaluator-b');
    assert.equal(b.snapshot().find((r) => r.rule === 'TestSpike')?.state.phase, 'firing');
    assert.equal(receiver.webhooks().length, 1, 'no second page from the new holder');

    // a comes back: it sees b's lease and stands by.
    assert.deepEqual(await a.evaluateOnce(), []);
    assert.equal(leaseA.held, false);

    // b stops cleanly: it releases the lease, a can take over at once.
    await b.stop();
    assert.ok(await leaseA.hold());
  } finally {
    await receiver.stop();
  }
});

test('two contenders claiming a free lease at the same moment agree on one holder', async () => {
  await clearAlerts();
  const now = T0;
  const contenders = ['x-1', 'x-2', 'x-3'].map((holder) => new Lease(client, { holder, ttlMs: 30 * S, settleMs: 200, clock: () => now }));
  const won = await Promise.all(contenders.map((lease) => lease.hold()));
  assert.equal(won.filter(Boolean).length, 1, `exactly one holder: ${JSON.stringify(won)}`);
  const holder = (await contenders[0]!.current())?.holder;
  assert.equal(contenders[won.indexOf(true)]?.holder, holder);
});

/** A parsed rule back into its input form (durations in seconds), for variations of it. */
function ruleInput(rule: Rule): Record<string, unknown> {
  return {
    name: rule.name,
    codes: rule.codes,
    groupBy: rule.groupBy,
    step: rule.step / 1000,
    window: rule.window / 1000,
    method: rule.method,
    baseline: { ...rule.baseline, lookback: rule.baseline.lookback / 1000, seasonWidth: rule.baseline.seasonWidth / 1000 },
    minCount: rule.minCount,
    minFactor: rule.minFactor,
    maxPValue: rule.maxPValue,
    madThreshold: rule.madThreshold,
    pendingFor: rule.pendingFor / 1000,
    keepFiringFor: rule.keepFiringFor / 1000,
    cooldown: rule.cooldown / 1000,
    severity: rule.severity,
  };
}
