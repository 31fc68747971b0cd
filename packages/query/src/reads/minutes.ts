/**
 * Per-minute error counts of some codes and per-minute request counts, over minute ranges, overall
 * or per tenant: the series the alert detector reads. Errors come from the smallest per-minute
 * rollup that has the columns (the planner's choice), requests from request_counts_1m.
 */
import { MINUTE_MS } from '../time.js';
import { ROLLUPS, planRollups, rollupRange } from '../counts.js';
import type { QueryFn } from '../runner.js';

/** Epoch minutes [fromMinute, toMinute). */
export interface MinuteRange {
  fromMinute: number;
  toMinute: number;
}

export interface MinuteCount {
  /** Epoch minute. */
  minute: number;
  /** '' unless per tenant. */
  tenant: string;
  count: number;
}

export async function readMinuteCounts(
  query: QueryFn,
  request: { codes: readonly string[]; ranges: readonly MinuteRange[]; byTenant: boolean },
): Promise<{ errors: MinuteCount[]; requests: MinuteCount[] }> {
  const { byTenant } = request;
  const rollup = planRollups(byTenant ? ['code', 'tenant'] : ['code'], ROLLUPS.filter((r) => r.stepMs === MINUTE_MS))[0];
  if (rollup === undefined) throw new Error('no per-minute rollup');
  const params: Record<string, unknown> = { codes: request.codes };
  const bounds = request.ranges.map((range, i) => {
    params[`f${i}`] = range.fromMinute * 60;
    params[`t${i}`] = range.toMinute * 60;
    return { from: `toDateTime({f${i}:UInt32}, 'UTC')`, to: `toDateTime({t${i}:UInt32}, 'UTC')` };
  });
  const inRollup = rollupRange(rollup, bounds);
  const inRanges = bounds.length > 0 ? `(${bounds.map((b) => `(minute >= ${b.from} AND minute < ${b.to})`).join(' OR ')})` : '0';
  const tenant = byTenant ? 'tenant' : "'' AS tenant";
  const groups = byTenant ? 'm, tenant' : 'm';
  type Row = { kind: string; m: number | string; tenant: string; n: number | string };
  const rows = await query<Row>(
    `SELECT kind, m, tenant, n FROM (
       SELECT 'e' AS kind, intDiv(toUnixTimestamp(${rollup.column}), 60) AS m, ${tenant}, sum(count) AS n
       FROM ${rollup.table} WHERE code IN {codes:Array(String)} AND ${inRollup} GROUP BY ${groups}
       UNION ALL
       SELECT 'r' AS kind, intDiv(toUnixTimestamp(minute), 60) AS m, ${tenant}, sum(requests) AS n
       FROM request_counts_1m WHERE ${inRanges} GROUP BY ${groups}
     )`,
    params,
  );
  const errors: MinuteCount[] = [];
  const requests: MinuteCount[] = [];
  for (const row of rows) (row.kind === 'e' ? errors : requests).push({ minute: Number(row.m), tenant: row.tenant, count: Number(row.n) });
  return { errors, requests };
}
