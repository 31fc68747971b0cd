/**
 * Errors and all requests to the service per bucket, over whole minutes (requests are counted per
 * minute only), in one query. `tenant` and `operation` filter errors and requests; `code` and
 * `status` filter the errors only, so that `status=500` answers "which share of all requests failed
 * with a 500".
 */
import { DT, errorCountsSource, filterSql, type Rollup } from '../counts.js';
import { floorTo, type ResolvedInterval } from '../time.js';
import type { Filters, Window } from '../window.js';
import type { QueryFn } from '../runner.js';

export interface RateRequest {
  /** Minute-aligned (see minuteWindow). */
  window: Window;
  filters: Filters;
  interval: ResolvedInterval;
  rollups?: readonly Rollup[];
}

export interface RateSeries {
  errors: number[];
  requests: number[];
}

export async function readRate(query: QueryFn, request: RateRequest): Promise<RateSeries> {
  const { window, filters, interval } = request;
  const errors = errorCountsSource(window, filters, { keys: [], bucketMs: interval.step, prefix: 'e', ...(request.rollups ? { rollups: request.rollups } : {}) });
  const requestFilter = filterSql(filters, 'r', ['tenant', 'operation']);
  const rows = await query<{ kind: string; bucket: number | string; n: string }>(
    `SELECT kind, bucket, n FROM (
       SELECT 'e' AS kind, bucket, sum(count) AS n FROM (${errors.sql}) GROUP BY bucket
       UNION ALL
       SELECT 'r' AS kind, intDiv(toUnixTimestamp(minute), {step:UInt32}) * {step:UInt32} AS bucket, sum(requests) AS n
       FROM request_counts_1m
       WHERE minute >= ${DT('r_from')} AND minute < ${DT('r_to')} AND ${requestFilter.sql}
       GROUP BY bucket
     )`,
    { ...errors.params, ...requestFilter.params, r_from: window.from, r_to: window.to, step: interval.step / 1000 },
  );
  const first = floorTo(window.from, interval.step);
  const series: RateSeries = { errors: new Array<number>(interval.buckets).fill(0), requests: new Array<number>(interval.buckets).fill(0) };
  for (const row of rows) {
    const target = row.kind === 'e' ? series.errors : series.requests;
    const at = (Number(row.bucket) * 1000 - first) / interval.step;
    if (at >= 0 && at < target.length) target[at] = (target[at] ?? 0) + Number(row.n);
  }
  return series;
}
