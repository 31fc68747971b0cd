/**
 * The filters every /v1 endpoint takes (`from`, `to`, `tenant`, `code`, `status`, `operation`), and
 * the SQL that reads error counts for a window exactly: whole minutes from the per-minute rollup,
 * the partial minutes at either end from the raw events. Values are always bound, never spliced.
 */
import { z } from 'zod';
import { parseInstant, MINUTE_MS, ceilTo, floorTo } from './time.js';

const repeatable = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item)]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const timeText = z.string().min(1).max(64);

export const commonQuery = {
  from: timeText.optional().describe('ISO-8601 instant or relative (now-24h); default now-24h'),
  to: timeText.optional().describe('ISO-8601 instant or relative; default now'),
  tenant: repeatable(z.string().min(1).max(128)).describe('tenant (project id); repeatable'),
  code: repeatable(z.string().min(1).max(128)).describe('error code; repeatable'),
  status: repeatable(z.coerce.number().int().min(100).max(599)).describe('HTTP status; repeatable'),
  operation: repeatable(z.string().min(1).max(128)).describe('operation name; repeatable'),
};

export interface Window {
  from: number;
  to: number;
}

export interface Filters {
  tenant: string[];
  code: string[];
  status: number[];
  operation: string[];
}

export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_WINDOW_MS = 400 * 86_400_000;

export function resolveWindow(query: { from?: string | undefined; to?: string | undefined }, now = Date.now()): Window {
  const to = query.to === undefined ? now : parseInstant(query.to, now);
  if (to === null) throw new ParameterError('to', 'expected an ISO-8601 instant or a relative time such as now-1h');
  const from = query.from === undefined ? to - 86_400_000 : parseInstant(query.from, now);
  if (from === null) throw new ParameterError('from', 'expected an ISO-8601 instant or a relative time such as now-24h');
  if (from >= to) throw new ParameterError('from', 'must be before to');
  if (to - from > MAX_WINDOW_MS) throw new ParameterError('from', 'the window may span at most 400 days');
  return { from, to };
}

export type GroupField = 'code' | 'status' | 'tenant' | 'operation';
export const GROUP_FIELDS: readonly GroupField[] = ['code', 'status', 'tenant', 'operation'];

export interface BoundSql {
  sql: string;
  params: Record<string, unknown>;
}

/** WHERE clause for the filters; `prefix` keeps parameter names apart when a query uses it twice. */
export function filterSql(filters: Filters, prefix = 'f'): BoundSql {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  if (filters.tenant.length > 0) {
    clauses.push(`tenant IN {${prefix}_tenant:Array(String)}`);
    params[`${prefix}_tenant`] = filters.tenant;
  }
  if (filters.code.length > 0) {
    clauses.push(`code IN {${prefix}_code:Array(String)}`);
    params[`${prefix}_code`] = filters.code;
  }
  if (filters.status.length > 0) {
    clauses.push(`status IN {${prefix}_status:Array(UInt16)}`);
    params[`${prefix}_status`] = filters.status;
  }
  if (filters.operation.length > 0) {
    clauses.push(`operation IN {${prefix}_operation:Array(String)}`);
    params[`${prefix}_operation`] = filters.operation;
  }
  return { sql: clauses.length > 0 ? clauses.join(' AND ') : '1', params };
}

const DT = (name: string) => `fromUnixTimestamp64Milli({${name}:Int64}, 'UTC')`;

/**
 * Rows (code, status, tenant, operation, count, first_seen, last_seen) of the error counts in the
 * window: whole minutes from error_counts_1m, edge minutes from events.
 */
export function errorCountsSource(window: Window, filters: Filters, prefix = 'w'): BoundSql {
  const where = filterSql(filters, `${prefix}f`);
  const wholeFrom = ceilTo(window.from, MINUTE_MS);
  const wholeTo = floorTo(window.to, MINUTE_MS);
  const params: Record<string, unknown> = { ...where.params, [`${prefix}_from`]: window.from, [`${prefix}_to`]: window.to };
  if (wholeFrom >= wholeTo) {
    return {
      sql: `SELECT code, status, tenant, operation, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
            FROM events WHERE ts >= ${DT(`${prefix}_from`)} AND ts < ${DT(`${prefix}_to`)} AND ${where.sql}
            GROUP BY code, status, tenant, operation`,
      params,
    };
  }
  params[`${prefix}_wfrom`] = wholeFrom;
  params[`${prefix}_wto`] = wholeTo;
  return {
    sql: `SELECT code, status, tenant, operation, sum(count) AS count, min(first_seen) AS first_seen, max(last_seen) AS last_seen
          FROM error_counts_1m
          WHERE minute >= ${DT(`${prefix}_wfrom`)} AND minute < ${DT(`${prefix}_wto`)} AND ${where.sql}
          GROUP BY code, status, tenant, operation
          UNION ALL
          SELECT code, status, tenant, operation, count() AS count, min(ts) AS first_seen, max(ts) AS last_seen
          FROM events
          WHERE ((ts >= ${DT(`${prefix}_from`)} AND ts < ${DT(`${prefix}_wfrom`)}) OR (ts >= ${DT(`${prefix}_wto`)} AND ts < ${DT(`${prefix}_to`)}))
            AND ${where.sql}
          GROUP BY code, status, tenant, operation`,
    params,
  };
}
