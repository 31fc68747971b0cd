/** Tenants and operations hit: errors per group, its distinct codes and its most frequent code. */
import type { Breakdown } from './model.js';
import type { QueryFn } from '../runner.js';
import { eventsWhere } from './sql.js';
import type { Filters, Window } from '../window.js';

export type BreakdownField = 'tenant' | 'operation';

interface Row {
  key: string;
  n: string;
  codes: string;
  top_code: string;
  top_code_n: string;
  groups: string;
  total: string;
}

export async function queryBreakdown<K extends BreakdownField>(query: QueryFn, field: K, window: Window, filters: Filters, limit: number): Promise<Breakdown<K>> {
  const where = eventsWhere(window, filters);
  // `field` is one of two fixed column names.
  const rows = await query<Row>(
    `SELECT key, n, codes, top_code, top_code_n, count() OVER () AS groups, sum(n) OVER () AS total
     FROM (
       SELECT key, sum(c) AS n, count() AS codes, argMin(code, (-toInt64(c), code)) AS top_code, max(c) AS top_code_n
       FROM (SELECT ${field} AS key, code, count() AS c FROM events WHERE ${where.sql} GROUP BY key, code)
       GROUP BY key
     )
     ORDER BY n DESC, key
     LIMIT {limit:UInt32}`,
    { ...where.params, limit },
  );
  const total = Number(rows[0]?.total ?? 0);
  const groups = Number(rows[0]?.groups ?? 0);
  const entries = rows.map((r) => {
    const count = Number(r.n);
    const key = { [field]: r.key } as Record<K, string>;
    return { ...key, count, share: total > 0 ? count / total : 0, codes: Number(r.codes), top_code: r.top_code, top_code_count: Number(r.top_code_n) };
  });
  const shown = entries.reduce((sum, e) => sum + e.count, 0);
  return { entries, other: groups > entries.length ? { count: total - shown, groups: groups - entries.length } : null };
}
