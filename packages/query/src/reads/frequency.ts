/**
 * Error counts per group for a window, with the previous window of the same length, in one query:
 * both windows are read in one pass over each source table (see windowedCounts), and the totals
 * ride along as window functions.
 */
import { windowedCounts, type GroupField, type Rollup } from '../counts.js';
import { previousWindow, type Filters, type Window } from '../window.js';
import type { QueryFn } from '../runner.js';
import { groupOf, type GroupKey } from './groups.js';

export interface FrequencyGroup {
  key: GroupKey;
  count: number;
  previousCount: number;
  firstMs: number;
  lastMs: number;
}

export interface Frequency {
  total: number;
  previousTotal: number;
  /** The top `limit` groups with a count in the window, by count then by the group fields. */
  groups: FrequencyGroup[];
  /** Groups with a count in the window, shown or not. */
  groupCount: number;
}

interface Row {
  n: string;
  pn: string;
  first_ms: string;
  last_ms: string;
  total: string;
  previous_total: string;
  groups: string;
  [field: string]: unknown;
}

export interface FrequencyRequest {
  window: Window;
  filters: Filters;
  keys: readonly GroupField[];
  limit: number;
  rollups?: readonly Rollup[];
}

export async function readFrequency(query: QueryFn, request: FrequencyRequest): Promise<Frequency> {
  const { window, filters, keys, limit } = request;
  const source = windowedCounts([window, previousWindow(window)], filters, { keys, seen: true, prefix: 'w', ...(request.rollups ? { rollups: request.rollups } : {}) });
  const k = keys.join(', ');
  // The row with n = 0 and the previous window's total when the current window is empty: the
  // outer filter keeps the groups with a count, or one row of totals when there is none.
  const rows = await query<Row>(
    `SELECT * FROM (
       SELECT ${k}, n, pn, first_ms, last_ms, sum(n) OVER () AS total, sum(pn) OVER () AS previous_total, countIf(n > 0) OVER () AS groups
       FROM (
         SELECT ${k}, sumIf(count, w = 0) AS n, sumIf(count, w = 1) AS pn,
                toUnixTimestamp64Milli(minIf(first_seen, w = 0)) AS first_ms, toUnixTimestamp64Milli(maxIf(last_seen, w = 0)) AS last_ms
         FROM (${source.sql})
         GROUP BY ${k}
       )
     )
     WHERE n > 0 OR groups = 0
     ORDER BY n DESC, ${k}
     LIMIT {limit:UInt32}`,
    { ...source.params, limit },
  );
  const total = rows[0] ? Number(rows[0].total) : 0;
  const previousTotal = rows[0] ? Number(rows[0].previous_total) : 0;
  return {
    total,
    previousTotal,
    groups: rows
      .filter((row) => Number(row.n) > 0)
      .map((row) => ({ key: groupOf(row, keys), count: Number(row.n), previousCount: Number(row.pn), firstMs: Number(row.first_ms), lastMs: Number(row.last_ms) })),
    groupCount: rows[0] ? Number(rows[0].groups) : 0,
  };
}
