/**
 * What was observed per code in a window: count, first/last seen and top tenants (rollups), the
 * events per matched catalog row (rollups by code, status and catalog_status) and the top
 * placeholder values (rollups by code and params); raw events where a filter rules the rollups out.
 */
import { errorCountsSource, filterSql, type Rollup } from '../counts.js';
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
  const rollups = request.rollups ? { rollups: request.rollups } : {};
  const tenantSource = errorCountsSource(window, filters, { keys: ['code', 'tenant'], seen: true, prefix: 'o', ...rollups });
  const rowSource = errorCountsSource(window, filters, { keys: ['code', 'catalog_status'], prefix: 'c', ...rollups });
  const paramSource = errorCountsSource(window, filters, { keys: ['code', 'params'], prefix: 'p', ...rollups });
  const [tenantRows, rowRows, paramRows] = await Promise.all([
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
  for (const row of tenantRows) {
    const e = entry(row.code);
    e.count = Number(row.total);
    e.firstMs = Number(row.first_ms);
    e.lastMs = Number(row.last_ms);
    e.tenants.push({ tenant: row.tenant, count: Number(row.n) });
  }
  for (const row of rowRows) entry(row.code).byCatalogStatus.set(Number(row.catalog_status), Number(row.n));
  for (const row of paramRows) entry(row.code).params.push({ params: row.params, count: Number(row.n) });
  return observed;
}

/** True when `code` was ever seen (by one of `tenants`, when given). */
export async function codeEverSeen(query: QueryFn, code: string, tenants: readonly string[]): Promise<boolean> {
  const where = filterSql({ tenant: [...tenants], code: [code], status: [], operation: [] }, 'x');
  const rows = await query<{ one: number }>(`SELECT 1 AS one FROM events WHERE ${where.sql} LIMIT 1`, where.params);
  return rows.length > 0;
}
