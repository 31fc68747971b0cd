/**
 * The codes of a report's window: counts per code with the previous window (the numbers of GET
 * /v1/errors/frequency?group_by=code), events per code, status and matched catalog row, and the
 * unknown codes.
 */
import type { UnknownCode } from './model.js';
import type { QueryFn } from '../runner.js';
import { eventsWhere, inWindow } from './sql.js';
import { previousWindow, type Filters, type Window } from '../window.js';
import { iso } from '../time.js';

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
