/**
 * Resources hit: the values that filled the catalog templates' placeholders, counted per kind. What
 * kind a placeholder is comes from the caller (`kinds`: `code|catalog status|placeholder index` →
 * kind, see the report's resources.ts).
 */
import type { ResourceKind } from './model.js';
import type { QueryFn } from '../runner.js';
import { eventsWhere } from './sql.js';
import type { Filters, Window } from '../window.js';

export interface PlaceholderKinds {
  keys: string[];
  kinds: string[];
}

interface Row {
  kind: string;
  value: string;
  n: string;
  codes: string[];
  distinct_values: string;
  kind_n: string;
}

/** Per kind, the top `perKind` values (unsorted kinds: the caller orders them). */
export async function queryResourceKinds(query: QueryFn, table: PlaceholderKinds, window: Window, filters: Filters, perKind: number): Promise<ResourceKind[]> {
  const where = eventsWhere(window, filters);
  const rows = await query<Row>(
    `SELECT kind, value, n, codes, count() OVER (PARTITION BY kind) AS distinct_values, sum(n) OVER (PARTITION BY kind) AS kind_n
     FROM (
       SELECT transform(concat(code, '|', toString(catalog_status), '|', toString(idx)), {r_keys:Array(String)}, {r_kinds:Array(String)}, 'value') AS kind,
              value, count() AS n, arraySort(groupUniqArray(code)) AS codes
       FROM (SELECT code, catalog_status, params FROM events WHERE ${where.sql} AND known AND notEmpty(params))
       ARRAY JOIN params AS value, arrayEnumerate(params) AS idx
       GROUP BY kind, value
     )
     ORDER BY kind_n DESC, kind, n DESC, value
     LIMIT {per_kind:UInt32} BY kind`,
    { ...where.params, r_keys: table.keys, r_kinds: table.kinds, per_kind: perKind },
  );
  const kinds = new Map<string, ResourceKind>();
  for (const row of rows) {
    let entry = kinds.get(row.kind);
    if (entry === undefined) {
      entry = { kind: row.kind, values: Number(row.distinct_values), count: Number(row.kind_n), top: [] };
      kinds.set(row.kind, entry);
    }
    entry.top.push({ kind: row.kind, value: row.value, count: Number(row.n), codes: row.codes });
  }
  return [...kinds.values()];
}
