/**
 * Error counts per bucket and group: whole buckets from the coarsest rollup whose unit divides the
 * interval, the partial minutes at the window's edges from the raw events; one row per series with
 * its non-empty buckets, the top `limit` series by count.
 */
import { errorCountsSource, type GroupField, type Rollup } from '../counts.js';
import { floorTo, type ResolvedInterval } from '../time.js';
import type { Filters, Window } from '../window.js';
import type { QueryFn } from '../runner.js';
import { groupOf, type GroupKey } from './groups.js';

export interface TrendSeries {
  key: GroupKey;
  count: number;
  /** One count per bucket of the window, zeros included. */
  counts: number[];
}

export interface TrendRequest {
  window: Window;
  filters: Filters;
  keys: readonly GroupField[];
  interval: ResolvedInterval;
  limit: number;
  rollups?: readonly Rollup[];
}

interface Row {
  points: Array<[number | string, number | string]>;
  total: string;
  [field: string]: unknown;
}

export async function readTrend(query: QueryFn, request: TrendRequest): Promise<TrendSeries[]> {
  const { window, filters, keys, interval } = request;
  const source = errorCountsSource(window, filters, { keys, bucketMs: interval.step, prefix: 's', ...(request.rollups ? { rollups: request.rollups } : {}) });
  const k = keys.join(', ');
  const grouped = keys.length > 0;
  const rows = await query<Row>(
    `SELECT ${grouped ? `${k}, ` : ''}groupArray((bucket, n)) AS points, sum(n) AS total
     FROM (SELECT ${grouped ? `${k}, ` : ''}bucket, sum(count) AS n FROM (${source.sql}) GROUP BY ${grouped ? `${k}, ` : ''}bucket HAVING n > 0)
     ${grouped ? `GROUP BY ${k}` : ''}
     ORDER BY total DESC${grouped ? `, ${k}` : ''}
     LIMIT {limit:UInt32}`,
    { ...source.params, limit: grouped ? request.limit : 1 },
  );
  const first = floorTo(window.from, interval.step);
  const series = rows
    .filter((row) => Number(row.total) > 0)
    .map((row) => {
      const counts = new Array<number>(interval.buckets).fill(0);
      let count = 0;
      for (const [bucket, n] of row.points) {
        const at = (Number(bucket) * 1000 - first) / interval.step;
        if (at >= 0 && at < interval.buckets) {
          counts[at] = (counts[at] ?? 0) + Number(n);
          count += Number(n);
        }
      }
      return { key: groupOf(row, keys), count, counts };
    });
  // Without group_by there is always the one series of all errors, zeros included.
  if (!grouped && series.length === 0) series.push({ key: {}, count: 0, counts: new Array<number>(interval.buckets).fill(0) });
  return series;
}
