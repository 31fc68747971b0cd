/**
 * GET /v1/errors/trend: a time series per group, buckets aligned to the interval (epoch-aligned, so
 * days start at 00:00 UTC) and gap-filled with zeros. Whole buckets come from the coarsest rollup
 * whose unit divides the interval; the partial minutes at the window's edges from the raw events.
 * The first and last bucket may be partial: they count only what lies inside [from, to).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ParameterError, commonQuery, errorCountsSource, groupByParam } from '../filters.js';
import { INTERVALS, INTERVAL_NAMES, autoInterval, bucketCount, floorTo, type IntervalName } from '../time.js';
import type { ApiDeps } from '../deps.js';
import { groupKeySchema, groupOf, iso, isoTime, scope } from './common.js';

/** Buckets per series, and buckets × series, that one answer may hold. */
export const MAX_BUCKETS = 2_000;
export const MAX_POINTS = 100_000;

export const intervalParam = z
  .enum(['auto', ...INTERVAL_NAMES] as [IntervalName | 'auto', ...Array<IntervalName | 'auto'>])
  .default('auto')
  .describe(`bucket width; auto picks the finest that keeps a series at or under 300 buckets`);

const querySchema = z
  .object({
    ...commonQuery,
    interval: intervalParam,
    group_by: groupByParam('').describe('comma-separated, any of code,status,tenant,operation; default none: one series of all errors'),
    limit: z.coerce.number().int().min(1).max(1_000).default(20).describe('series kept: the top N groups by count in the window'),
  })
  .strict();

const responseSchema = z.object({
  from: isoTime,
  to: isoTime,
  interval: z.enum(INTERVAL_NAMES as [IntervalName, ...IntervalName[]]),
  series: z.array(
    z.object({
      key: groupKeySchema.describe('the group fields of the series ({} without group_by)'),
      count: z.number().int().describe('sum of the points'),
      points: z.array(z.tuple([isoTime, z.number().int()])).describe('[bucket start, count], one per bucket, zeros included'),
    }),
  ),
});

/** Resolves `interval` for a window, or a 400 naming it. */
export function resolveInterval(name: IntervalName | 'auto', from: number, to: number): { name: IntervalName; step: number; buckets: number } {
  const resolved = name === 'auto' ? autoInterval(from, to) : name;
  const step = INTERVALS[resolved];
  const buckets = bucketCount(from, to, step);
  if (buckets > MAX_BUCKETS) throw new ParameterError('interval', `${resolved} gives ${buckets} buckets for this window; at most ${MAX_BUCKETS}: choose a wider interval or a shorter window`);
  return { name: resolved, step, buckets };
}

interface Row {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
  points: Array<[number | string, number | string]>;
  total: string;
}

export const trendRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/errors/trend',
    {
      schema: {
        summary: 'Error counts per bucket, per group',
        description: `Buckets are aligned to the interval (days start at 00:00 UTC) and gap-filled with zeros. At most ${MAX_BUCKETS} buckets and ${MAX_POINTS} points (buckets × limit), else 400.`,
        tags: ['errors'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const { window, filters } = scope(request, q, deps);
      const keys = q.group_by;
      const interval = resolveInterval(q.interval, window.from, window.to);
      if (keys.length > 0 && interval.buckets * q.limit > MAX_POINTS) {
        throw new ParameterError('limit', `${interval.buckets} buckets × ${q.limit} series exceeds ${MAX_POINTS} points; lower limit, widen the interval or shorten the window`);
      }
      const source = errorCountsSource(window, filters, { keys, bucketMs: interval.step, prefix: 's', rollups: deps.rollups });
      const k = keys.join(', ');
      // One row per series, its non-empty buckets as [bucket, count] pairs; the top `limit` series by count.
      const rows = await deps.query<Row>(
        `SELECT ${keys.length > 0 ? `${k}, ` : ''}groupArray((bucket, n)) AS points, sum(n) AS total
         FROM (SELECT ${keys.length > 0 ? `${k}, ` : ''}bucket, sum(count) AS n FROM (${source.sql}) GROUP BY ${keys.length > 0 ? `${k}, ` : ''}bucket HAVING n > 0)
         ${keys.length > 0 ? `GROUP BY ${k}` : ''}
         ORDER BY total DESC${keys.length > 0 ? `, ${k}` : ''}
         LIMIT {limit:UInt32}`,
        { ...source.params, limit: keys.length > 0 ? q.limit : 1 },
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
          return { key: groupOf(row as unknown as Record<string, unknown>, keys), count, counts };
        });
      // Without group_by there is always the one series of all errors, zeros included.
      if (keys.length === 0 && series.length === 0) series.push({ key: {}, count: 0, counts: new Array<number>(interval.buckets).fill(0) });
      return {
        from: iso(window.from),
        to: iso(window.to),
        interval: interval.name,
        series: series.map((s) => ({
          key: s.key,
          count: s.count,
          points: s.counts.map((n, i) => [iso(first + i * interval.step), n] as [string, number]),
        })),
      };
    },
  );
};
