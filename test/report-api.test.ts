/**
 * The postmortem report against the query API on the replayed fixture (test/support/fixture.ts):
 * its totals, code counts, tenants, operations and error rate equal what /v1/errors/frequency and
 * /v1/errors/rate answer for the same window and filters (windows whose edges cut minutes, hours and
 * days); unknown codes and status mismatches equal the fixture's own; the route
 * GET /v1/reports/postmortem of the query API answers the same report, as JSON or markdown,
 * with problems that name the bad parameter; alerts come from the alerter's table when there is one.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildReport } from '@csbs-errors/report';
import { BATCH_QUERY_LIMITS, boundQuery, type Filters, type PostmortemReport, type QueryFn } from '@csbs-errors/query';
import type { ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { loadFixture, select, testApi } from './support/fixture.js';

const NOW = Date.parse('2026-11-21T00:00:00.000Z');
let store: TestStore;
let client: ClickHouseClient;
let api: FastifyInstance;
/** The API with tokens: an all-tenants one and one confined to t-beta. */
let route: FastifyInstance;
let read: QueryFn;
const ADMIN_TOKEN = 'report-admin-token-0123456789';
const BETA_TOKEN = 'report-beta-token-0123456789';
const as = (token: string) => ({ authorization: `Bearer ${token}` });

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  api = await testApi(client, { pressure: false, now: () => NOW });
  read = boundQuery(client, BATCH_QUERY_LIMITS);
  route = await testApi(client, { pressure: false, now: () => NOW, tokens: [{ token: ADMIN_TOKEN }, { token: BETA_TOKEN, tenant: 't-beta' }] });
});

after(async () => {
  await route?.close();
  await api?.close();
  await client?.close();
  await store?.dispose();
});

const at = (text: string) => Date.parse(text);

interface Case {
  name: string;
  from: string;
  to: string;
  filters: Partial<Filters>;
}

const CASES: Case[] = [
  { name: 'whole days, hours, minutes and raw edges', from: '2026-11-17T22:30:15.500Z', to: '2026-11-20T01:10:20.250Z', filters: {} },
  { name: 'across midnight, previous window full', from: '2026-11-18T23:30:00.000Z', to: '2026-11-19T12:00:30.000Z', filters: {} },
  { name: 'two tenants', from: '2026-11-18T20:00:00.000Z', to: '2026-11-19T20:00:00.000Z', filters: { tenant: ['t-alpha', 't-gamma'] } },
  { name: 'a code and a status', from: '2026-11-18T00:00:00.000Z', to: '2026-11-20T03:00:00.000Z', filters: { code: ['CSBS.9999', 'CSBS.6006'], status: [502] } },
  { name: 'an operation', from: '2026-11-19T11:59:59.999Z', to: '2026-11-19T18:00:44.750Z', filters: { operation: ['restore_backup'] } },
  { name: 'an empty window after a busy one', from: '2026-11-18T04:00:00.000Z', to: '2026-11-18T07:00:00.000Z', filters: {} },
];

const filtersOf = (c: Case): Filters => ({ tenant: [], code: [], status: [], operation: [], ...c.filters });

function params(c: Case, extra: Record<string, string | number> = {}): string {
  const query = new URLSearchParams({ from: c.from, to: c.to });
  for (const [name, values] of Object.entries(c.filters)) for (const v of values) query.append(name, String(v));
  for (const [name, value] of Object.entries(extra)) query.append(name, String(value));
  return query.toString();
}

async function apiJson<T>(path: string, query: string): Promise<T> {
  const response = await api.inject({ method: 'GET', url: `${path}?${query}` });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as T;
}

interface Frequency {
  total: number;
  previous_total: number;
  groups: Array<Record<string, unknown> & { count: number }>;
  other?: { count: number; groups: number };
}

async function report(c: Case): Promise<PostmortemReport> {
  return buildReport({ query: read, window: { from: at(c.from), to: at(c.to) }, filters: filtersOf(c), now: () => NOW });
}

describe('the report equals the API', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const r = await report(c);
      const byCode = await apiJson<Frequency>('/v1/errors/frequency', params(c, { group_by: 'code', limit: 20 }));
      assert.equal(r.summary.errors, byCode.total);
      assert.equal(r.summary.previous_errors, byCode.previous_total);
      assert.equal(r.comparison.previous_errors, byCode.previous_total);
      assert.deepEqual(
        r.top_codes.codes.map(({ code, count, share, previous_count, change, first_seen, last_seen }) => ({ code, count, share, previous_count, change, first_seen, last_seen })),
        byCode.groups,
      );
      assert.deepEqual(r.top_codes.other, byCode.other === undefined ? null : { count: byCode.other.count, codes: byCode.other.groups });

      for (const field of ['tenant', 'operation'] as const) {
        const groups = await apiJson<Frequency>('/v1/errors/frequency', params(c, { group_by: field, limit: 10 }));
        const mine = field === 'tenant' ? r.tenants : r.operations;
        assert.deepEqual(
          mine.entries.map((e) => ({ [field]: field === 'tenant' ? (e as { tenant: string }).tenant : (e as { operation: string }).operation, count: e.count, share: e.share })),
          groups.groups.map((g) => ({ [field]: g[field], count: g.count, share: g.share })),
        );
        assert.deepEqual(mine.other, groups.other ?? null);
      }

      const rate = await apiJson<{ from: string; to: string; requests: number; errors: number; rate: number | null }>('/v1/errors/rate', params(c));
      assert.deepEqual(r.summary.requests, { window: { from: rate.from, to: rate.to }, requests: rate.requests, errors: rate.errors, rate: rate.rate });

      // Not in the API: checked against the fixture itself.
      const events = select(at(c.from), at(c.to), c.filters);
      assert.equal(r.summary.unknown_code_errors, events.filter((e) => !e.known).length);
      assert.equal(r.summary.status_mismatch_errors, events.filter((e) => e.status_mismatch).length);
      assert.equal(r.summary.tenants, new Set(events.map((e) => e.tenant)).size);
      const mismatches = new Map<string, number>();
      for (const e of events.filter((e) => e.status_mismatch)) mismatches.set(`${e.code} ${e.status} ${e.catalog_status}`, (mismatches.get(`${e.code} ${e.status} ${e.catalog_status}`) ?? 0) + 1);
      assert.deepEqual(new Map(r.status_mismatches.map((m) => [`${m.code} ${m.status} ${m.catalog_status}`, m.count])), mismatches);
      assert.equal(r.timeline.series.points.reduce((n, p) => n + p.errors, 0), events.length);
      if (events.length > 0) {
        const times = events.map((e) => Date.parse(e.ts));
        assert.equal(r.timeline.first_error?.ts, new Date(Math.min(...times)).toISOString());
        assert.equal(r.timeline.last_error?.ts, new Date(Math.max(...times)).toISOString());
      } else {
        assert.equal(r.timeline.first_error, null);
        assert.equal(r.timeline.peak_minute, null);
      }
    });
  }
});

test('unknown codes, the catalog rows of a code and the resources come from the events', async () => {
  const c = CASES[0]!;
  const r = await report(c);
  const events = select(at(c.from), at(c.to));
  const unknown = new Map<string, number>();
  for (const e of events.filter((e) => !e.known)) unknown.set(e.code, (unknown.get(e.code) ?? 0) + 1);
  assert.deepEqual(new Map(r.unknown_codes.map((u) => [u.code, u.count])), unknown);
  assert.equal(r.unknown_codes.find((u) => u.code === 'KARBOR.itemNotFound')?.sample_message, 'Item not found');

  // CSBS.9009 has two catalog rows; both occur, each with its own description.
  const both = r.top_codes.codes.find((x) => x.code === 'CSBS.9009');
  assert.deepEqual(both?.catalog.map((row) => row.status).sort(), [400, 403]);
  assert.ok(both?.catalog.every((row) => row.description !== '' && row.solution !== ''));
  assert.equal(r.top_codes.codes.find((x) => x.code === 'CSBS.0002')?.catalog[0]?.unused, true);
  assert.deepEqual(r.top_codes.codes.find((x) => x.code === 'CSBS.7777')?.catalog, []);

  const servers = r.resources.find((k) => k.kind === 'server');
  const expectedServers = new Map<string, number>();
  for (const e of events.filter((e) => e.code === 'CSBS.6006' && e.params.length > 0)) expectedServers.set(e.params[0]!, (expectedServers.get(e.params[0]!) ?? 0) + 1);
  assert.deepEqual(new Map(servers?.top.map((t) => [t.value, t.count])), expectedServers);
  assert.deepEqual(r.resources.find((k) => k.kind === 'failed action')?.top.map((t) => t.value).sort(), ['backup', 'replication', 'restore']);
});

describe('GET /v1/reports/postmortem', () => {
  const c = CASES[1]!;

  test('answers the report as JSON and as markdown', async () => {
    const json = await route.inject({ method: 'GET', url: `/v1/reports/postmortem?${params(c)}`, headers: as(ADMIN_TOKEN) });
    assert.equal(json.statusCode, 200);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.deepEqual(json.json(), JSON.parse(JSON.stringify(await report(c))));

    const md = await route.inject({ method: 'GET', url: `/v1/reports/postmortem?${params(c, { format: 'md' })}`, headers: as(ADMIN_TOKEN) });
    assert.equal(md.statusCode, 200);
    assert.match(String(md.headers['content-type']), /^text\/markdown/);
    for (const heading of ['# Postmortem', '## Summary', '## Timeline', '## Top codes', '## Unknown codes', '## Status mismatches', '## Tenants hit', '## Operations hit', '## Resources hit', '## Compared with the previous window']) {
      assert.ok(md.body.includes(heading), heading);
    }
    assert.match(md.body, /\| Errors \| \*\*653\*\* \(previous window: 809, -19 %\) \|/);
  });

  test('bad parameters are problems that name them', async () => {
    const cases: Array<[string, string]> = [
      ['from=yesterday', 'from'],
      ['from=2026-11-19T00:00:00Z&to=2026-11-18T00:00:00Z', 'from'],
      ['from=2026-01-01T00:00:00Z&to=2026-11-18T00:00:00Z', 'from'],
      ['to=soon', 'to'],
      ['from=now-999999999999w', 'from'],
      ['to=now-99999999999999999999d', 'to'],
      ['format=pdf', 'format'],
      ['status=99', 'status'],
      ['limit=0', 'limit'],
      ['colour=red', 'colour'],
    ];
    for (const [query, parameter] of cases) {
      const response = await route.inject({ method: 'GET', url: `/v1/reports/postmortem?${query}`, headers: as(ADMIN_TOKEN) });
      assert.equal(response.statusCode, 400, query);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      const body = response.json() as { status: number; parameter: string; detail: string };
      assert.equal(body.parameter, parameter, query);
      assert.ok(body.detail.startsWith(`${parameter}: `), body.detail);
    }
  });

  test('a request confined to a tenant sees that tenant only', async () => {
    const confined = await route.inject({ method: 'GET', url: `/v1/reports/postmortem?${params(c)}`, headers: as(BETA_TOKEN) });
    assert.equal(confined.statusCode, 200);
    const body = confined.json() as PostmortemReport;
    assert.deepEqual(body.filters.tenant, ['t-beta']);
    assert.deepEqual(body.tenants.entries.map((e) => e.tenant), ['t-beta']);
    assert.equal(body.summary.errors, select(at(c.from), at(c.to), { tenant: ['t-beta'] }).length);

    const other = await route.inject({ method: 'GET', url: `/v1/reports/postmortem?${params(c)}&tenant=t-alpha`, headers: as(BETA_TOKEN) });
    assert.equal(other.statusCode, 403);
    assert.equal((other.json() as { parameter: string }).parameter, 'tenant');
  });
});

test('the route is documented in the API\'s OpenAPI description and answers the API\'s problems', async () => {
  const spec = (await route.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }> };
  const names = spec.paths['/v1/reports/postmortem']?.get?.parameters?.map((p) => p.name).sort();
  assert.deepEqual(names, ['code', 'format', 'from', 'limit', 'operation', 'status', 'tenant', 'to']);
  const unauthenticated = await route.inject({ method: 'GET', url: `/v1/reports/postmortem?${params(CASES[1]!)}` });
  assert.equal(unauthenticated.statusCode, 401);
  const bad = await route.inject({ method: 'GET', url: '/v1/reports/postmortem?from=2026-11-19T00:00:00Z&to=yesterday', headers: as(ADMIN_TOKEN) });
  assert.equal(bad.statusCode, 400);
  const { instance, detail, ...problem } = bad.json() as { instance: string; detail: string };
  assert.match(instance, /^urn:csbs-errors:request:/);
  assert.match(detail, /^to: expected an ISO-8601 instant or a relative time/);
  assert.deepEqual(problem, { type: 'urn:csbs-errors:problem:invalid-parameter', title: 'Invalid parameter', status: 400, code: 'ERR_INVALID_PARAMETER', parameter: 'to', invalid_params: [{ name: 'to', reason: detail.slice('to: '.length) }] });
});

describe('alerts fired', () => {
  const c = CASES[1]!;
  const alertRow = (rule: string, group: string, firedAt: string | null, resolvedAt: string | null, state: string, version: number) => ({
    rule,
    group_key: group,
    active_at: firedAt ?? '2026-11-19T05:00:00.000Z',
    labels: group === '' ? {} : { tenant: group.replace('tenant=', '') },
    severity: 'page',
    state,
    fired_at: firedAt,
    last_breach_at: firedAt,
    resolved_at: resolvedAt,
    cooldown_until: '2026-11-19T06:00:00.000Z',
    count: 40,
    requests: 100,
    baseline: 2,
    factor: 20,
    observed_at: firedAt ?? '2026-11-19T05:00:00.000Z',
    peak_count: 55,
    peak_requests: 120,
    peak_baseline: 2,
    peak_factor: 27.5,
    peak_at: '2026-11-19T09:01:00.000Z',
    am_sent_at: null,
    am_resolved: false,
    webhook: 'none',
    version,
  });

  test('the alerts of the window are listed from the alerts table, its latest versions only', async (t) => {
    const tables = await (await client.query({ query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'alerts'", format: 'JSONEachRow' })).json();
    if (tables.length === 0) return t.skip('no alerts table (migration 0005) in this tree');
    await client.insert({
      table: 'alerts',
      format: 'JSONEachRow',
      values: [
        alertRow('csbs_9999_spike', '', '2026-11-19T09:00:00.000Z', null, 'firing', 1),
        alertRow('csbs_9999_spike', '', '2026-11-19T09:00:00.000Z', '2026-11-19T09:30:00.000Z', 'resolved', 2),
        alertRow('csbs_9999_spike', 'tenant=t-beta', '2026-11-18T22:00:00.000Z', null, 'firing', 1),
        alertRow('csbs_9999_spike', 'tenant=t-gamma', '2026-11-18T20:00:00.000Z', '2026-11-18T21:00:00.000Z', 'resolved', 1),
        alertRow('csbs_9999_spike', 'tenant=t-delta', null, null, 'pending', 1),
      ],
    });
    const r = await report(c);
    assert.equal(r.timeline.alerts.available, true);
    assert.deepEqual(
      r.timeline.alerts.items.map((a) => [a.group, a.state, a.fired_at, a.resolved_at]),
      [
        ['tenant=t-beta', 'firing', '2026-11-18T22:00:00.000Z', null],
        ['', 'resolved', '2026-11-19T09:00:00.000Z', '2026-11-19T09:30:00.000Z'],
      ],
    );
    const beta = await buildReport({ query: read, window: { from: at(c.from), to: at(c.to) }, filters: { tenant: ['t-beta'], code: [], status: [], operation: [] }, now: () => NOW });
    assert.deepEqual(beta.timeline.alerts.items.map((a) => a.tenant), ['t-beta']);
    assert.match(beta.timeline.alerts.note ?? '', /alerts over all tenants are left out/);
  });

  test('without an alerts table the section is empty and says so', async () => {
    await client.command({ query: 'DROP TABLE IF EXISTS alerts' });
    const r = await report(c);
    assert.deepEqual(r.timeline.alerts, { available: false, note: 'no alerts table in this store: the alerter has not run against it', items: [] });
  });
});
