/**
 * GET /v1/alerts of the query API over a real store with fixed alert rows (written by the alerter's
 * AlertTable): firing and recent alerts with their numbers, filters, tenant scoping by token, and bad
 * parameters (an overflowing relative time included) answered as application/problem+json naming
 * the parameter.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { ClickHouseClient } from '@csbs-errors/store';
import { AlertTable, NOTHING_DELIVERED, type AlertRecord, type AlertState } from '@csbs-errors/alerter';
import { testApi } from './support/fixture.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';

const NOW = Date.UTC(2026, 9, 6, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ADMIN_TOKEN = 'alerts-admin-token-0123456789';
const TENANT_A_TOKEN = 'alerts-tenant-a-token-0123456789';

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

function record(rule: string, tenant: string | null, state: Partial<AlertState> & Pick<AlertState, 'phase' | 'activeAt'>, version = 1): AlertRecord {
  const numbers = { count: 120, requests: 3_000, baseline: 10.4567, factor: 11.4761, at: state.activeAt ?? 0 };
  return {
    rule,
    groupKey: tenant === null ? '' : `tenant=${tenant}`,
    labels: { alertname: rule, code: 'CSBS.9999', severity: tenant === null ? 'critical' : 'warning', ...(tenant === null ? {} : { tenant }) },
    severity: tenant === null ? 'critical' : 'warning',
    state: { firedAt: null, lastBreachAt: state.activeAt, resolvedAt: null, cooldownUntil: 0, latest: numbers, peak: { ...numbers, count: 150 }, ...state },
    delivery: NOTHING_DELIVERED,
    version,
  };
}

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  const table = new AlertTable(client);
  await table.save([
    record('Spike', null, { phase: 'firing', activeAt: NOW - 10 * MINUTE, firedAt: NOW - 9 * MINUTE }),
    record('TenantSpike', 'tenant-a', { phase: 'firing', activeAt: NOW - 5 * MINUTE, firedAt: NOW - 5 * MINUTE }),
    record('TenantSpike', 'tenant-b', { phase: 'pending', activeAt: NOW - MINUTE }),
    record('TenantSpike', 'tenant-c', { phase: 'resolved', activeAt: NOW - 3 * HOUR, firedAt: NOW - 3 * HOUR, resolvedAt: NOW - 2 * HOUR }),
    record('Spike', null, { phase: 'resolved', activeAt: NOW - 30 * HOUR, firedAt: NOW - 30 * HOUR, resolvedAt: NOW - 29 * HOUR }),
    record('TenantSpike', 'tenant-d', { phase: 'cancelled', activeAt: NOW - 20 * MINUTE }),
  ]);
  // A later version of tenant-b's episode: it fired. Only the newest version counts.
  await table.save([record('TenantSpike', 'tenant-b', { phase: 'firing', activeAt: NOW - MINUTE, firedAt: NOW - 30_000 }, 2)]);
  app = await testApi(client, { pressure: false, now: () => NOW, cache: false, tokens: [{ token: ADMIN_TOKEN }, { token: TENANT_A_TOKEN, tenant: 'tenant-a' }] });
});

after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

interface AlertsBody {
  now: string;
  since: string;
  firing: number;
  pending: number;
  alerts: Array<{ rule: string; labels: Record<string, string>; state: string; severity: string; active_at: string; starts_at: string | null; ends_at: string | null; latest: { count: number; baseline: number; factor: number; requests: number }; peak: { count: number } }>;
}

async function get(query: string, token = ADMIN_TOKEN) {
  const response = await app.inject({ method: 'GET', url: `/v1/alerts${query}`, headers: { authorization: `Bearer ${token}` } });
  return { status: response.statusCode, type: response.headers['content-type'], body: response.json() as AlertsBody & Record<string, unknown> };
}

test('firing first, then recent; cancelled episodes and resolves older than 24 h left out; numbers included', async () => {
  const { status, body } = await get('');
  assert.equal(status, 200);
  assert.equal(body.now, new Date(NOW).toISOString());
  assert.equal(body.since, new Date(NOW - 24 * HOUR).toISOString());
  assert.equal(body.firing, 3);
  assert.equal(body.pending, 0);
  assert.deepEqual(
    body.alerts.map((a) => [a.rule, a.labels.tenant ?? '-', a.state]),
    [
      ['TenantSpike', 'tenant-b', 'firing'],
      ['TenantSpike', 'tenant-a', 'firing'],
      ['Spike', '-', 'firing'],
      ['TenantSpike', 'tenant-c', 'resolved'],
    ],
  );
  const overall = body.alerts.find((a) => a.rule === 'Spike');
  assert.deepEqual(overall?.labels, { alertname: 'Spike', code: 'CSBS.9999', severity: 'critical' });
  assert.equal(overall?.starts_at, new Date(NOW - 9 * MINUTE).toISOString());
  assert.equal(overall?.ends_at, null);
  assert.deepEqual(overall?.latest, { count: 120, requests: 3_000, baseline: 10.457, factor: 11.48, at: new Date(NOW - 10 * MINUTE).toISOString() });
  assert.equal(overall?.peak.count, 150);
  assert.equal(body.alerts.find((a) => a.labels.tenant === 'tenant-c')?.ends_at, new Date(NOW - 2 * HOUR).toISOString());
});

test('filters: state, since, rule, tenant, limit', async () => {
  assert.deepEqual((await get('?state=resolved&since=now-48h')).body.alerts.map((a) => a.labels.tenant ?? '-'), ['tenant-c', '-']);
  assert.deepEqual((await get('?state=firing,resolved&since=2026-10-06T11:00:00Z')).body.alerts.length, 3);
  assert.deepEqual((await get('?rule=Spike')).body.alerts.map((a) => a.state), ['firing']);
  assert.deepEqual((await get('?tenant=tenant-a')).body.alerts.map((a) => a.labels.tenant), ['tenant-a']);
  assert.equal((await get('?limit=1')).body.alerts.length, 1);
});

test('a tenant-scoped reader sees its tenant only, never the overall alerts, and may not ask for another', async () => {
  const own = await get('', TENANT_A_TOKEN);
  assert.deepEqual(own.body.alerts.map((a) => [a.rule, a.labels.tenant]), [['TenantSpike', 'tenant-a']]);
  const other = await get('?tenant=tenant-b', TENANT_A_TOKEN);
  assert.equal(other.status, 403);
  assert.match(String(other.type), /^application\/problem\+json/);
  assert.equal(other.body.parameter, 'tenant');
});

test('bad parameters: 400 application/problem+json naming the parameter', async () => {
  for (const [query, parameter] of [
    ['?state=open', 'state'],
    ['?limit=0', 'limit'],
    ['?limit=abc', 'limit'],
    ['?since=yesterday', 'since'],
    ['?since=now-999999999999w', 'since'],
    ['?since=now-99999999999999999999w', 'since'],
    ['?colour=red', 'colour'],
  ] as const) {
    const { status, type, body } = await get(query);
    assert.equal(status, 400, query);
    assert.match(String(type), /^application\/problem\+json/, query);
    assert.equal(body.parameter, parameter, query);
    assert.equal(body.title, 'Invalid parameter');
    assert.equal(body.status, 400);
    assert.match(String(body.detail), new RegExp(`^${parameter}: `));
  }
});
