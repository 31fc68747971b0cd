/**
 * What was observed per code in a window: count, first/last seen and top tenants, the events per
 * matched catalog row (for one code both from the rollup by code, tenant and catalog_status; for
 * all codes from the rollups by tenant and by code) and the top placeholder values (rollups by code
 * and params); raw events where a filter rules the rollups out.
 */
import { errorCountsSource, filterSql, neededColumns, planRollups, ROLLUPS, type Rollup, type RollupColumn } from '../counts.js';
import type { Filters, Window } from '../window.js';
import type { QueryFn } from '../runner.js';

export interface ObservedCode {
  count: number;
  firstMs: number;
  lastMs: number;
  tenants: Array<{ tenant: string; count: number }>;
  /** Events per catalog_status (the status of the catalog row each event matched). */
  byCatalogStatus: Map<number, number>;
  params: Array<{ params: string[]; count: number }>;
}

export interface CodesRequest {
  window: Window;
  filters: Filters;
  /** Entries in the top tenants and the top params. */
  top: number;
  rollups?: readonly Rollup[];
}

export async function readObservedCodes(query: QueryFn, request: CodesRequest): Promise<Map<string, ObservedCode>> {
  const { window, filters, top } = request;
  const rollups = request.rollups ?? ROLLUPS;
  const paramSource = errorCountsSource(window, filters, { keys: ['code', 'params'], prefix: 'p', rollups });
  const [counts, paramRows] = await Promise.all([
    // On the embedded engine a query costs mostly its planning: one query where a source holds both.
    planRollups(neededColumns(TENANTS_AND_ROWS, filters), rollups, filters).length > 0 || rollups.length === 0
      ? readTenantsAndRows(query, request, rollups)
      : readTenantsThenRows(query, request, rollups),
    query<{ code: string; params: string[]; n: string }>(
      `SELECT code, params, sum(count) AS n FROM (${paramSource.sql})
       WHERE notEmpty(params)
       GROUP BY code, params ORDER BY code, n DESC, params LIMIT {top:UInt32} BY code`,
      { ...paramSource.params, top },
    ),
  ]);
  const observed = new Map<string, ObservedCode>();
  const entry = (code: string) => {
    let e = observed.get(code);
    if (e === undefined) {
      e = { count: 0, firstMs: 0, lastMs: 0, tenants: [], byCatalogStatus: new Map(), params: [] };
      observed.set(code, e);
    }
    return e;
  };
  for (const row of counts.tenants) {
    const e = entry(row.code);
    e.count = row.total;
    e.firstMs = row.firstMs;
    e.lastMs = row.lastMs;
    e.tenants.push({ tenant: row.tenant, count: row.count });
  }
  for (const row of counts.rows) entry(row.code).byCatalogStatus.set(row.catalogStatus, row.count);
  for (const row of paramRows) entry(row.code).params.push({ params: row.params, count: Number(row.n) });
  return observed;
}

const TENANTS_AND_ROWS: readonly RollupColumn[] = ['code', 'tenant', 'catalog_status'];

interface TenantsAndRows {
  /** The top tenants per code, each with its code's total and first and last seen. */
  tenants: Array<{ code: string; tenant: string; count: number; total: number; firstMs: number; lastMs: number }>;
  /** Events per code and catalog_status. */
  rows: Array<{ code: string; catalogStatus: number; count: number }>;
}

/**
 * Both from one source (a request filtered by code, or the raw events): GROUPING SETS count per
 * (code, tenant) and per (code, catalog_status) in one read; the code's total and first and last
 * seen are the sums, minimum and maximum over its catalog rows.
 */
async function readTenantsAndRows(query: QueryFn, request: CodesRequest, rollups: readonly Rollup[]): Promise<TenantsAndRows> {
  const source = errorCountsSource(request.window, request.filters, { keys: TENANTS_AND_ROWS, seen: true, prefix: 'o', rollups });
  const found = await query<{ code: string; tenant: string; catalog_status: number; by_tenant: number; n: string; first_ms: string; last_ms: string }>(
    `SELECT code, tenant, catalog_status, grouping(catalog_status) AS by_tenant, sum(count) AS n,
            toUnixTimestamp64Milli(min(first_seen)) AS first_ms, toUnixTimestamp64Milli(max(last_seen)) AS last_ms
     FROM (${source.sql})
     GROUP BY GROUPING SETS ((code, tenant), (code, catalog_status)) HAVING n > 0
     ORDER BY code, by_tenant, n DESC, tenant, catalog_status
     LIMIT {top:UInt32} BY code, by_tenant, catalog_status`,
    { ...source.params, top: request.top },
  );
  const rows: TenantsAndRows['rows'] = [];
  const seen = new Map<string, { total: number; firstMs: number; lastMs: number }>();
  for (const r of found) {
    if (Number(r.by_tenant) !== 0) continue;
    const count = Number(r.n);
    rows.push({ code: r.code, catalogStatus: Number(r.catalog_status), count });
    const s = seen.get(r.code) ?? { total: 0, firstMs: Number(r.first_ms), lastMs: Number(r.last_ms) };
    seen.set(r.code, { total: s.total + count, firstMs: Math.min(s.firstMs, Number(r.first_ms)), lastMs: Math.max(s.lastMs, Number(r.last_ms)) });
  }
  // Every code with a tenant row has catalog rows too: both sets count the same source rows.
  const tenants = found
    .filter((r) => Number(r.by_tenant) !== 0)
    .map((r) => ({ code: r.code, tenant: r.tenant, count: Number(r.n), ...(seen.get(r.code) ?? { total: 0, firstMs: 0, lastMs: 0 }) }));
  return { tenants, rows };
}

/** Where no rollup holds tenant and catalog_status together (a request not filtered by code): two reads. */
async function readTenantsThenRows(query: QueryFn, request: CodesRequest, rollups: readonly Rollup[]): Promise<TenantsAndRows> {
  const { window, filters, top } = request;
  const tenantSource = errorCountsSource(window, filters, { keys: ['code', 'tenant'], seen: true, prefix: 'o', rollups });
  const rowSource = errorCountsSource(window, filters, { keys: ['code', 'catalog_status'], prefix: 'c', rollups });
  const [tenantRows, rowRows] = await Promise.all([
    query<{ code: string; tenant: string; n: string; total: string; first_ms: string; last_ms: string }>(
      `SELECT code, tenant, n, sum(n) OVER (PARTITION BY code) AS total,
              toUnixTimestamp64Milli(min(fs) OVER (PARTITION BY code)) AS first_ms, toUnixTimestamp64Milli(max(ls) OVER (PARTITION BY code)) AS last_ms
       FROM (SELECT code, tenant, sum(count) AS n, min(first_seen) AS fs, max(last_seen) AS ls FROM (${tenantSource.sql}) GROUP BY code, tenant HAVING n > 0)
       ORDER BY code, n DESC, tenant
       LIMIT {top:UInt32} BY code`,
      { ...tenantSource.params, top },
    ),
    query<{ code: string; catalog_status: number; n: string }>(
      `SELECT code, catalog_status, sum(count) AS n FROM (${rowSource.sql}) GROUP BY code, catalog_status HAVING n > 0`,
      rowSource.params,
    ),
  ]);
  return {
    tenants: tenantRows.map((r) => ({ code: r.code, tenant: r.tenant, count: Number(r.n), total: Number(r.total), firstMs: Number(r.first_ms), lastMs: Number(r.last_ms) })),
    rows: rowRows.map((r) => ({ code: r.code, catalogStatus: Number(r.catalog_status), count: Number(r.n) })),
  };
}

/** True when `code` was ever seen (by one of `tenants`, when given). */
export async function codeEverSeen(query: QueryFn, code: string, tenants: readonly string[]): Promise<boolean> {
  const where = filterSql({ tenant: [...tenants], code: [code], status: [], operation: [] }, 'x');
  const rows = await query<{ one: number }>(`SELECT 1 AS one FROM events WHERE ${where.sql} LIMIT 1`, where.params);
  return rows.length > 0;
}
