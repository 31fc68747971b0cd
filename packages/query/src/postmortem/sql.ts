/**
 * The WHERE clauses of the postmortem report's reads: the window on `ts` and the filters (the
 * same bound filter clauses as every other read).
 */
import { DT, filterSql, type BoundSql } from '../counts.js';
import type { Filters, Window } from '../window.js';

/** Events of the window that pass the filters: `FROM events WHERE <this>`. */
export function eventsWhere(window: Window, filters: Filters, name = 'w'): BoundSql {
  const where = filterSql(filters, 'f');
  return {
    sql: `ts >= ${DT(`${name}_from`)} AND ts < ${DT(`${name}_to`)} AND ${where.sql}`,
    params: { ...where.params, [`${name}_from`]: window.from, [`${name}_to`]: window.to },
  };
}

/** A predicate on `ts`: inside the window (for -If aggregates over a wider scan). */
export function inWindow(window: Window, name: string): BoundSql {
  return {
    sql: `(ts >= ${DT(`${name}_from`)} AND ts < ${DT(`${name}_to`)})`,
    params: { [`${name}_from`]: window.from, [`${name}_to`]: window.to },
  };
}

/** Rows of request_counts_1m whose minute lies in the (minute-aligned) window; tenant and operation filters only. */
export function requestsWhere(window: Window, filters: Filters): BoundSql {
  const where = filterSql(filters, 'f', ['tenant', 'operation']);
  return {
    sql: `minute >= toDateTime({r_from:UInt32}, 'UTC') AND minute < toDateTime({r_to:UInt32}, 'UTC') AND ${where.sql}`,
    params: { ...where.params, r_from: Math.floor(window.from / 1000), r_to: Math.ceil(window.to / 1000) },
  };
}
