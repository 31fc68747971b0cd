/**
 * The Grafana dashboards of dashboards/, checked without a Grafana: the JSON is well formed and
 * refers only to the provisioned data sources, docker-compose provisions them, and every query
 * runs against the real thing and gives the API's numbers:
 *  - the ClickHouse variant's SQL, with the ClickHouse plugin's macros expanded as the plugin
 *    expands them, on a fresh store with a small fixture (all values, and one tenant selected);
 *  - the Infinity variant's requests, with Infinity's time macros expanded, against the real API;
 *    plain root selectors are followed here, the JSONata ones are pinned to their text and mirrored
 *    in TypeScript (Grafana is not run in the tests).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { writeBatch, type ClickHouseClient, type RequestCountRow, type StoredEvent } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { testApi } from './support/fixture.js';
import { repoRoot } from './support/cli.js';

const TOKEN = 'grafana-test-token-000000001';
const FROM = Date.UTC(2026, 10, 18, 0, 0);
const TO = Date.UTC(2026, 10, 20, 0, 0);
const TENANTS = ['t-north', 't-south', 't-east'];
const CODES: Array<[string, number, string[]]> = [
  ['CSBS.9999', 500, ['backup']],
  ['CSBS.6006', 400, ['srv-1', 'SHUTOFF']],
  ['CSBS.3001', 404, ['ci-7']],
  ['KARBOR.itemNotFound', 404, []],
];

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: string; uid: string };
  targets: Array<Record<string, unknown> & { refId: string; datasource: { type: string; uid: string } }>;
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: string; datasource: { uid: string } }> };
}

const read = (name: string) => readFileSync(join(repoRoot, name), 'utf8');
const dashboards = {
  api: JSON.parse(read('dashboards/csbs-errors-api.json')) as Dashboard,
  clickhouse: JSON.parse(read('dashboards/csbs-errors-clickhouse.json')) as Dashboard,
};
const panel = (d: Dashboard, title: string) => {
  const found = d.panels.find((p) => p.title === title);
  assert.ok(found, `${d.uid}: no panel "${title}"`);
  return found;
};

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  const events: StoredEvent[] = [];
  const requests = new Map<string, RequestCountRow>();
  let n = 0;
  for (let t = FROM + 17_000; t < TO - 60_000; t += 97_000 + ((n * 7_919) % 211_000)) {
    const [code, status, params] = CODES[(n * 7) % 5 === 0 ? 0 : n % CODES.length]!;
    const tenant = TENANTS[n % TENANTS.length]!;
    const operation = n % 3 === 0 ? 'create_backup' : 'restore_backup';
    const known = !code.startsWith('KARBOR');
    events.push({
      ts: new Date(t).toISOString(),
      request_id: `r-${n}`,
      tenant,
      method: 'POST',
      path: `/v1/${tenant}/restores`,
      route: '/v1/{project_id}/restores',
      operation,
      status,
      code,
      message: `message ${n}`,
      params,
      known,
      catalog_status: known ? status : 0,
      status_mismatch: false,
      unused: false,
      description: known ? `description of ${code}` : '',
      solution: known ? `solution of ${code}` : '',
      gateway: 'apisix',
      latency_ms: 12,
      source_topic: 'gateway-logs',
      source_partition: 0,
      source_offset: String(n),
      source_index: 0,
    });
    const minute = new Date(Math.floor(t / 60_000) * 60_000).toISOString();
    const key = `${minute}|${tenant}|${operation}`;
    const row = requests.get(key) ?? { minute, tenant, operation, status: 200, requests: 0 };
    row.requests += 5 + (n % 9);
    requests.set(key, row);
    n++;
  }
  await writeBatch(client, { token: 'grafana:1', events, requestCounts: [...requests.values()] });
  app = await testApi(client, { tokens: [{ token: TOKEN }] });
});

after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

async function api<T>(path: string, params: Array<[string, string]>): Promise<{ status: number; body: T }> {
  const response = await app.inject({ method: 'GET', url: `${path}?${new URLSearchParams(params)}`, headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: response.statusCode, body: response.json() as T };
}

interface Frequency {
  total: number;
  previous_total: number;
  groups: Array<Record<string, string | number> & { count: number }>;
}
const frequency = async (groupBy: string, limit: number, extra: Array<[string, string]> = []) =>
  (await api<Frequency>('/v1/errors/frequency', [['from', new Date(FROM).toISOString()], ['to', new Date(TO).toISOString()], ['group_by', groupBy], ['limit', String(limit)], ...extra])).body;

// ---- structure -------------------------------------------------------------------------------

test('both dashboards are well formed and use only the provisioned data sources', () => {
  const provisioning = read('dashboards/provisioning/datasources/csbs.yaml');
  const uids = [...provisioning.matchAll(/^\s+uid:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  assert.deepEqual(uids.sort(), ['csbs-api', 'csbs-clickhouse']);
  assert.match(provisioning, /type: yesoreyeram-infinity-datasource/);
  assert.match(provisioning, /type: grafana-clickhouse-datasource/);
  assert.match(provisioning, /auth_method: bearerToken/);

  for (const [kind, d] of Object.entries(dashboards)) {
    const expected = kind === 'api' ? { type: 'yesoreyeram-infinity-datasource', uid: 'csbs-api' } : { type: 'grafana-clickhouse-datasource', uid: 'csbs-clickhouse' };
    assert.equal(d.uid, `csbs-errors-${kind}`);
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${d.uid}: panel ids are unique`);
    for (const p of d.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${d.uid} / ${p.title}: fits 24 columns`);
      assert.deepEqual(p.datasource, expected, `${d.uid} / ${p.title}`);
      assert.ok(p.targets.length > 0, `${d.uid} / ${p.title}: has a query`);
      for (const t of p.targets) assert.deepEqual(t.datasource, expected, `${d.uid} / ${p.title} / ${t.refId}`);
    }
    // No two panels overlap.
    for (const a of d.panels) {
      for (const b of d.panels) {
        if (a === b) continue;
        const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
        assert.ok(!overlap, `${d.uid}: "${a.title}" overlaps "${b.title}"`);
      }
    }
    for (const v of d.templating.list) assert.equal(v.datasource.uid, expected.uid);
  }
});

test('docker-compose provisions Grafana with both dashboards and the variables the data sources use', () => {
  const compose = read('docker-compose.yml');
  const grafana = /\n {2}grafana:\n([\s\S]*?)(?=\n {2}\w[\w-]*:\n|\nsecrets:|\nvolumes:)/.exec(compose)?.[1] ?? '';
  assert.ok(grafana, 'a grafana service');
  assert.match(grafana, /\.\/dashboards\/provisioning:\/etc\/grafana\/provisioning:ro/);
  assert.match(grafana, /\.\/dashboards:\/etc\/grafana\/dashboards\/csbs:ro/);
  assert.match(grafana, /yesoreyeram-infinity-datasource/);
  assert.match(grafana, /grafana-clickhouse-datasource/);
  assert.match(read('dashboards/provisioning/dashboards/csbs.yaml'), /path: \/etc\/grafana\/dashboards\/csbs/);
  for (const [, name] of read('dashboards/provisioning/datasources/csbs.yaml').matchAll(/\$\{(\w+)\}/g)) {
    assert.match(grafana, new RegExp(`\\n\\s+${name}:`), `the grafana service sets ${name}`);
  }
  assert.match(compose, /\nvolumes:\n[\s\S]*grafana-data:/);
});

// ---- the ClickHouse variant ------------------------------------------------------------------

const INTERVAL_S = 3600;

/** The ClickHouse plugin's macros and Grafana's variable formats, for a window and a selection. */
function expand(sql: string, selection: Record<string, string[] | 'all'>): string {
  const fromS = Math.floor(FROM / 1000);
  const toS = Math.floor(TO / 1000);
  let out = sql;
  // $__conditionalAll(condition, $var): the condition, or 1=1 when the variable is All.
  out = out.replace(/\$__conditionalAll\(([\s\S]*?\)), \$(\w+)\)/g, (_m, condition: string, name: string) => (selection[name] === 'all' || selection[name] === undefined ? '1=1' : condition));
  out = out.replace(/\$\{(\w+):singlequote\}/g, (_m, name: string) => (selection[name] as string[]).map((v) => `'${v.replace(/'/g, "\\'")}'`).join(','));
  out = out.replace(/\$\{(\w+):csv\}/g, (_m, name: string) => (selection[name] as string[]).join(','));
  out = out.replace(/\$__timeFilter\((\w+)\)/g, (_m, col: string) => `${col} >= toDateTime(${fromS}) AND ${col} <= toDateTime(${toS})`);
  out = out.replace(/\$__timeInterval\((\w+)\)/g, (_m, col: string) => `toStartOfInterval(toDateTime(${col}), INTERVAL ${INTERVAL_S} second)`);
  out = out.replace(/\$__fromTime/g, `toDateTime(${fromS})`).replace(/\$__toTime/g, `toDateTime(${toS})`).replace(/\$__interval_s/g, String(INTERVAL_S));
  assert.doesNotMatch(out, /\$/, `a macro or variable left unexpanded:\n${out}`);
  return out;
}

async function run<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const result = await client.query({ query: sql, format: 'JSONEachRow' });
  return result.json<T>();
}

const sqlOf = (title: string) => String(panel(dashboards.clickhouse, title).targets[0]!.rawSql);

test('the ClickHouse variant: every query runs, for All and for one tenant', async () => {
  const selections: Array<Record<string, string[] | 'all'>> = [
    { tenant: 'all', code: 'all', status: 'all' },
    { tenant: ['t-south'], code: 'all', status: 'all' },
    { tenant: 'all', code: ['CSBS.9999', 'CSBS.3001'], status: ['500', '404'] },
  ];
  for (const selection of selections) {
    for (const p of dashboards.clickhouse.panels) {
      for (const t of p.targets) {
        const rows = await run(expand(String(t.rawSql), selection));
        assert.ok(Array.isArray(rows), `${p.title}`);
      }
    }
    for (const v of dashboards.clickhouse.templating.list) {
      const rows = await run(expand(v.query, selection));
      assert.ok(rows.length > 0, `variable ${v.name} has values`);
    }
  }
});

test('the ClickHouse variant gives the API numbers', async () => {
  const all: Record<string, string[] | 'all'> = { tenant: 'all', code: 'all', status: 'all' };
  const byCode = await frequency('code', 20);
  const [errors] = await run<{ errors: string }>(expand(sqlOf('Errors'), all));
  assert.equal(Number(errors!.errors), byCode.total);

  const trend = await run<{ errors: string }>(expand(sqlOf('Errors over time by code'), all));
  assert.equal(trend.reduce((s, r) => s + Number(r.errors), 0), byCode.total);

  const top = await run<{ Code: string; Errors: string; Statuses: string; Description: string; Share: number }>(expand(sqlOf('Top error codes'), all));
  assert.deepEqual(top.map((r) => [r.Code, Number(r.Errors)]), byCode.groups.map((g) => [g.code, g.count]));
  assert.equal(top.find((r) => r.Code === 'CSBS.6006')?.Description, 'description of CSBS.6006');
  assert.equal(top.find((r) => r.Code === 'KARBOR.itemNotFound')?.Description, 'not in the vendor catalog');
  for (const r of top) assert.ok(Math.abs(r.Share - Number(byCode.groups.find((g) => g.code === r.Code)?.share)) < 1e-12, r.Code);

  for (const [title, field] of [['By status', 'status'], ['By tenant', 'tenant'], ['By operation', 'operation']] as const) {
    const rows = await run<Record<string, string>>(expand(sqlOf(title), all));
    const answer = await frequency(field, 10);
    const label = field.charAt(0).toUpperCase() + field.slice(1);
    assert.deepEqual(rows.map((r) => [String(r[label]), Number(r.Errors)]), answer.groups.map((g) => [String(g[field]), g.count]), title);
  }

  const rate = (await api<{ requests: number; errors: number; rate: number }>('/v1/errors/rate', [['from', new Date(FROM).toISOString()], ['to', new Date(TO).toISOString()]])).body;
  const [requests] = await run<{ requests: string }>(expand(sqlOf('Requests'), all));
  assert.equal(Number(requests!.requests), rate.requests);
  const [ratio] = await run<{ error_rate: number }>(expand(sqlOf('Error rate'), all));
  assert.ok(Math.abs(ratio!.error_rate - rate.rate) < 1e-12, `${ratio!.error_rate} vs ${rate.rate}`);

  const south: Record<string, string[] | 'all'> = { tenant: ['t-south'], code: 'all', status: 'all' };
  const [southErrors] = await run<{ errors: string }>(expand(sqlOf('Errors'), south));
  assert.equal(Number(southErrors!.errors), (await frequency('code', 20, [['tenant', 't-south']])).total);

  const latest = await run<{ 'Request id': string }>(expand(sqlOf('Latest events'), all));
  const events = (await api<{ events: Array<{ request_id: string }> }>('/v1/events', [['from', new Date(FROM).toISOString()], ['to', new Date(TO).toISOString()], ['limit', '100']])).body;
  assert.deepEqual(latest.map((r) => r['Request id']), events.events.map((e) => e.request_id));
});

// ---- the Infinity variant --------------------------------------------------------------------

interface InfinityTarget {
  url: string;
  url_options: { params: Array<{ key: string; value: string }> };
  root_selector: string;
  columns: Array<{ selector: string; text: string; type: string }>;
  format: string;
  parser: string;
}

/** Infinity's backend time macros (and the API's own relative times, passed through). */
const infinityValue = (value: string) => value.replace('${__timeFrom:date:iso}', new Date(FROM).toISOString()).replace('${__timeTo:date:iso}', new Date(TO).toISOString());

/** The JSONata root selectors of the dashboard, mirrored (pinned by their exact text). */
const JSONATA: Record<string, (body: Record<string, unknown>) => unknown[]> = {
  '{ "codes": $count(groups) }': (body) => [{ codes: (body.groups as unknown[]).length }],
  '$.series.( $code := key.code; $map(points, function($p) { { "time": $p[0], "code": $code, "errors": $p[1] } }) )': (body) =>
    (body.series as Array<{ key: { code: string }; points: Array<[string, number]> }>).flatMap((s) => s.points.map(([time, errors]) => ({ time, code: s.key.code, errors }))),
  '$.codes.{ "code": code, "status": $join($distinct(rows.$string(status)), " / "), "description": $join(rows.description, " / "), "solution": $join($distinct(rows.solution), " / ") }': (body) =>
    (body.codes as Array<{ code: string; rows: Array<{ status: number; description: string; solution: string }> }>).map((c) => ({
      code: c.code,
      status: [...new Set(c.rows.map((r) => String(r.status)))].join(' / '),
      description: c.rows.map((r) => r.description).join(' / '),
      solution: [...new Set(c.rows.map((r) => r.solution))].join(' / '),
    })),
};

function rowsOf(target: InfinityTarget, body: Record<string, unknown>): Array<Record<string, unknown>> {
  const selector = target.root_selector;
  if (selector === '') return [body];
  if (/^\w+$/.test(selector)) return body[selector] as Array<Record<string, unknown>>;
  const mirror = JSONATA[selector];
  assert.ok(mirror, `unknown JSONata root selector (mirror it in this test): ${selector}`);
  return mirror(body) as Array<Record<string, unknown>>;
}

test('the Infinity variant: every request is answered by the API, with the columns the panels read', async () => {
  for (const p of dashboards.api.panels) {
    for (const raw of p.targets) {
      const t = raw as unknown as InfinityTarget;
      assert.equal(t.parser, 'backend', `${p.title}: backend parser (alerting, no browser-side parsing)`);
      assert.ok(t.url.startsWith('/v1/'), `${p.title}: a path on the API`);
      const params = t.url_options.params.map(({ key, value }): [string, string] => [key, infinityValue(value)]);
      for (const [key, value] of params) assert.doesNotMatch(value, /\$\{/, `${p.title}: ${key} left unexpanded`);
      if (/\/v1\/errors\/(trend|rate)/.test(t.url)) assert.ok(params.some(([k, v]) => k === 'interval' && v === 'auto'), `${p.title}: interval=auto`);
      const { status, body } = await api<Record<string, unknown>>(t.url, params);
      assert.equal(status, 200, `${p.title}: ${JSON.stringify(body)}`);
      const rows = rowsOf(t, body);
      assert.ok(rows.length > 0, `${p.title}: rows`);
      for (const column of t.columns) assert.ok(column.selector in rows[0]!, `${p.title}: column ${column.selector} in ${JSON.stringify(rows[0])}`);
    }
  }
});

test('the Infinity variant reads the same numbers as the built-in dashboard', async () => {
  const target = (title: string, i = 0) => panel(dashboards.api, title).targets[i] as unknown as InfinityTarget;
  const fetchRows = async (t: InfinityTarget) => rowsOf(t, (await api<Record<string, unknown>>(t.url, t.url_options.params.map(({ key, value }): [string, string] => [key, infinityValue(value)]))).body);
  const byCode = await frequency('code', 20);
  assert.equal((await fetchRows(target('Errors')))[0]!.total, byCode.total);
  const top = await fetchRows(target('Top error codes'));
  assert.deepEqual(top.map((r) => [r.code, r.count]), byCode.groups.map((g) => [g.code, g.count]));
  const trend = await fetchRows(target('Errors over time by code'));
  assert.equal(trend.reduce((s, r) => s + Number(r.errors), 0), byCode.total);
  const catalog = await fetchRows(target('Top error codes', 1));
  assert.equal(catalog.find((r) => r.code === 'CSBS.9009')?.status, '403 / 400');
  assert.equal(catalog.find((r) => r.code === 'CSBS.6006')?.description, 'This type of server does not support backup.');
});
