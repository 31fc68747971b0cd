/**
 * The WHERE clauses of the report: the window on `ts` and the filters of the query API (tenant,
 * code, status, operation; each a list, empty = all). Values are always bound parameters.
 */
import type { Window } from './window.js';

export interface Filters {
  tenant: string[];
  code: string[];
  status: number[];
  operation: string[];
}

export const NO_FILTERS: Filters = { tenant: [], code: [], status: [], operation: [] };

export interface BoundSql {
  sql: string;
  params: Record<string, unknown>;
}

type Field = keyof Filters;
const TYPES: Record<Field, string> = { tenant: 'String', code: 'String', status: 'UInt16', operation: 'String' };

/** `field IN {...}` for each non-empty filter among `fields`; `1` when none applies. */
export function filterSql(filters: Filters, fields: readonly Field[] = ['tenant', 'code', 'status', 'operation']): BoundSql {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  for (const field of fields) {
    const values = filters[field];
    if (values.length === 0) continue;
    clauses.push(`${field} IN {f_${field}:Array(${TYPES[field]})}`);
    params[`f_${field}`] = values;
  }
  return { sql: clauses.length > 0 ? clauses.join(' AND ') : '1', params };
}

const instant = (param: string) => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;

/** Events of the window that pass the filters: `FROM events WHERE <this>`. */
export function eventsWhere(window: Window, filters: Filters, name = 'w'): BoundSql {
  const where = filterSql(filters);
  return {
    sql: `ts >= ${instant(`${name}_from`)} AND ts < ${instant(`${name}_to`)} AND ${where.sql}`,
    params: { ...where.params, [`${name}_from`]: window.from, [`${name}_to`]: window.to },
  };
}

/** A predicate on `ts`: inside the window (for -If aggregates over a wider scan). */
export function inWindow(window: Window, name: string): BoundSql {
  return {
    sql: `(ts >= ${instant(`${name}_from`)} AND ts < ${instant(`${name}_to`)})`,
    params: { [`${name}_from`]: window.from, [`${name}_to`]: window.to },
  };
}

/** Rows of request_counts_1m whose minute lies in the (minute-aligned) window; tenant and operation filters only. */
export function requestsWhere(window: Window, filters: Filters): BoundSql {
  const where = filterSql(filters, ['tenant', 'operation']);
  return {
    sql: `minute >= toDateTime({r_from:UInt32}, 'UTC') AND minute < toDateTime({r_to:UInt32}, 'UTC') AND ${where.sql}`,
    params: { ...where.params, r_from: Math.floor(window.from / 1000), r_to: Math.ceil(window.to / 1000) },
  };
}
