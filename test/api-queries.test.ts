/**
 * The query API's numbers, exactly, against the replayed fixture on the real ClickHouse engine:
 * every endpoint, every group combination, windows whose edges cut minutes, hours and days (so that
 * each rollup and the raw events all take part), previous-window numbers, gap filling, trend sums
 * equal to frequency, rates, the catalog with observed counts, and the events page by page. Expected
 * values come from the fixture arrays (test/support/fixture.ts), never from ClickHouse.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import type { ClickHouseClient, StoredEvent } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import {
  GAPS,
  HOUR_MS,
  MINUTE_MS,
  fixtureEvents,
  groupEvents,
  loadFixture,
  requestsIn,
  select,
  tsOf,
  type Field,
  testApi,
  type OracleFilters,
} from './support/fixture.js';

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  app = await testApi(client);
});
after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const at = (text: string) => Date.parse(text);

async function get<T = Record<string, unknown>>(path: string, params: Record<string, string | number | Array<string | number>>): Promise<{ status: number; body: T }> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) query.append(k, String(item));
  const response = await app.inject({ method: 'GET', url: `${path}?${query}` });
  return { status: response.statusCode, body: response.json() as T };
}

/** Windows whose edges fall inside minutes, hours and days, and one inside a single minute. */
const WINDOWS: Array<{ name: string; from: number; to: number }> = [
  { name: 'days+hours+minutes+raw', from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z') },
  { name: 'sub-minute', from: at('2026-11-19T12:00:00.000Z'), to: at('2026-11-19T12:00:30.001Z') },
  { name: 'edges at .999/.750', from: at('2026-11-19T11:59:59.999Z'), to: at('2026-11-19T18:00:44.750Z') },
  { name: 'whole days', from: at('2026-11-18T00:00:00.000Z'), to: at('2026-11-20T00:00:00.000Z') },
];

const FIELDS: Field[] = ['code', 'status', 'tenant', 'operation'];
const COMBOS: Field[][] = [];
for (let mask = 1; mask < 16; mask++) COMBOS.push(FIELDS.filter((_, i) => mask & (1 << i)));

interface FrequencyGroup {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
  count: number;
  share: number;
  previous_count: number;
  change: number | null;
  first_seen: string;
  last_seen: string;
}
interface Frequency {
  from: string;
  to: string;
  total: number;
  previous_total: number;
  groups: FrequencyGroup[];
  other?: { count: number; groups: number };
}

const keyOf = (g: Record<string, unknown>, keys: readonly Field[]) => JSON.stringify(Object.fromEntries(keys.map((k) => [k, g[k]])));

function compareKeys(a: Record<string, string | number>, b: Record<string, string | number>, keys: readonly Field[]): number {
  for (const k of keys) {
    const x = a[k] as string | number;
    const y = b[k] as string | number;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** The frequency answer the oracle expects (groups in API order). */
function expectedFrequency(from: number, to: number, keys: Field[], filters: OracleFilters = {}) {
  const current = groupEvents(select(from, to, filters), keys);
  const previous = groupEvents(select(from - (to - from), from, filters), keys);
  const total = [...current.values()].reduce((s, g) => s + g.count, 0);
  const groups = [...current.values()]
    .sort((a, b) => b.count - a.count || compareKeys(a.key, b.key, keys))
    .map((g) => {
      const prev = previous.get(JSON.stringify(g.key))?.count ?? 0;
      return {
        ...g.key,
        count: g.count,
        share: g.count / total,
        previous_count: prev,
        change: prev > 0 ? (g.count - prev) / prev : null,
        first_seen: iso(g.first),
        last_seen: iso(g.last),
      };
    });
  const previousTotal = [...previous.values()].reduce((s, g) => s + g.count, 0);
  return { total, previousTotal, groups };
}

describe('GET /v1/errors/frequency', () => {
  test('the fixture spans days, has gaps, and its windows cut minutes, hours and days', () => {
    assert.ok(fixtureEvents.length > 2_000);
    for (const [a, b] of GAPS) assert.equal(select(a, b).length, 0);
    for (const w of WINDOWS) assert.ok(select(w.from, w.to).length > 0, w.name);
  });

  for (const window of WINDOWS) {
    test(`every group combination, exactly: ${window.name}`, async () => {
      for (const keys of COMBOS) {
        const { status, body } = await get<Frequency>('/v1/errors/frequency', { from: iso(window.from), to: iso(window.to), group_by: keys.join(','), limit: 10_000 });
        assert.equal(status, 200);
        const expected = expectedFrequency(window.from, window.to, keys);
        assert.equal(body.total, expected.total, `${keys}`);
        assert.equal(body.previous_total, expected.previousTotal, `${keys}`);
        assert.equal(body.other, undefined);
        assert.deepEqual(body.groups, expected.groups, `${window.name} by ${keys}`);
      }
    });
  }

  test('filters (repeatable) narrow every count; shares add up to 1', async () => {
    const window = WINDOWS[0]!;
    const cases: OracleFilters[] = [
      { tenant: ['t-alpha'] },
      { tenant: ['t-alpha', 't-gamma'], code: ['CSBS.9999', 'HTTP.502'] },
      { status: [500, 502] },
      { operation: ['restore_backup'], status: [404] },
      { code: ['CSBS.9009'], tenant: ['t-beta'], operation: ['create_backup', 'list_checkpoints'] },
      { code: ['NOPE.0000'] },
    ];
    for (const filters of cases) {
      const keys: Field[] = ['code', 'tenant'];
      const { status, body } = await get<Frequency>('/v1/errors/frequency', {
        from: iso(window.from),
        to: iso(window.to),
        group_by: 'tenant,code',
        limit: 10_000,
        ...(filters as Record<string, Array<string | number>>),
      });
      assert.equal(status, 200);
      const expected = expectedFrequency(window.from, window.to, keys, filters);
      assert.equal(body.total, expected.total, JSON.stringify(filters));
      assert.deepEqual(body.groups, expected.groups, JSON.stringify(filters));
      if (body.total > 0) assert.ok(Math.abs(body.groups.reduce((s, g) => s + g.share, 0) - 1) < 1e-9);
    }
  });

  test('limit keeps the top N by count and sums the rest into other', async () => {
    const window = WINDOWS[0]!;
    const keys: Field[] = ['code', 'status', 'tenant'];
    const expected = expectedFrequency(window.from, window.to, keys);
    const { body } = await get<Frequency>('/v1/errors/frequency', { from: iso(window.from), to: iso(window.to), group_by: 'code,status,tenant', limit: 5 });
    assert.deepEqual(body.groups, expected.groups.slice(0, 5));
    const rest = expected.groups.slice(5);
    assert.deepEqual(body.other, { count: rest.reduce((s, g) => s + g.count, 0), groups: rest.length });
    const { body: byDefault } = await get<Frequency>('/v1/errors/frequency', { from: iso(window.from), to: iso(window.to) });
    assert.deepEqual(byDefault.groups, expectedFrequency(window.from, window.to, ['code']).groups.slice(0, 20), 'default: by code, top 20');
  });

  test('previous-window numbers: counts, change, and a window with nothing but a previous one', async () => {
    const from = at('2026-11-19T00:00:00.000Z');
    const to = at('2026-11-19T06:30:00.000Z');
    const { body } = await get<Frequency>('/v1/errors/frequency', { from: iso(from), to: iso(to), group_by: 'code', limit: 100 });
    const expected = expectedFrequency(from, to, ['code']);
    assert.ok(expected.groups.some((g) => g.previous_count > 0 && g.change !== null));
    assert.deepEqual(body.groups, expected.groups);
    assert.equal(body.previous_total, select(from - (to - from), from).length);

    const empty = await get<Frequency>('/v1/errors/frequency', { from: '2026-11-20T03:00:00Z', to: '2026-11-21T03:00:00Z' });
    assert.equal(empty.body.total, 0);
    assert.deepEqual(empty.body.groups, []);
    assert.equal(empty.body.previous_total, select(at('2026-11-19T03:00:00Z'), at('2026-11-20T03:00:00Z')).length);
  });

  test('relative times and the default window (last 24 h) read the clock', async () => {
    const now = at('2026-11-19T12:00:30.000Z');
    const pinned = await testApi(client, { now: () => now });
    try {
      const byDefault = (await pinned.inject({ method: 'GET', url: '/v1/errors/frequency' })).json() as Frequency;
      assert.equal(byDefault.from, iso(now - DAY_MS));
      assert.equal(byDefault.to, iso(now));
      assert.equal(byDefault.total, select(now - DAY_MS, now).length);
      const relative = (await pinned.inject({ method: 'GET', url: '/v1/errors/frequency?from=now-90m&to=now-15m' })).json() as Frequency;
      assert.equal(relative.total, select(now - 90 * MINUTE_MS, now - 15 * MINUTE_MS).length);
    } finally {
      await pinned.close();
    }
  });

  test('the same answers from the raw events alone (rollups off)', async () => {
    const raw = await testApi(client, { rollups: [] });
    try {
      const window = WINDOWS[0]!;
      const url = `/v1/errors/frequency?from=${iso(window.from)}&to=${iso(window.to)}&group_by=code,status,tenant,operation&limit=10000`;
      assert.deepEqual((await raw.inject({ method: 'GET', url })).json(), (await app.inject({ method: 'GET', url })).json());
    } finally {
      await raw.close();
    }
  });
});

interface Trend {
  from: string;
  to: string;
  interval: string;
  series: Array<{ key: Record<string, string | number>; count: number; points: Array<[string, number]> }>;
}

function expectedPoints(events: readonly StoredEvent[], from: number, to: number, step: number): Array<[string, number]> {
  const first = Math.floor(from / step) * step;
  const last = Math.floor((to - 1) / step) * step;
  const points: Array<[string, number]> = [];
  for (let b = first; b <= last; b += step) points.push([iso(b), events.filter((e) => Math.floor(tsOf(e) / step) * step === b).length]);
  return points;
}

describe('GET /v1/errors/trend', () => {
  const STEPS: Record<string, number> = { '1m': MINUTE_MS, '5m': 5 * MINUTE_MS, '15m': 15 * MINUTE_MS, '1h': HOUR_MS, '6h': 6 * HOUR_MS, '1d': DAY_MS };

  test('every interval: buckets aligned, gap-filled, counts exact, series ordered by count', async () => {
    const cases: Array<{ interval: string; from: number; to: number }> = [
      { interval: '1m', from: at('2026-11-19T11:58:20.500Z'), to: at('2026-11-19T13:05:00.001Z') },
      { interval: '5m', from: at('2026-11-19T10:02:00.000Z'), to: at('2026-11-19T14:33:10.000Z') },
      { interval: '15m', from: at('2026-11-18T03:00:00.000Z'), to: at('2026-11-18T08:00:00.000Z') },
      { interval: '1h', from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z') },
      { interval: '6h', from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z') },
      { interval: '1d', from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z') },
    ];
    for (const c of cases) {
      const step = STEPS[c.interval]!;
      const { status, body } = await get<Trend>('/v1/errors/trend', { from: iso(c.from), to: iso(c.to), interval: c.interval, group_by: 'code', limit: 1_000 });
      assert.equal(status, 200);
      assert.equal(body.interval, c.interval);
      const events = select(c.from, c.to);
      const groups = [...groupEvents(events, ['code']).values()].sort((a, b) => b.count - a.count || compareKeys(a.key, b.key, ['code']));
      assert.deepEqual(body.series.map((s) => s.key), groups.map((g) => g.key), c.interval);
      for (const series of body.series) {
        const mine = events.filter((e) => e.code === series.key.code);
        assert.deepEqual(series.points, expectedPoints(mine, c.from, c.to, step), `${c.interval} ${series.key.code}`);
        assert.equal(series.count, mine.length);
        for (const [t] of series.points) assert.equal(Date.parse(t) % step, 0, 'aligned');
      }
    }
  });

  test('gaps are filled with zeros; the total series without group_by', async () => {
    const [gapFrom, gapTo] = GAPS[0]!;
    const from = gapFrom - 2 * HOUR_MS;
    const to = gapTo + 2 * HOUR_MS;
    const { body } = await get<Trend>('/v1/errors/trend', { from: iso(from), to: iso(to), interval: '15m' });
    assert.equal(body.series.length, 1);
    assert.deepEqual(body.series[0]!.key, {});
    assert.deepEqual(body.series[0]!.points, expectedPoints(select(from, to), from, to, 15 * MINUTE_MS));
    const inGap = body.series[0]!.points.filter(([t]) => Date.parse(t) >= gapFrom && Date.parse(t) < gapTo);
    assert.equal(inGap.length, 12);
    assert.ok(inGap.every(([, n]) => n === 0));

    const nothing = await get<Trend>('/v1/errors/trend', { from: '2026-12-01T00:00:00Z', to: '2026-12-01T02:00:00Z', interval: '1h' });
    assert.deepEqual(nothing.body.series, [{ key: {}, count: 0, points: [['2026-12-01T00:00:00.000Z', 0], ['2026-12-01T01:00:00.000Z', 0]] }]);
    const nothingGrouped = await get<Trend>('/v1/errors/trend', { from: '2026-12-01T00:00:00Z', to: '2026-12-01T02:00:00Z', group_by: 'tenant' });
    assert.deepEqual(nothingGrouped.body.series, []);
  });

  test('trend sums equal frequency counts, for every group combination', async () => {
    const window = WINDOWS[0]!;
    for (const keys of COMBOS) {
      const common = { from: iso(window.from), to: iso(window.to), group_by: keys.join(',') };
      const trend = (await get<Trend>('/v1/errors/trend', { ...common, interval: '1h', limit: 1_000 })).body;
      const frequency = (await get<Frequency>('/v1/errors/frequency', { ...common, limit: 10_000 })).body;
      const fromTrend = new Map(trend.series.map((s) => [keyOf(s.key, keys), s.points.reduce((sum, [, n]) => sum + n, 0)]));
      const fromFrequency = new Map(frequency.groups.map((g) => [keyOf(g as unknown as Record<string, unknown>, keys), g.count]));
      assert.deepEqual(fromTrend, fromFrequency, `${keys}`);
    }
  });

  test('limit keeps the top N series; filters apply; auto picks an interval', async () => {
    const window = WINDOWS[0]!;
    const { body } = await get<Trend>('/v1/errors/trend', { from: iso(window.from), to: iso(window.to), group_by: 'tenant,code', limit: 3, tenant: 't-beta' });
    const groups = [...groupEvents(select(window.from, window.to, { tenant: ['t-beta'] }), ['code', 'tenant']).values()].sort(
      (a, b) => b.count - a.count || compareKeys(a.key, b.key, ['code', 'tenant']),
    );
    assert.deepEqual(body.series.map((s) => s.key), groups.slice(0, 3).map((g) => g.key));
    assert.equal(body.interval, '15m', 'auto: 51 h in at most 300 buckets');
    const day = await get<Trend>('/v1/errors/trend', { from: '2026-11-19T00:00:00Z', to: '2026-11-20T00:00:00Z' });
    assert.equal(day.body.interval, '5m');
    assert.equal(day.body.series[0]!.points.length, 288);
  });
});

interface Rate {
  from: string;
  to: string;
  interval: string;
  requests: number;
  errors: number;
  rate: number | null;
  points: Array<{ ts: string; requests: number; errors: number; rate: number | null }>;
}

describe('GET /v1/errors/rate', () => {
  function expectedRate(from: number, to: number, step: number, filters: OracleFilters, errorFilters: OracleFilters) {
    const f = Math.floor(from / MINUTE_MS) * MINUTE_MS;
    const t = Math.ceil(to / MINUTE_MS) * MINUTE_MS;
    const errors = select(f, t, { ...filters, ...errorFilters });
    const requests = requestsIn(f, t, filters);
    const points = [];
    for (let b = Math.floor(f / step) * step; b < t; b += step) {
      const e = errors.filter((x) => Math.floor(tsOf(x) / step) * step === b).length;
      const r = requests.filter((x) => Math.floor(Date.parse(x.minute) / step) * step === b).reduce((s, x) => s + x.requests, 0);
      points.push({ ts: iso(b), requests: r, errors: e, rate: r > 0 ? e / r : null });
    }
    const totalErrors = errors.length;
    const totalRequests = requests.reduce((s, x) => s + x.requests, 0);
    return { from: iso(f), to: iso(t), requests: totalRequests, errors: totalErrors, rate: totalRequests > 0 ? totalErrors / totalRequests : null, points };
  }

  test('errors and requests per bucket; the window widened to whole minutes', async () => {
    const cases = [
      { from: at('2026-11-19T11:58:20.500Z'), to: at('2026-11-19T12:30:00.001Z'), interval: '1m', filters: {}, errorFilters: {} },
      { from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z'), interval: '1h', filters: { tenant: ['t-alpha'] }, errorFilters: {} },
      { from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z'), interval: '1d', filters: { operation: ['restore_backup'] }, errorFilters: { code: ['CSBS.3001'] } },
      { from: at('2026-11-18T00:00:00Z'), to: at('2026-11-19T00:00:00Z'), interval: '6h', filters: {}, errorFilters: { status: [500] } },
    ];
    for (const c of cases) {
      const { status, body } = await get<Rate>('/v1/errors/rate', {
        from: iso(c.from),
        to: iso(c.to),
        interval: c.interval,
        ...(c.filters as Record<string, string[]>),
        ...(c.errorFilters as Record<string, Array<string | number>>),
      });
      assert.equal(status, 200);
      const expected = expectedRate(c.from, c.to, STEPS_MS[c.interval]!, c.filters, c.errorFilters);
      assert.deepEqual({ ...body, interval: undefined }, { ...expected, interval: undefined }, c.interval);
      assert.ok(body.points.some((p) => p.errors > 0));
    }
  });
});
const STEPS_MS: Record<string, number> = { '1m': MINUTE_MS, '5m': 5 * MINUTE_MS, '15m': 15 * MINUTE_MS, '1h': HOUR_MS, '6h': 6 * HOUR_MS, '1d': DAY_MS };

interface CodeInfo {
  code: string;
  known: boolean;
  rows: Array<{ status: number; template: string; description: string; solution: string; unused: boolean; count: number }>;
  count: number;
  first_seen: string | null;
  last_seen: string | null;
  top_tenants: Array<{ tenant: string; count: number }>;
  top_params: Array<{ params: string[]; count: number }>;
}

function compareArrays(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return a.length - b.length;
}

function expectedCode(code: string, events: readonly StoredEvent[], top: number): CodeInfo {
  const catalog = loadDefaultCatalog();
  const mine = events.filter((e) => e.code === code);
  const rows = catalog.rows.filter((r) => r.code === code);
  const tenants = [...groupEvents(mine, ['tenant']).values()]
    .sort((a, b) => b.count - a.count || compareKeys(a.key, b.key, ['tenant']))
    .slice(0, top)
    .map((g) => ({ tenant: String(g.key.tenant), count: g.count }));
  const params = new Map<string, { params: string[]; count: number }>();
  for (const e of mine) {
    if (e.params.length === 0) continue;
    const id = JSON.stringify(e.params);
    const entry = params.get(id) ?? { params: e.params, count: 0 };
    entry.count += 1;
    params.set(id, entry);
  }
  return {
    code,
    known: rows.length > 0,
    rows: rows.map((r) => ({ status: r.status, template: r.template, description: r.description, solution: r.solution, unused: r.unused, count: mine.filter((e) => e.catalog_status === r.status).length })),
    count: mine.length,
    first_seen: mine.length > 0 ? iso(Math.min(...mine.map(tsOf))) : null,
    last_seen: mine.length > 0 ? iso(Math.max(...mine.map(tsOf))) : null,
    top_tenants: tenants,
    top_params: [...params.values()].sort((a, b) => b.count - a.count || compareArrays(a.params, b.params)).slice(0, top),
  };
}

describe('GET /v1/codes', () => {
  test('every catalog code (0 when unseen) and every unknown code seen, with rows, counts, tops', async () => {
    const window = WINDOWS[0]!;
    const { status, body } = await get<{ codes: CodeInfo[] }>('/v1/codes', { from: iso(window.from), to: iso(window.to), top: 3 });
    assert.equal(status, 200);
    const events = select(window.from, window.to);
    const catalog = loadDefaultCatalog();
    const codes = new Set([...catalog.codes, ...events.map((e) => e.code)]);
    const expected = [...codes].map((c) => expectedCode(c, events, 3)).sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
    assert.equal(body.codes.length, 51 + 3);
    assert.deepEqual(body.codes, expected);
    const nine = body.codes.find((c) => c.code === 'CSBS.9009')!;
    assert.deepEqual(nine.rows.map((r) => r.status), [403, 400]);
    assert.ok(nine.rows.every((r) => r.count > 0));
    assert.equal(nine.rows[0]!.count + nine.rows[1]!.count, nine.count);
    assert.equal(body.codes.find((c) => c.code === 'CSBS.0002')!.rows[0]!.unused, true);
  });

  test('filters narrow the counts and code narrows the list', async () => {
    const window = WINDOWS[2]!;
    const { body } = await get<{ codes: CodeInfo[] }>('/v1/codes', { from: iso(window.from), to: iso(window.to), tenant: 't-gamma', code: ['CSBS.9009', 'KARBOR.itemNotFound', 'CSBS.6040'] });
    const events = select(window.from, window.to, { tenant: ['t-gamma'] });
    const expected = ['CSBS.9009', 'KARBOR.itemNotFound', 'CSBS.6040']
      .map((c) => expectedCode(c, events, 5))
      .filter((c) => c.known || c.count > 0)
      .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
    assert.deepEqual(body.codes, expected);
  });

  test('GET /v1/codes/{code}: both rows of CSBS.9009, a catalog code never seen, unknown codes, 404', async () => {
    const window = WINDOWS[0]!;
    const w = { from: iso(window.from), to: iso(window.to) };
    const events = select(window.from, window.to);
    for (const code of ['CSBS.9009', 'CSBS.9999', 'CSBS.3001', 'HTTP.502', 'CSBS.7777', 'CSBS.6040']) {
      const { status, body } = await get<CodeInfo & { from: string; to: string }>(`/v1/codes/${code}`, w);
      assert.equal(status, 200, code);
      assert.deepEqual({ ...body, from: undefined, to: undefined }, { ...expectedCode(code, events, 5), from: undefined, to: undefined }, code);
    }
    const unseen = (await get<CodeInfo>('/v1/codes/CSBS.6040', w)).body;
    assert.equal(unseen.count, 0);
    assert.equal(unseen.first_seen, null);
    // Unknown and seen, but not in this window: still answers, with 0.
    const elsewhere = await get<CodeInfo>('/v1/codes/KARBOR.itemNotFound', { from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' });
    assert.equal(elsewhere.status, 200);
    assert.equal(elsewhere.body.count, 0);
    const missing = await app.inject({ method: 'GET', url: '/v1/codes/CSBS.1234' });
    assert.equal(missing.statusCode, 404);
    assert.match(String(missing.headers['content-type']), /application\/problem\+json/);
    const status = await get<CodeInfo>('/v1/codes/CSBS.9009', { ...w, status: 403 });
    assert.deepEqual(status.body.rows.map((r) => r.count), [events.filter((e) => e.code === 'CSBS.9009' && e.status === 403).length, 0]);
  });
});

interface EventsPage {
  events: Array<Record<string, unknown> & { ts: string; tenant: string }>;
  next_cursor: string | null;
}

const CONTRACT_FIELDS = [
  'ts', 'request_id', 'tenant', 'method', 'path', 'route', 'operation', 'status', 'code', 'message', 'params', 'known',
  'catalog_status', 'status_mismatch', 'unused', 'description', 'solution', 'gateway', 'latency_ms',
] as const;

function newestFirst(a: StoredEvent, b: StoredEvent): number {
  return (
    tsOf(b) - tsOf(a) ||
    (a.source_topic < b.source_topic ? 1 : a.source_topic > b.source_topic ? -1 : 0) ||
    b.source_partition - a.source_partition ||
    Number(BigInt(b.source_offset) - BigInt(a.source_offset)) ||
    b.source_index - a.source_index
  );
}

describe('GET /v1/events', () => {
  async function pages(params: Record<string, string | number | string[]>): Promise<{ events: EventsPage['events']; pages: number }> {
    const all: EventsPage['events'] = [];
    let cursor = '';
    let count = 0;
    do {
      const query: Record<string, string | number | string[]> = cursor === '' ? params : { ...params, cursor };
      const { status, body }: { status: number; body: EventsPage } = await get<EventsPage>('/v1/events', query);
      assert.equal(status, 200);
      all.push(...body.events);
      cursor = body.next_cursor ?? '';
      count += 1;
      assert.ok(count < 500);
    } while (cursor !== '');
    return { events: all, pages: count };
  }

  test('newest first, page by page, every event once, the contract fields exactly', async () => {
    const from = at('2026-11-19T11:00:00.000Z');
    const to = at('2026-11-19T13:00:00.000Z');
    const { events, pages: n } = await pages({ from: iso(from), to: iso(to), limit: 7 });
    const expected = select(from, to).sort(newestFirst);
    assert.equal(n, Math.ceil(expected.length / 7));
    assert.deepEqual(events, expected.map((e) => ({ ...Object.fromEntries(CONTRACT_FIELDS.map((f) => [f, e[f]])), message_truncated: e.message_truncated ?? false })));
    // Five events at the very same millisecond (two from one record), in key order.
    const tie = events.filter((e) => e.ts === '2026-11-19T12:00:30.000Z');
    assert.equal(tie.length, select(at('2026-11-19T12:00:30.000Z'), at('2026-11-19T12:00:30.001Z')).length);
    assert.ok(tie.length >= 5);
  });

  test('filters and an exact page size; the last page has next_cursor null', async () => {
    const from = at('2026-11-18T00:00:00.000Z');
    const to = at('2026-11-19T00:00:00.000Z');
    const filters = { tenant: ['t-delta'], code: ['CSBS.9009', 'HTTP.502'] };
    const expected = select(from, to, filters).sort(newestFirst);
    const { events } = await pages({ from: iso(from), to: iso(to), limit: 10, ...filters });
    assert.deepEqual(events.map((e) => e.request_id), expected.map((e) => e.request_id));
    const exact = await get<EventsPage>('/v1/events', { from: iso(from), to: iso(to), limit: expected.length, ...filters });
    assert.equal(exact.body.events.length, expected.length);
    assert.equal(exact.body.next_cursor, null);
  });

  test('a tampered cursor, or one used with other filters, is a 400 naming cursor', async () => {
    const params = { from: '2026-11-19T11:00:00Z', to: '2026-11-19T13:00:00Z', limit: 5 };
    const first = await get<EventsPage>('/v1/events', params);
    const cursor = first.body.next_cursor!;
    assert.ok(cursor);
    const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
    const forged = Buffer.from(decoded.replace(/gateway-logs/, 'gateway-logz'), 'utf8').toString('base64url');
    const flipped = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
    for (const bad of [forged, flipped, `${cursor}x`, cursor.slice(0, -3), 'not-a-cursor', Buffer.from('[1,2]').toString('base64url')]) {
      const { status, body } = await get<{ parameter: string }>('/v1/events', { ...params, cursor: bad });
      assert.equal(status, 400, bad);
      assert.equal(body.parameter, 'cursor');
    }
    const other = await get<{ parameter: string }>('/v1/events', { ...params, tenant: 't-alpha', cursor });
    assert.equal(other.status, 400);
    assert.equal(other.body.parameter, 'cursor');
    const same = await get<EventsPage>('/v1/events', { ...params, cursor });
    assert.equal(same.status, 200);
    assert.ok(Date.parse(same.body.events[0]!.ts) <= Date.parse(first.body.events.at(-1)!.ts));
  });
});
