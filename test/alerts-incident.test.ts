/**
 * One incident, one page: the incident label (joining an open incident of the same code, or naming
 * a new one), the folding of alerts into incidents, and real Alertmanagers (the shipped
 * configuration of scripts/alertmanager-local.sh, `group_by: [incident]`, and Alertmanager's default,
 * a route without `group_by`) that put one incident's alerts in one notification group.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { groupIncidents, incidentFor, incidentId } from '@csbs-errors/query';
import { AlerterMetrics, AlertmanagerTarget, type AlertNotice } from '@csbs-errors/alerter';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { waitForValue } from './support/wait.js';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 9, 7, 8, 10, 3);
const labels = (alertname: string, tenant?: string, incident?: string) => ({
  alertname,
  code: 'CSBS.9999',
  severity: tenant === undefined ? 'critical' : 'warning',
  ...(tenant === undefined ? {} : { tenant }),
  ...(incident === undefined ? {} : { incident }),
});

test('incidentFor: a new episode joins the earliest open incident of its code, else names one after its first breach minute', () => {
  assert.equal(incidentId('CSBS.9999', T0), 'CSBS.9999-2026-10-07T08:10Z');
  assert.equal(incidentFor('CSBS.9999', T0, []), 'CSBS.9999-2026-10-07T08:10Z');
  const overall = { rule: 'CSBS9999Spike', labels: labels('CSBS9999Spike', undefined, 'CSBS.9999-2026-10-07T08:10Z'), open: true, activeAt: T0 };
  const older = { rule: 'CSBS9999TenantSpike', labels: labels('CSBS9999TenantSpike', 'tenant-b', 'CSBS.9999-2026-10-07T08:09Z'), open: true, activeAt: T0 - 60_000 };
  // A tenant's alert a minute later joins the open incident; with two open, the earliest.
  assert.equal(incidentFor('CSBS.9999', T0 + 60_000, [overall]), 'CSBS.9999-2026-10-07T08:10Z');
  assert.equal(incidentFor('CSBS.9999', T0 + 60_000, [overall, older]), 'CSBS.9999-2026-10-07T08:09Z');
  // A resolved incident, or another code's, is not joined.
  assert.equal(incidentFor('CSBS.9999', T0 + 3_600_000, [{ ...overall, open: false }]), 'CSBS.9999-2026-10-07T09:10Z');
  assert.equal(incidentFor('CSBS.6006', T0, [overall]), 'CSBS.6006-2026-10-07T08:10Z');
});

test('groupIncidents: alerts sharing an incident label are one incident with its tenants; others stand alone', () => {
  const a = 'CSBS.9999-2026-10-07T08:10Z';
  const alerts = [
    { rule: 'CSBS9999Spike', labels: labels('CSBS9999Spike', undefined, a), open: true, activeAt: T0 },
    { rule: 'CSBS9999TenantSpike', labels: labels('CSBS9999TenantSpike', 'tenant-b', a), open: false, activeAt: T0 + 60_000 },
    { rule: 'CSBS9999TenantSpike', labels: labels('CSBS9999TenantSpike', 'tenant-a', a), open: true, activeAt: T0 - 10_000 },
    { rule: 'CSBS9999Spike', labels: labels('CSBS9999Spike'), open: false, activeAt: T0 - 7_200_000 },
  ];
  const incidents = groupIncidents(alerts);
  assert.equal(incidents.length, 2);
  const [first, second] = incidents;
  assert.equal(first?.id, a);
  assert.deepEqual([first?.open, first?.overall, first?.tenants, first?.rules, first?.alerts.length, first?.activeAt], [true, true, ['tenant-a', 'tenant-b'], ['CSBS9999Spike', 'CSBS9999TenantSpike'], 3, T0 - 10_000]);
  assert.deepEqual([second?.open, second?.overall, second?.tenants, second?.alerts.length], [false, true, [], 1]);
});

// ---------------------------------------------------------------------------------------------
// Real Alertmanagers on private ports

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const dirs: string[] = [];
let shippedPort = 0;
let shippedDataDir = '';
let defaultAm: ChildProcess | undefined;
let defaultUrl = '';

before(async () => {
  // The project's own start script and configuration.
  shippedPort = await freePort();
  shippedDataDir = mkdtempSync(join(tmpdir(), 'csbs-am-shipped-'));
  dirs.push(shippedDataDir);
  await run('bash', ['scripts/alertmanager-local.sh', 'start'], { env: { ...process.env, ALERTMANAGER_PORT: String(shippedPort), ALERTMANAGER_DATA_DIR: shippedDataDir } });
  // Alertmanager's default: a route without group_by.
  const bin = (await run('bash', ['-c', 'command -v prometheus-alertmanager || command -v alertmanager'])).stdout.trim();
  const dir = mkdtempSync(join(tmpdir(), 'csbs-am-default-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: default\n  group_wait: 1s\n  group_interval: 5s\nreceivers:\n  - name: default\n');
  const port = await freePort();
  defaultUrl = `http://127.0.0.1:${port}`;
  defaultAm = spawn(bin, [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: 'ignore' });
  await waitForValue('the default Alertmanager ready', 30_000, async () => ((await fetch(`${defaultUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined));
});

after(async () => {
  await run('bash', ['scripts/alertmanager-local.sh', 'stop'], { env: { ...process.env, ALERTMANAGER_PORT: String(shippedPort), ALERTMANAGER_DATA_DIR: shippedDataDir } }).catch(() => undefined);
  defaultAm?.kill('SIGTERM');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface AlertGroup {
  labels: Record<string, string>;
  alerts: Array<{ labels: Record<string, string> }>;
}

function notice(l: Record<string, string>): AlertNotice {
  return { status: 'firing', labels: l, annotations: { summary: 'CSBS.9999 spike' }, startsAt: new Date(Date.now() - 60_000).toISOString() };
}

async function post(url: string, notices: AlertNotice[]): Promise<void> {
  const target = new AlertmanagerTarget(url, new AlerterMetrics(createMetricsRegistry()), createLogger('silent'));
  assert.deepEqual(await target.deliver(notices), notices.map(() => true));
}

async function groupsOf(url: string, expectedAlerts: number): Promise<AlertGroup[]> {
  return waitForValue(`${expectedAlerts} alerts grouped`, 20_000, async () => {
    const groups = (await (await fetch(`${url}/api/v2/alerts/groups`)).json()) as AlertGroup[];
    return groups.reduce((n, g) => n + g.alerts.length, 0) === expectedAlerts ? groups : undefined;
  });
}

const incidentA = 'CSBS.9999-2026-10-07T08:10Z';
const incidentB = 'CSBS.9999-2026-10-07T11:42Z';
const spikeA = [labels('CSBS9999Spike', undefined, incidentA), labels('CSBS9999TenantSpike', 'tenant-a', incidentA), labels('CSBS9999TenantSpike', 'tenant-b', incidentA)];

test('the shipped Alertmanager configuration: one notification group per incident, the overall and tenant alerts together', async () => {
  const url = `http://127.0.0.1:${shippedPort}`;
  await post(url, [...spikeA, labels('CSBS9999Spike', undefined, incidentB)].map(notice));
  const groups = await groupsOf(url, 4);
  assert.equal(groups.length, 2, JSON.stringify(groups));
  const a = groups.find((g) => g.labels.incident === incidentA);
  assert.deepEqual(a?.alerts.map((x) => x.labels.tenant ?? '-').sort(), ['-', 'tenant-a', 'tenant-b']);
  assert.deepEqual(groups.find((g) => g.labels.incident === incidentB)?.alerts.length, 1);
});

test("Alertmanager's default route (no group_by): one incident's alerts are one group", async () => {
  await post(defaultUrl, spikeA.map(notice));
  const groups = await groupsOf(defaultUrl, 3);
  assert.equal(groups.length, 1, JSON.stringify(groups));
  assert.deepEqual(groups[0]?.alerts.map((x) => x.labels.incident), [incidentA, incidentA, incidentA]);
});
