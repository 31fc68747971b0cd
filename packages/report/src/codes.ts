/**
 * The codes of the window: counts per code with the previous window (the numbers of GET
 * /v1/errors/frequency?group_by=code), their statuses and catalog rows, the unknown codes, the
 * status mismatches, and the comparison with the previous window.
 */
import type { Catalog } from '@csbs-errors/catalog';
import type { CodeEntry, Comparison, StatusMismatch, UnknownCode } from './model.js';
import type { QueryFn } from './query.js';
import { eventsWhere, inWindow, type Filters } from './sql.js';
import { changeOf } from './summary.js';
import { iso, previousWindow, type Window } from './window.js';

/** Per code: this window's and the previous one's counts (either may be 0). */
export interface CodeCount {
  code: string;
  count: number;
  previous_count: number;
  first_ms: number;
  last_ms: number;
}

/** Every code seen in either window, by count then code (the order of the API). */
export async function queryCodeCounts(query: QueryFn, window: Window, filters: Filters): Promise<CodeCount[]> {
  const previous = previousWindow(window);
  const scan = eventsWhere({ from: previous.from, to: window.to }, filters);
  const current = inWindow(window, 'c');
  const rows = await query<{ code: string; n: string; pn: string; first_ms: string; last_ms: string }>(
    `SELECT code, countIf(cur) AS n, countIf(NOT cur) AS pn,
            toUnixTimestamp64Milli(minIf(ts, cur)) AS first_ms, toUnixTimestamp64Milli(maxIf(ts, cur)) AS last_ms
     FROM (SELECT code, ts, ${current.sql} AS cur FROM events WHERE ${scan.sql})
     GROUP BY code
     ORDER BY n DESC, code`,
    { ...scan.params, ...current.params },
  );
  return rows.map((r) => ({ code: r.code, count: Number(r.n), previous_count: Number(r.pn), first_ms: Number(r.first_ms), last_ms: Number(r.last_ms) }));
}

/** Events per code, observed status and matched catalog row: the source of statuses, rows and mismatches. */
export interface StatusCount {
  code: string;
  status: number;
  catalog_status: number;
  known: boolean;
  status_mismatch: boolean;
  count: number;
}

export async function queryStatusCounts(query: QueryFn, window: Window, filters: Filters): Promise<StatusCount[]> {
  const where = eventsWhere(window, filters);
  const rows = await query<{ code: string; status: number; catalog_status: number; known: boolean | number; status_mismatch: boolean | number; n: string }>(
    `SELECT code, status, catalog_status, known, status_mismatch, count() AS n
     FROM events WHERE ${where.sql}
     GROUP BY code, status, catalog_status, known, status_mismatch
     ORDER BY n DESC, code, status`,
    where.params,
  );
  return rows.map((r) => ({
    code: r.code,
    status: Number(r.status),
    catalog_status: Number(r.catalog_status),
    known: Boolean(r.known),
    status_mismatch: Boolean(r.status_mismatch),
    count: Number(r.n),
  }));
}

export function topCodes(counts: CodeCount[], statuses: StatusCount[], catalog: Catalog, total: number, limit: number): { codes: CodeEntry[]; other: { count: number; codes: number } | null } {
  const seen = counts.filter((c) => c.count > 0);
  const codes = seen.slice(0, limit).map((c): CodeEntry => {
    const mine = statuses.filter((s) => s.code === c.code);
    const byStatus = new Map<number, number>();
    for (const s of mine) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + s.count);
    const matchedRows = new Set(mine.filter((s) => s.known).map((s) => s.catalog_status));
    return {
      code: c.code,
      count: c.count,
      share: total > 0 ? c.count / total : 0,
      previous_count: c.previous_count,
      change: changeOf(c.count, c.previous_count),
      first_seen: iso(c.first_ms),
      last_seen: iso(c.last_ms),
      known: catalog.has(c.code),
      statuses: [...byStatus].map(([status, count]) => ({ status, count })).sort((a, b) => b.count - a.count || a.status - b.status),
      catalog: catalog.rows
        .filter((row) => row.code === c.code && matchedRows.has(row.status))
        .map((row) => ({ status: row.status, template: row.template, description: row.description, solution: row.solution, unused: row.unused })),
    };
  });
  const rest = seen.slice(limit);
  return { codes, other: rest.length > 0 ? { count: rest.reduce((sum, c) => sum + c.count, 0), codes: rest.length } : null };
}

export function statusMismatches(statuses: StatusCount[]): StatusMismatch[] {
  return statuses
    .filter((s) => s.status_mismatch)
    .map((s) => ({ code: s.code, status: s.status, catalog_status: s.catalog_status, count: s.count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code) || a.status - b.status);
}

export async function queryUnknownCodes(query: QueryFn, window: Window, filters: Filters, limit: number): Promise<UnknownCode[]> {
  const where = eventsWhere(window, filters);
  const rows = await query<{ code: string; n: string; statuses: number[]; sample: string; first_ms: string; last_ms: string }>(
    `SELECT code, count() AS n, arraySort(groupUniqArray(status)) AS statuses, argMin(message, ts) AS sample,
            toUnixTimestamp64Milli(min(ts)) AS first_ms, toUnixTimestamp64Milli(max(ts)) AS last_ms
     FROM events WHERE ${where.sql} AND NOT known
     GROUP BY code
     ORDER BY n DESC, code
     LIMIT {limit:UInt32}`,
    { ...where.params, limit },
  );
  return rows.map((r) => ({
    code: r.code,
    count: Number(r.n),
    statuses: r.statuses.map(Number),
    sample_message: r.sample,
    first_seen: iso(Number(r.first_ms)),
    last_seen: iso(Number(r.last_ms)),
  }));
}

export function compare(counts: CodeCount[], window: Window, total: number, previousTotal: number, limit: number): Comparison {
  const previous = previousWindow(window);
  const byCode = (a: { code: string }, b: { code: string }) => a.code.localeCompare(b.code);
  return {
    previous_window: { from: iso(previous.from), to: iso(previous.to) },
    previous_errors: previousTotal,
    change: changeOf(total, previousTotal),
    new_codes: counts
      .filter((c) => c.count > 0 && c.previous_count === 0)
      .map((c) => ({ code: c.code, count: c.count }))
      .sort((a, b) => b.count - a.count || byCode(a, b))
      .slice(0, limit),
    gone_codes: counts
      .filter((c) => c.count === 0 && c.previous_count > 0)
      .map((c) => ({ code: c.code, previous_count: c.previous_count }))
      .sort((a, b) => b.previous_count - a.previous_count || byCode(a, b))
      .slice(0, limit),
    increases: counts
      .filter((c) => c.count > c.previous_count && c.previous_count > 0)
      .sort((a, b) => b.count - b.previous_count - (a.count - a.previous_count) || byCode(a, b))
      .slice(0, limit)
      .map((c) => ({ code: c.code, count: c.count, previous_count: c.previous_count, change: changeOf(c.count, c.previous_count) })),
  };
}
