/**
 * The built-in dashboard in a real browser (Debian's Chromium driven by playwright-core) against a
 * real API on a fresh store with a fixed fixture: a week of CSBS errors (a CSBS.9999 spike, server
 * and volume ids in the messages, both rows of CSBS.9009, unknown codes, status mismatches) and the
 * request counts. The page's window is fixed in the URL hash, so nothing depends on the wall clock.
 *
 * Checked: the token flow (401 → token dialog → numbers), every number in the top-codes table, the
 * totals and the breakdowns equal the API's answers to the same questions, a code's page opens from
 * its link and shows the API's catalog rows, counts, top values and latest events, a tenant token
 * sees its own tenant only, the page reads only rollup-backed endpoints (interval=auto) and at most
 * one page of raw events, a page opened without a window fits its range to the data (the page's
 * clock pinned; a range in the URL is kept), and nothing is logged to the console. Screenshots go
 * to test-results/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApi } from '@csbs-errors/api';
import { AlertTable, NOTHING_DELIVERED } from '@csbs-errors/alerter';
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient, type RequestCountRow, type StoredEvent } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { repoRoot } from './support/cli.js';
import { prng } from './support/fixture.js';
import { storedEvent } from './support/events.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'dashboard-test-admin-token-0001';
const TENANT_TOKEN = 'dashboard-test-tenant-token-0002';
const ARTIFACTS = join(repoRoot, 'test-results');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIXTURE_START = Date.UTC(2026, 10, 13);
const FIXTURE_END = Date.UTC(2026, 10, 21);
/** The page's window: the fixture's last seven days (the day before is the previous window's data). */
const FROM = new Date(Date.UTC(2026, 10, 14)).toISOString();
const TO = new Date(FIXTURE_END).toISOString();
const SPIKE = [Date.UTC(2026, 10, 19, 13, 40), Date.UTC(2026, 10, 19, 16, 10)] as const;

// ---- the fixture -----------------------------------------------------------------------------


const TENANTS = ['0605767e4d80d5762f4fc01a2f0b5fd3', '4a2b1c9d8e7f60514233a1b2c3d4e5f6', 'b7e1d2c3a4f5061728394a5b6c7d8e9f', 'c0ffee11d00d4a5b9c8d7e6f5a4b3c2d', 'e9d8c7b6a5f40312233445566778899a', 'f1e2d3c4b5a697887766554433221100'];
const TENANT_WEIGHTS = [34, 22, 16, 12, 9, 7];

interface Op {
  operation: string;
  method: string;
  route: string;
}
const OPS: Record<string, Op> = {
  create_backup: { operation: 'create_backup', method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/resources/{resource_id}/action' },
  restore_backup: { operation: 'restore_backup', method: 'POST', route: '/v1/{project_id}/restores' },
  replicate_backup: { operation: 'replicate_backup', method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/checkpoint_items/{checkpoint_item_id}/replicate' },
  get_backup: { operation: 'get_backup', method: 'GET', route: '/v1/{project_id}/checkpoint_items/{checkpoint_item_id}' },
  list_backups: { operation: 'list_backups', method: 'GET', route: '/v1/{project_id}/checkpoint_items' },
  delete_backup: { operation: 'delete_backup', method: 'DELETE', route: '/v1/{project_id}/providers/{provider_id}/checkpoints/{checkpoint_id}' },
  create_policy: { operation: 'create_policy', method: 'POST', route: '/v1/{project_id}/policies' },
  update_policy: { operation: 'update_policy', method: 'PUT', route: '/v1/{project_id}/policies/{policy_id}' },
  execute_policy: { operation: 'execute_policy', method: 'POST', route: '/v1/{project_id}/providers/{provider_id}/checkpoints' },
};

interface Spec {
  code: string;
  status: number;
  /** 0: not in the catalog. */
  catalogStatus: number;
  weight: number;
  ops: string[];
  message: (p: string[]) => string;
  params: (r: () => number) => string[];
}

function fixture() {
  const random = prng(20261127);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const servers = Array.from({ length: 7 }, uuid);
  const volumes = Array.from({ length: 9 }, uuid);
  const items = Array.from({ length: 6 }, uuid);
  const catalog = loadDefaultCatalog();
  const SPECS: Spec[] = [
    { code: 'CSBS.9999', status: 500, catalogStatus: 500, weight: 7, ops: ['create_backup', 'restore_backup', 'replicate_backup'], message: (p) => `${p[0]} failed`, params: () => [pick(['backup', 'restore', 'replication'])] },
    { code: 'CSBS.6006', status: 400, catalogStatus: 400, weight: 16, ops: ['create_backup', 'create_policy'], message: (p) => `Server (${p[0]}) status (${p[1]}) is not allowed to protect.`, params: () => [pick(servers.slice(0, 4)), pick(['ERROR', 'SHUTOFF', 'SHUTOFF', 'BUILD'])] },
    { code: 'CSBS.3001', status: 404, catalogStatus: 404, weight: 13, ops: ['get_backup', 'delete_backup'], message: (p) => `Checkpoint_item (${p[0]}) is not found.`, params: () => [pick(items)] },
    { code: 'CSBS.6010', status: 400, catalogStatus: 400, weight: 9, ops: ['create_backup'], message: (p) => `Volume (${p[0]}) attached to server (${p[1]}) is shareable volume.`, params: () => { const i = Math.floor(random() * 3); return [volumes[i]!, servers[i + 2]!]; } },
    { code: 'CSBS.9009', status: 403, catalogStatus: 403, weight: 7, ops: ['create_policy', 'update_policy', 'create_backup'], message: () => 'User is unverified.', params: () => [] },
    { code: 'CSBS.9009', status: 400, catalogStatus: 400, weight: 3, ops: ['update_policy'], message: () => 'The backup or replication space after reduction cannot be less than the used space.', params: () => [] },
    { code: 'CSBS.6014', status: 400, catalogStatus: 400, weight: 6, ops: ['restore_backup'], message: (p) => `Volume(s) (${p[0]}) not found in target server.`, params: () => [pick(volumes.slice(3))] },
    { code: 'CSBS.1001', status: 500, catalogStatus: 500, weight: 4, ops: ['execute_policy'], message: () => 'The policy is executing backup.', params: () => [] },
    { code: 'KARBOR.itemNotFound', status: 404, catalogStatus: 0, weight: 4, ops: ['get_backup', 'list_backups'], message: () => 'Item not found', params: () => [] },
    { code: 'HTTP.502', status: 502, catalogStatus: 0, weight: 3, ops: ['list_backups', 'create_backup', 'restore_backup'], message: () => '', params: () => [] },
    { code: 'CSBS.6005', status: 400, catalogStatus: 400, weight: 2, ops: ['create_backup'], message: (p) => `Server (${p[0]}) is already in service.`, params: () => [pick(servers)] },
    { code: 'CSBS.0002', status: 400, catalogStatus: 400, weight: 1, ops: ['create_policy'], message: () => 'Volume of services from different storagetype', params: () => [] },
  ];
  const total = SPECS.reduce((s, c) => s + c.weight, 0);
  const pickSpec = (): Spec => {
    let r = random() * total;
    for (const s of SPECS) if ((r -= s.weight) < 0) return s;
    return SPECS[0]!;
  };
  const pickTenant = () => {
    let r = random() * 100;
    for (let i = 0; i < TENANTS.length; i++) if ((r -= TENANT_WEIGHTS[i]!) < 0) return TENANTS[i]!;
    return TENANTS[0]!;
  };

  const events: StoredEvent[] = [];
  let offset = 0;
  const make = (ts: number, spec: Spec, tenant: string): StoredEvent => {
    const op = OPS[pick(spec.ops)]!;
    const params = spec.params(random);
    const row = spec.catalogStatus > 0 ? catalog.rows.find((r) => r.code === spec.code && r.status === spec.catalogStatus) : undefined;
    const mismatch = row !== undefined && random() < 0.006;
    const status = mismatch ? (spec.status === 500 ? 502 : 500) : spec.status;
    return {
      ts: new Date(ts).toISOString(),
      request_id: `req-${ts.toString(36)}-${hex(6)}`,
      tenant,
      method: op.method,
      path: op.route.replace('{project_id}', tenant).replace(/\{[a-z_]+\}/g, () => hex(8)),
      route: op.route,
      operation: op.operation,
      status,
      code: spec.code,
      message: spec.message(params),
      params: row ? params : [],
      known: row !== undefined,
      catalog_status: spec.catalogStatus,
      status_mismatch: mismatch,
      unused: row?.unused ?? false,
      description: row?.description ?? '',
      solution: row?.solution ?? '',
      gateway: pick(['apisix', 'kong']),
      latency_ms: Math.round(random() * 40_000) / 10,
      source_topic: 'gateway-logs',
      source_partition: offset % 3,
      source_offset: String(offset++),
      source_index: 0,
    };
  };
  // A daily rhythm (busy afternoons UTC), about 20 errors an hour on average.
  for (let hour = FIXTURE_START; hour < FIXTURE_END; hour += HOUR) {
    const h = new Date(hour).getUTCHours();
    const perHour = Math.round(12 + 14 * Math.max(0, Math.sin(((h - 6) / 24) * 2 * Math.PI)) + random() * 6);
    for (let i = 0; i < perHour; i++) {
      const ts = hour + Math.floor(random() * HOUR);
      events.push(make(ts, pickSpec(), pickTenant()));
    }
  }
  // The incident: CSBS.9999 on create_backup, mostly for two tenants.
  const s9999 = SPECS[0]!;
  for (let ts = SPIKE[0]; ts < SPIKE[1]; ts += 20_000 + Math.floor(random() * 40_000)) {
    events.push(make(ts, { ...s9999, ops: ['create_backup'], params: () => ['backup'] }, random() < 0.7 ? TENANTS[1]! : TENANTS[2]!));
  }
  events.sort((a, b) => a.ts.localeCompare(b.ts));
  events.forEach((e, i) => {
    e.source_offset = String(i);
    e.source_partition = i % 3;
  });

  const requests = new Map<string, RequestCountRow>();
  const add = (minute: number, tenant: string, operation: string, status: number, n: number) => {
    const key = `${minute}|${tenant}|${operation}|${status}`;
    const row = requests.get(key);
    if (row) row.requests += n;
    else requests.set(key, { minute: new Date(minute).toISOString(), tenant, operation, status, requests: n });
  };
  for (const e of events) add(Math.floor(Date.parse(e.ts) / 60_000) * 60_000, e.tenant, e.operation, e.status, 1);
  const opNames = Object.keys(OPS);
  for (let m = FIXTURE_START; m < FIXTURE_END; m += 5 * 60_000) {
    for (let t = 0; t < TENANTS.length; t++) add(m, TENANTS[t]!, pick(opNames), 200, Math.round((TENANT_WEIGHTS[t]! / 4) * (2 + random() * 2)));
  }
  return { events, requests: [...requests.values()] };
}

async function loadFixture(client: ClickHouseClient) {
  const { events, requests } = fixture();
  for (let i = 0; i < events.length; i += 2_000) await writeBatch(client, { token: `dashboard:events:${i}`, events: events.slice(i, i + 2_000), requestCounts: [] });
  for (let i = 0; i < requests.length; i += 10_000) await writeBatch(client, { token: `dashboard:requests:${i}`, events: [], requestCounts: requests.slice(i, i + 10_000) });
  return events.length;
}

// ---- the server and the browser ----------------------------------------------------------------

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let assetsDir: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  assetsDir = mkdtempSync(join(tmpdir(), 'csbs-dashboard-'));
  const built = spawnSync(process.execPath, [join(repoRoot, 'packages/dashboard/scripts/build.mjs'), '--outdir', assetsDir], { encoding: 'utf8' });
  assert.equal(built.status, 0, `dashboard build failed: ${built.stderr}`);

  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  // One incident firing (the overall alert and one tenant's) and one resolved alert in the
  // alerter's table, for the alerts panel and the charts' marks (GET /v1/alerts).
  const ms = (text: string) => Date.parse(text);
  const incident = 'CSBS.9999-2026-11-19T13:50Z';
  await new AlertTable(client).save([
    {
      rule: 'csbs-9999-tenant-spike',
      groupKey: `tenant=${TENANTS[0]!}`,
      labels: { code: 'CSBS.9999', tenant: TENANTS[0]!, incident },
      severity: 'warning',
      state: {
        phase: 'firing',
        activeAt: ms('2026-11-19T13:51:00.000Z'),
        firedAt: ms('2026-11-19T13:51:00.000Z'),
        lastBreachAt: ms('2026-11-19T16:05:00.000Z'),
        resolvedAt: null,
        cooldownUntil: 0,
        latest: { count: 40, requests: 900, baseline: 2.1, factor: 19.05, at: ms('2026-11-19T14:45:00.000Z') },
        peak: { count: 44, requests: 910, baseline: 2.1, factor: 20.95, at: ms('2026-11-19T15:00:00.000Z') },
      },
      delivery: NOTHING_DELIVERED,
      version: 1,
    },
    {
      rule: 'csbs-9999-spike',
      groupKey: '',
      labels: { code: 'CSBS.9999', incident },
      severity: 'page',
      state: {
        phase: 'firing',
        activeAt: ms('2026-11-19T13:50:00.000Z'),
        firedAt: ms('2026-11-19T13:52:00.000Z'),
        lastBreachAt: ms('2026-11-19T16:05:00.000Z'),
        resolvedAt: null,
        cooldownUntil: 0,
        latest: { count: 61, requests: 2_310, baseline: 4.9, factor: 12.45, at: ms('2026-11-19T14:45:00.000Z') },
        peak: { count: 75, requests: 2_410, baseline: 4.9, factor: 15.31, at: ms('2026-11-19T15:00:00.000Z') },
      },
      delivery: NOTHING_DELIVERED,
      version: 1,
    },
    {
      rule: 'csbs-3001-burst',
      groupKey: `tenant=${TENANTS[0]!}`,
      labels: { code: 'CSBS.3001', tenant: TENANTS[0]! },
      severity: 'warning',
      state: {
        phase: 'resolved',
        activeAt: ms('2026-11-17T09:12:00.000Z'),
        firedAt: ms('2026-11-17T09:14:00.000Z'),
        lastBreachAt: ms('2026-11-17T09:40:00.000Z'),
        resolvedAt: ms('2026-11-17T09:44:00.000Z'),
        cooldownUntil: 0,
        latest: { count: 9, requests: 800, baseline: 6.1, factor: 1.48, at: ms('2026-11-17T09:44:00.000Z') },
        peak: { count: 24, requests: 820, baseline: 6.1, factor: 3.93, at: ms('2026-11-17T09:25:00.000Z') },
      },
      delivery: NOTHING_DELIVERED,
      version: 1,
    },
  ]);
  app = await buildApi({
    store: client,
    registry: createMetricsRegistry(),
    logger: createLogger('warn'),
    rateLimit: false,
    tokens: [{ token: ADMIN_TOKEN }, { token: TENANT_TOKEN, tenant: TENANTS[1]! }],
    now: () => FIXTURE_END + 30 * 60_000,
    dashboard: { root: assetsDir },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await app?.close();
  await client?.close();
  await store?.dispose();
  if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
});

/** The API's answer, asked the way the page asks. */
async function api<T>(path: string, params: Record<string, string | number>, token = ADMIN_TOKEN): Promise<T> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  const response = await app.inject({ method: 'GET', url: `${path}?${qs}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.statusCode, 200, `${path}: ${response.body}`);
  return response.json() as T;
}

interface Frequency {
  total: number;
  previous_total: number;
  groups: Array<{ code?: string; status?: number; tenant?: string; operation?: string; count: number; share: number }>;
  other?: { count: number; groups: number };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const pct1 = (share: number) => (share > 0 && share < 0.0005 ? '<0.1%' : `${(share * 100).toFixed(1)}%`);

interface Watched {
  page: Page;
  context: BrowserContext;
  errors: string[];
  requests: string[];
}

async function openPage(options: { token?: string } = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-US', timezoneId: 'America/New_York', colorScheme: 'light' });
  if (options.token) await context.addInitScript(`localStorage.setItem('csbs-errors.token', ${JSON.stringify(options.token)})`);
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  return { page, context, errors, requests };
}

/** The few DOM shapes the in-page functions use (the tests' TypeScript has no DOM library). */
interface El {
  getAttribute(name: string): string | null;
  querySelector(selector: string): El | null;
  readonly children: ArrayLike<El>;
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
}
interface InPage {
  document: { querySelector(selector: string): El | null; querySelectorAll(selector: string): ArrayLike<El> };
}

/**
 * Waits until the view has rendered (again): main[data-ready] changes once all its panels are in.
 * In-page code is passed as functions, never as strings: the page's CSP has no 'unsafe-eval'.
 */
async function ready(page: Page, previous?: string | null): Promise<string> {
  await page.waitForFunction(
    (prev: string) => {
      const main = (globalThis as unknown as InPage).document.querySelector('main');
      return main !== null && main.getAttribute('aria-busy') === 'false' && !!main.dataset.ready && main.dataset.ready !== prev;
    },
    previous ?? '',
    { timeout: 30_000 },
  );
  return (await page.locator('main').getAttribute('data-ready')) ?? '';
}

async function tableRows(page: Page, testid: string) {
  return page.locator(`[data-testid="${testid}"] tbody tr`).evaluateAll((rows: unknown[]) =>
    (rows as El[]).map((r) => {
      const counted = r.querySelector('[data-value]');
      return {
        key: r.getAttribute('data-key') ?? r.getAttribute('data-code') ?? '',
        count: counted?.getAttribute('data-value') ?? '',
        countText: counted?.textContent ?? '',
        cells: Array.from(r.children).map((c) => (c.textContent ?? '').trim()),
      };
    }),
  );
}

const hash = `#/?from=${FROM}&to=${TO}`;
const WINDOW = { from: FROM, to: TO };

// ---- the tests -------------------------------------------------------------------------------

test('the overview asks for a token, then shows exactly the API numbers, with no console errors', async () => {
  const { page, context, errors, requests } = await openPage();
  try {
    await page.goto(`${base}/${hash}`);
    // Without a token every /v1 request is refused: the page says so and offers the token dialog.
    const banner = page.locator('.banner');
    await banner.waitFor({ state: 'visible' });
    assert.match((await banner.textContent()) ?? '', /needs an API token/);
    for (const e of errors) assert.match(e, /401/, `only the refused requests may be logged before the token: ${e}`);
    errors.length = 0;
    const before = await page.locator('main').getAttribute('data-ready');
    await banner.getByRole('button', { name: 'Enter token' }).click();
    await page.getByLabel('Token', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Save' }).click();
    await ready(page, before);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('csbs-errors.token')), ADMIN_TOKEN);
    assert.equal(await page.locator('.banner').isVisible(), false);

    // The window shown is the one in the URL.
    assert.equal(await page.locator('[data-testid="window-from"]').getAttribute('datetime'), FROM);
    assert.equal(await page.locator('[data-testid="window-to"]').getAttribute('datetime'), TO);

    // Top codes: every row, in order, with the API's count and share.
    const freq = await api<Frequency>('/v1/errors/frequency', { ...WINDOW, group_by: 'code', limit: 20 });
    assert.ok(freq.total > 2_000, `fixture too small: ${freq.total}`);
    const rows = await tableRows(page, 'top-codes');
    assert.deepEqual(
      rows.map((r) => [r.key, Number(r.count), r.countText, r.cells[3]]),
      freq.groups.map((g) => [g.code, g.count, fmt(g.count), pct1(g.share)]),
    );
    // The catalog's description and solution, and a status mismatch flagged.
    const s6006 = rows.find((r) => r.key === 'CSBS.6006')!;
    assert.ok(s6006.cells.includes('This type of server does not support backup.'), s6006.cells.join(' | '));
    assert.ok(s6006.cells.includes('Select servers of a correct type.'));
    assert.ok((await page.locator('[data-testid="top-codes"] .chip.mismatch').count()) > 0, 'a status mismatch is flagged');
    assert.match(rows.find((r) => r.key === 'KARBOR.itemNotFound')!.cells[0]!, /unknown/);

    // Totals.
    const rate = await api<{ requests: number; errors: number; rate: number }>('/v1/errors/rate', { ...WINDOW, interval: 'auto' });
    assert.equal(rate.errors, freq.total, 'the window is whole minutes: rate and frequency count the same errors');
    assert.equal(await page.locator('[data-testid="kpi-errors"] .kpi-value').textContent(), fmt(freq.total));
    assert.match((await page.locator('[data-testid="kpi-errors"] .kpi-sub').textContent()) ?? '', new RegExp(`\\(${fmt(freq.previous_total)}\\)`));
    assert.equal(await page.locator('[data-testid="kpi-requests"] .kpi-value').textContent(), fmt(rate.requests));
    assert.equal(await page.locator('[data-testid="kpi-rate"] .kpi-value').textContent(), `${(rate.rate * 100).toFixed(2)}%`);
    assert.equal(await page.locator('[data-testid="kpi-codes"] .kpi-value').textContent(), fmt(freq.groups.length + (freq.other?.groups ?? 0)));

    // Breakdowns by status, tenant and operation.
    for (const field of ['status', 'tenant', 'operation'] as const) {
      const answer = await api<Frequency>('/v1/errors/frequency', { ...WINDOW, group_by: field, limit: 10 });
      const shown = await tableRows(page, `by-${field}`);
      assert.deepEqual(
        shown.map((r) => [r.key, Number(r.count), r.countText]),
        answer.groups.map((g) => [String(g[field]), g.count, fmt(g.count)]),
        `by ${field}`,
      );
    }

    // The stacked trend adds up to the total; its table (opened) has the API's buckets.
    const trend = await api<{ interval: string; series: Array<{ count: number; points: Array<[string, number]> }> }>('/v1/errors/trend', { ...WINDOW, interval: 'auto' });
    assert.equal(trend.interval, '1h');
    assert.equal(trend.series[0]!.count, freq.total);
    assert.equal(await page.locator('.panel .chart canvas').count(), 2, 'trend and rate charts are drawn');

    // Alerts: the overall and the tenant alert of one spike are one incident with its tenant.
    const listed = await api<{ alerts: Array<{ starts_at: string | null; ends_at: string | null; state: string }>; incidents: Array<{ id: string; tenants: string[]; alerts: number[] }> }>('/v1/alerts', { since: WINDOW.from });
    assert.equal(listed.incidents.find((i) => i.id === 'CSBS.9999-2026-11-19T13:50Z')?.alerts.length, 2);
    assert.equal(await page.locator('[data-testid="alerts-open"] li').count(), 1, 'one incident, one entry');
    assert.equal(await page.locator('[data-testid="alerts-open"] li').getAttribute('data-alerts'), '2');
    assert.match((await page.locator('[data-testid="alerts-open"] [data-testid="alert-incident"]').textContent()) ?? '', new RegExp(`tenants ${TENANTS[0]!} and overall`));
    assert.equal(await page.locator('[data-testid="alerts-resolved"] li').count(), 1);
    assert.equal(await page.locator('[data-testid="kpi-alerts"] .kpi-value').textContent(), '2');

    // Both time charts mark every alert that paged, fired → resolved, on its minutes.
    const paged = listed.alerts.filter((a) => a.starts_at !== null && a.state !== 'pending');
    assert.equal(paged.length, 3);
    const charts = page.locator('.panel .chart');
    assert.equal(await charts.count(), 2);
    for (let i = 0; i < 2; i++) {
      const chart = charts.nth(i);
      assert.equal(await chart.locator('[data-alert-marks]').getAttribute('data-alert-marks'), String(paged.length));
      type Mark = { getAttribute(name: string): string | null; hidden: boolean; getBoundingClientRect(): { width: number } };
      const marks = await chart.locator('.alert-mark').evaluateAll((els: unknown[]) => (els as Mark[]).map((el) => ({ fired: el.getAttribute('data-fired'), resolved: el.getAttribute('data-resolved'), hidden: el.hidden, width: el.getBoundingClientRect().width })));
      assert.deepEqual(marks.map((m) => [m.fired, m.resolved]).sort(), paged.map((a) => [a.starts_at, a.ends_at ?? '']).sort());
      // The firing incident lies in the window: its marks are drawn with a width.
      const firing = marks.filter((m) => m.resolved === '');
      assert.equal(firing.length, 2);
      assert.ok(firing.every((m) => !m.hidden && m.width >= 2), JSON.stringify(marks));
    }

    // Only rollup-backed endpoints with interval=auto; no raw events on the overview.
    const v1 = requests.filter((u) => u.includes('/v1/'));
    assert.ok(v1.length > 0);
    for (const url of v1) {
      const u = new URL(url);
      assert.ok(!u.pathname.startsWith('/v1/events'), `the overview reads no events: ${url}`);
      if (/\/v1\/errors\/(trend|rate)/.test(u.pathname)) assert.equal(u.searchParams.get('interval'), 'auto', url);
      if (u.pathname === '/v1/codes') assert.ok(Date.parse(u.searchParams.get('to')!) - Date.parse(u.searchParams.get('from')!) <= 1, 'the catalog is read over an empty window');
    }

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors or warnings');

    // A code's page from its link in the top-codes table.
    const previous = await page.locator('main').getAttribute('data-ready');
    await page.locator('[data-testid="top-codes"] a', { hasText: 'CSBS.6006' }).click();
    await ready(page, previous);
    assert.match(page.url(), /#\/code\/CSBS\.6006\?from=/);
    const info = await api<{ count: number; rows: Array<{ status: number; count: number; description: string }>; top_tenants: Array<{ tenant: string; count: number }>; top_params: Array<{ params: string[]; count: number }> }>(
      '/v1/codes/CSBS.6006',
      { ...WINDOW, top: 10 },
    );
    assert.equal(await page.locator('[data-testid="kpi-code-errors"] .kpi-value').textContent(), fmt(info.count));
    assert.equal(info.count, freq.groups.find((g) => g.code === 'CSBS.6006')!.count);
    const catalogRows = await tableRows(page, 'catalog-rows');
    assert.deepEqual(catalogRows.map((r) => Number(r.count)), info.rows.map((r) => r.count));
    const params = await tableRows(page, 'top-params');
    assert.deepEqual(
      params.map((r) => [r.cells.slice(0, 2), Number(r.count)]),
      info.top_params.map((p) => [p.params, p.count]),
    );
    assert.deepEqual(await page.locator('[data-testid="top-params"] thead th').allTextContents(), ['server', 'status', 'Errors', 'Share']);
    const tenants = await tableRows(page, 'top-tenants');
    assert.deepEqual(tenants.map((r) => [r.key, Number(r.count)]), info.top_tenants.map((t) => [t.tenant, t.count]));
    const events = await api<{ events: Array<{ request_id: string }> }>('/v1/events', { ...WINDOW, code: 'CSBS.6006', limit: 25 });
    const shownIds = await page.locator('[data-testid="events"] tbody tr td:last-child').allTextContents();
    assert.deepEqual(shownIds, events.events.map((e) => e.request_id));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-code.png'), fullPage: true });

    // Older events, a page at a time.
    await page.getByRole('button', { name: 'Load older events' }).click();
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelectorAll('[data-testid="events"] tbody tr').length > 25);
    const evRequests = requests.filter((u) => u.includes('/v1/events'));
    for (const url of evRequests) assert.equal(new URL(url).searchParams.get('limit'), '25', url);

    // Back to the overview through the breadcrumb; then a tenant filter from the breakdown.
    let mark = await page.locator('main').getAttribute('data-ready');
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Overview' }).click();
    mark = await ready(page, mark);
    await page.locator('[data-testid="by-tenant"] a').first().click();
    await ready(page, mark);
    const tenant = decodeURIComponent(/tenant=([^&]+)/.exec(page.url())?.[1] ?? '');
    const filtered = await api<Frequency>('/v1/errors/frequency', { ...WINDOW, group_by: 'code', limit: 20, tenant });
    assert.deepEqual((await tableRows(page, 'top-codes')).map((r) => [r.key, Number(r.count)]), filtered.groups.map((g) => [g.code, g.count]));
    assert.equal(await page.locator('[data-testid="kpi-errors"] .kpi-value').textContent(), fmt(filtered.total));

    assert.deepEqual(errors, [], 'no console errors or warnings');
  } finally {
    await context.close();
  }
});

test('a tenant token sees its own tenant only, and the numbers are still the API ones', async () => {
  const { page, context, errors } = await openPage({ token: TENANT_TOKEN });
  try {
    await page.goto(`${base}/#/?from=${FROM}&to=${TO}`);
    await ready(page);
    const freq = await api<Frequency>('/v1/errors/frequency', { ...WINDOW, group_by: 'code', limit: 20 }, TENANT_TOKEN);
    const all = await api<Frequency>('/v1/errors/frequency', { ...WINDOW, group_by: 'code', limit: 20 });
    assert.ok(freq.total < all.total);
    assert.equal(await page.locator('[data-testid="kpi-errors"] .kpi-value').textContent(), fmt(freq.total));
    assert.deepEqual((await tableRows(page, 'top-codes')).map((r) => [r.key, Number(r.count)]), freq.groups.map((g) => [g.code, g.count]));
    assert.deepEqual((await tableRows(page, 'by-tenant')).map((r) => r.key), [TENANTS[1]]);
    assert.equal(await page.getByRole('button', { name: 'API token (set)' }).count(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a 30-day window and the range picker: rollup-backed, interval=auto, no errors', async () => {
  const { page, context, errors, requests } = await openPage({ token: ADMIN_TOKEN });
  try {
    const from = new Date(FIXTURE_END - 30 * DAY).toISOString();
    const started = Date.now();
    await page.goto(`${base}/#/?from=${from}&to=${TO}`);
    await ready(page);
    const took = Date.now() - started;
    const freq = await api<Frequency>('/v1/errors/frequency', { from, to: TO, group_by: 'code', limit: 20 });
    assert.equal(await page.locator('[data-testid="kpi-errors"] .kpi-value').textContent(), fmt(freq.total));
    assert.ok(took < 20_000, `30 days took ${took} ms`);
    const trends = requests.filter((u) => u.includes('/v1/errors/trend') || u.includes('/v1/errors/rate'));
    assert.ok(trends.length >= 3);
    for (const url of trends) assert.equal(new URL(url).searchParams.get('interval'), 'auto');

    // Presets resolve against the clock; "Custom range…" shows the UTC inputs prefilled.
    let mark = await page.locator('main').getAttribute('data-ready');
    await page.getByLabel('Time range').selectOption('7d');
    mark = await ready(page, mark);
    assert.match(page.url(), /#\/\?range=7d$/);
    await page.getByLabel('Time range').selectOption('custom');
    await page.getByLabel('From').fill('2026-11-19T12:00');
    await page.getByLabel('to', { exact: true }).fill('2026-11-19T18:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await ready(page, mark);
    assert.match(decodeURIComponent(page.url()), /from=2026-11-19T12:00:00.000Z&to=2026-11-19T18:00:00.000Z/);
    const spike = await api<Frequency>('/v1/errors/frequency', { from: '2026-11-19T12:00:00.000Z', to: '2026-11-19T18:00:00.000Z', group_by: 'code', limit: 20 });
    assert.equal((await tableRows(page, 'top-codes'))[0]?.key, 'CSBS.9999');
    assert.equal(await page.locator('[data-testid="kpi-errors"] .kpi-value').textContent(), fmt(spike.total));
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('opened without a window, the first screen fits the range to the data; a chosen range stays', async () => {
  // Data younger than the default 24 hours, after the rest of the fixture (so no other test sees it):
  // one tenant's last 3 minutes (as a fresh quick start has), another's last 2 hours.
  const now = FIXTURE_END + 3 * HOUR;
  const young = Array.from({ length: 6 }, (_, i) => storedEvent({ tenant: 'young-tenant', ts: new Date(now - 180_000 + i * 25_000).toISOString(), source_topic: 'dashboard-young', source_offset: String(i) }));
  const recent = Array.from({ length: 8 }, (_, i) => storedEvent({ tenant: 'recent-tenant', ts: new Date(now - 2 * HOUR + i * 15 * 60_000).toISOString(), source_topic: 'dashboard-young', source_offset: String(100 + i) }));
  await writeBatch(client, { token: 'dashboard:young', events: [...young, ...recent], requestCounts: [] });

  const { page, context, errors, requests } = await openPage({ token: ADMIN_TOKEN });
  try {
    // The page's clock: presets resolve against it, and the API reads absolute windows only.
    await page.clock.setFixedTime(now);
    const open = async (path: string) => {
      // After the first, only the hash changes: wait for the render that follows, not the last one.
      const mark = await page.evaluate(() => (globalThis as unknown as InPage).document.querySelector('main')?.dataset.ready ?? null);
      await page.goto(`${base}/${path}`);
      await ready(page, mark);
      return {
        range: await page.getByLabel('Time range').inputValue(),
        from: await page.locator('[data-testid="window-from"]').getAttribute('datetime'),
        to: await page.locator('[data-testid="window-to"]').getAttribute('datetime'),
        errors: await page.locator('[data-testid="kpi-errors"] .kpi-value').textContent(),
      };
    };
    const at = (ms: number) => new Date(ms).toISOString();

    const fresh = await open('#/?tenant=young-tenant');
    assert.deepEqual(fresh, { range: '15m', from: at(now - 15 * 60_000), to: at(now), errors: fmt(young.length) });
    assert.match(page.url(), /#\/\?range=15m&tenant=young-tenant$/, 'the chosen range is in the URL');
    const trend = requests.filter((u) => u.includes('/v1/errors/trend')).at(-1);
    assert.equal(new URL(trend!).searchParams.get('from'), at(now - 15 * 60_000), 'the chart spans the 15 minutes');

    assert.deepEqual(await open('#/?tenant=recent-tenant'), { range: '6h', from: at(now - 6 * HOUR), to: at(now), errors: fmt(recent.length) });
    // A range in the URL is the user's: kept, however young the data.
    assert.equal((await open('#/?range=24h&tenant=young-tenant')).range, '24h');
    assert.equal((await open('#/?range=1h&tenant=recent-tenant')).range, '1h');
    // The whole store is older than the default window: the default.
    const everything = await open('#/');
    assert.equal(everything.range, '24h');
    assert.match(page.url(), /#\/\?range=24h$/);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }

  // Without a token the API cannot say: the default is shown, not written, and the range is fitted
  // once a token is saved.
  const anonymous = await openPage();
  try {
    await anonymous.page.clock.setFixedTime(now);
    await anonymous.page.goto(`${base}/#/?tenant=young-tenant`);
    const banner = anonymous.page.locator('.banner');
    await banner.waitFor({ state: 'visible' });
    assert.match(anonymous.page.url(), /#\/\?tenant=young-tenant$/);
    const before = await anonymous.page.locator('main').getAttribute('data-ready');
    await banner.getByRole('button', { name: 'Enter token' }).click();
    await anonymous.page.getByLabel('Token', { exact: true }).fill(ADMIN_TOKEN);
    await anonymous.page.getByRole('button', { name: 'Save' }).click();
    await ready(anonymous.page, before);
    // The range is fitted by a request of its own after the token is saved: written once known.
    await anonymous.page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash.includes('range='));
    assert.equal(await anonymous.page.getByLabel('Time range').inputValue(), '15m');
    assert.match(anonymous.page.url(), /#\/\?range=15m&tenant=young-tenant$/);
    for (const e of anonymous.errors) assert.match(e, /401/, `only the refused requests may be logged: ${e}`);
  } finally {
    await anonymous.context.close();
  }
});
