/**
 * The reads of @csbs-errors/query on the replayed fixture (test/support/fixture.ts) and the real
 * engine: every read that the planner can route through a rollup answers exactly as the raw scan
 * (rollups: []) does, and as the rollups of migrations 0002/0004 alone do, for every group
 * combination, windows whose edges cut minutes, hours and days, and filters that rule rollups in and
 * out. Also: the planner's choices, and time parameters that overflow are bad parameters.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ClickHouseClient } from '@csbs-errors/store';
import {
  FULL_ROLLUPS,
  InvalidParameter,
  NO_FILTERS,
  ROLLUPS,
  boundQuery,
  neededColumns,
  parseTimeParameter,
  planRollups,
  readFrequency,
  readMinuteCounts,
  readObservedCodes,
  readRate,
  readTrend,
  windowedCounts,
  resolveInterval,
  resolveWindow,
  minuteWindow,
  type Filters,
  type GroupField,
  type QueryFn,
  type Rollup,
} from '@csbs-errors/query';
import { storeForTests, openTestStore, type TestStore } from '../../../test/support/store.js';
import { loadFixture, select } from '../../../test/support/fixture.js';

let store: TestStore;
let client: ClickHouseClient;
let query: QueryFn;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  query = boundQuery(client);
});
after(async () => {
  await client?.close();
  await store?.dispose();
});

const at = (text: string) => Date.parse(text);
const WINDOWS = [
  { name: 'days+hours+minutes+raw', from: at('2026-11-17T22:30:15.500Z'), to: at('2026-11-20T01:10:20.250Z') },
  { name: 'sub-minute', from: at('2026-11-19T12:00:00.000Z'), to: at('2026-11-19T12:00:30.001Z') },
  { name: 'whole days', from: at('2026-11-18T00:00:00.000Z'), to: at('2026-11-20T00:00:00.000Z') },
  { name: 'days+hours+minutes+seconds', from: at('2026-11-17T22:30:15.000Z'), to: at('2026-11-20T01:10:20.000Z') },
];
const FIELDS: GroupField[] = ['code', 'status', 'tenant', 'operation'];
const COMBOS: GroupField[][] = [];
for (let mask = 1; mask < 16; mask++) COMBOS.push(FIELDS.filter((_, i) => mask & (1 << i)));
const FILTERED_COMBOS: GroupField[][] = [['code'], ['tenant'], ['code', 'status'], ['operation', 'tenant']];
const FILTERS: Filters[] = [
  NO_FILTERS,
  { ...NO_FILTERS, tenant: ['t-alpha', 't-gamma'] },
  { ...NO_FILTERS, operation: ['restore_backup'], status: [404] },
  { ...NO_FILTERS, tenant: ['t-beta'], operation: ['create_backup'] },
  { ...NO_FILTERS, code: ['CSBS.9009', 'HTTP.502'] },
  { ...NO_FILTERS, code: ['CSBS.9009'], status: [500] },
];
const VARIANTS: Array<[string, readonly Rollup[]]> = [
  ['planner over every rollup', ROLLUPS],
  ['the full rollups of 0002/0004 only', FULL_ROLLUPS],
];

describe('the planner', () => {
  const tables = (keys: Parameters<typeof neededColumns>[0], filters: Filters = NO_FILTERS) => planRollups(neededColumns(keys, filters), ROLLUPS, filters).map((r) => (r.unitColumn ? `${r.table} ${r.stepMs / 1000}` : r.table));

  test('picks, per unit, the smallest rollup with every column a request groups and filters by', () => {
    const units = (table: string) => [`${table} 86400`, `${table} 3600`, `${table} 60`, `${table} 1`];
    const FULL = ['error_counts_1d', 'error_counts_1h', 'error_counts_1m'];
    assert.deepEqual(tables(['code']), units('error_counts_code'));
    assert.deepEqual(tables(['code', 'status']), units('error_counts_code'));
    assert.deepEqual(tables(['code'], { ...NO_FILTERS, tenant: ['t'] }), units('error_counts_for_tenant'));
    assert.deepEqual(tables(['tenant']), units('error_counts_by_tenant'));
    assert.deepEqual(tables([], { ...NO_FILTERS, tenant: ['t'] }), units('error_counts_by_tenant'));
    assert.deepEqual(tables(['status'], { ...NO_FILTERS, tenant: ['t'] }), units('error_counts_for_tenant'));
    // Ordered by tenant first, that one is for requests filtered by tenant only.
    assert.deepEqual(tables(['tenant', 'code']), units('error_counts_tenant'));
    assert.deepEqual(tables(['code'], { ...NO_FILTERS, code: ['c'] }), units('error_counts_code'));
    // Ordered by code first, with catalog_status: for requests filtered by code only (the code page's one read).
    assert.deepEqual(tables(['tenant'], { ...NO_FILTERS, code: ['c'] }), units('error_counts_for_code'));
    assert.deepEqual(tables(['code', 'tenant', 'catalog_status'], { ...NO_FILTERS, code: ['c'] }), units('error_counts_for_code'));
    assert.deepEqual(tables(['code', 'tenant', 'catalog_status']), []);
    assert.deepEqual(tables(['tenant'], { ...NO_FILTERS, code: ['c'], tenant: ['t'] }), units('error_counts_for_tenant'));
    assert.deepEqual(tables(['operation', 'status']), units('error_counts_operation'));
    // Tenant and operation together: only the full rollups (no per-second one; raw events below a minute).
    assert.deepEqual(tables(['tenant', 'operation']), FULL);
    // catalog_status is kept by the code rollups only: with a tenant filter, the raw events answer.
    assert.deepEqual(tables(['code', 'catalog_status']), units('error_counts_code'));
    assert.deepEqual(tables(['code', 'catalog_status'], { ...NO_FILTERS, tenant: ['t'] }), []);
    // The code page's parameter values: by code and params, or the raw events under any other filter.
    assert.deepEqual(tables(['code', 'params']), units('error_counts_params'));
    assert.deepEqual(tables(['code', 'params'], { ...NO_FILTERS, status: [500] }), []);
  });

  test('a window with ends on whole seconds reads one table; parts of a second come from the raw events', () => {
    const sources = (from: string, to: string, filters: Filters = NO_FILTERS) =>
      [...windowedCounts([{ from: at(from), to: at(to) }], filters, { keys: ['code'], prefix: 'p' }).sql.matchAll(/FROM (\w+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(sources('2026-11-17T22:30:15Z', '2026-11-20T01:10:20Z'), ['error_counts_code']);
    assert.deepEqual(sources('2026-11-17T22:30:15Z', '2026-11-20T01:10:20Z', { ...NO_FILTERS, tenant: ['t'] }), ['error_counts_for_tenant']);
    assert.deepEqual(sources('2026-11-17T22:30:15.500Z', '2026-11-20T01:10:20Z'), ['error_counts_code', 'events']);
  });
});

describe('time parameters', () => {
  test('a relative time that overflows, or lies outside 2000..2100, is a bad parameter named', () => {
    const now = at('2026-11-19T12:00:00Z');
    for (const parameter of ['from', 'to', 'since']) {
      for (const text of ['now-999999999999w', 'now-999999999999999s', 'now-99999999999999999999d', 'now-1000000d', '1999-12-31', '2100-01-02T00:00:00Z']) {
        assert.throws(() => parseTimeParameter(parameter, text, now), (e: unknown) => e instanceof InvalidParameter && e.parameter === parameter && e.message.startsWith(`${parameter}: `), `${parameter}=${text}`);
      }
    }
    assert.equal(parseTimeParameter('since', 'now-2w', now), now - 14 * 86_400_000);
    assert.throws(() => resolveWindow({ from: 'now-999999999999w' }, now), (e: unknown) => e instanceof InvalidParameter && e.parameter === 'from');
    assert.throws(() => resolveWindow({ to: 'now-999999999999w' }, now), (e: unknown) => e instanceof InvalidParameter && e.parameter === 'to');
  });
});

describe('every read equals the raw scan', () => {
  for (const [name, rollups] of VARIANTS) {
    test(`frequency, every group combination, window and filter: ${name}`, async () => {
      for (const window of WINDOWS) {
        // The full rollups alone (what 0002/0004 left) are checked without filters: the planner runs with them all.
        for (const filters of rollups === ROLLUPS ? FILTERS : [NO_FILTERS]) {
          // Every combination without filters; with filters, the combinations that pick each kind of rollup.
          for (const keys of filters === NO_FILTERS ? COMBOS : FILTERED_COMBOS) {
            const request = { window, filters, keys, limit: 10_000 };
            const expected = await readFrequency(query, { ...request, rollups: [] });
            assert.deepEqual(await readFrequency(query, { ...request, rollups }), expected, `${window.name} ${JSON.stringify(filters)} by ${keys}`);
          }
        }
        // The raw scan itself against the fixture: its total is the events in the window.
        assert.equal((await readFrequency(query, { window, filters: NO_FILTERS, keys: ['code'], limit: 10_000, rollups: [] })).total, select(window.from, window.to).length);
      }
    });

    if (rollups !== ROLLUPS) continue;
    test(`trend, every interval and group combination: ${name}`, async () => {
      const window = WINDOWS[0]!;
      for (const intervalName of ['5m', '15m', '1h', '6h', '1d'] as const) {
        const interval = resolveInterval(intervalName, window.from, window.to);
        for (const [keys, filters] of [[[], NO_FILTERS], [['code'], NO_FILTERS], [['tenant'], NO_FILTERS], [[], FILTERS[1]!], [['tenant', 'code'], FILTERS[1]!], [['operation'], FILTERS[2]!], [['code', 'status'], FILTERS[3]!]] as Array<[GroupField[], Filters]>) {
          const request = { window, filters, keys, interval, limit: 1_000 };
          assert.deepEqual(await readTrend(query, { ...request, rollups }), await readTrend(query, { ...request, rollups: [] }), `${intervalName} by ${keys}`);
        }
      }
    });

    test(`rate and the observed codes: ${name}`, async () => {
      for (const w of WINDOWS) {
        const window = minuteWindow(w);
        const interval = resolveInterval('auto', window.from, window.to);
        for (const filters of FILTERS) {
          assert.deepEqual(await readRate(query, { window, filters, interval, rollups }), await readRate(query, { window, filters, interval, rollups: [] }), `rate ${w.name} ${JSON.stringify(filters)}`);
          // Filtered by code, the rollups answer in one read (grouping sets), as do the raw events; the full rollups of 0002/0004 in two.
          for (const top of [1, 3]) {
            const codes = { window: w, filters, top };
            const raw = await readObservedCodes(query, { ...codes, rollups: [] });
            for (const [variant, some] of VARIANTS) assert.deepEqual(await readObservedCodes(query, { ...codes, rollups: some }), raw, `codes ${w.name} ${JSON.stringify(filters)} top ${top}: ${variant}`);
          }
        }
      }
    });
  }

  test('the detector\'s per-minute series (smallest per-minute rollup) equal the raw events per minute', async () => {
    const ranges = [{ fromMinute: Math.floor(at('2026-11-18T23:00:00Z') / 60_000), toMinute: Math.floor(at('2026-11-19T13:30:00Z') / 60_000) }];
    for (const byTenant of [false, true]) {
      const { errors } = await readMinuteCounts(query, { codes: ['CSBS.9999', 'CSBS.9009'], ranges, byTenant });
      const raw = await query<{ m: string; tenant: string; n: string }>(
        `SELECT intDiv(toUnixTimestamp(ts), 60) AS m, ${byTenant ? 'tenant' : "'' AS tenant"}, count() AS n FROM events
         WHERE code IN ['CSBS.9999', 'CSBS.9009'] AND ts >= toDateTime({f:UInt32}, 'UTC') AND ts < toDateTime({t:UInt32}, 'UTC') GROUP BY m, tenant`,
        { f: ranges[0]!.fromMinute * 60, t: ranges[0]!.toMinute * 60 },
      );
      const key = (r: { minute: number; tenant: string }) => `${r.minute}|${r.tenant}`;
      assert.deepEqual(new Map(errors.map((r) => [key(r), r.count])), new Map(raw.map((r) => [key({ minute: Number(r.m), tenant: r.tenant }), Number(r.n)])));
      assert.ok(errors.length > 100);
    }
  });
});
