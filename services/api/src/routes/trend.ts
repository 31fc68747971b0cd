/**
 * GET /v1/errors/trend: a time series per group, buckets aligned to the interval (epoch-aligned, so
 * days start at 00:00 UTC) and gap-filled with zeros. Whole buckets come from the coarsest rollup
 * whose unit divides the interval; the partial minutes at the window's edges from the raw events.
 * The first and last bucket may be partial: they count only what lies inside [from, to).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { INTERVAL_NAMES, MAX_BUCKETS, floorTo, readTrend, resolveInterval, type IntervalName } from '@csbs-errors/query';
import { ParameterError } from '../problem.js';
import { commonQuery, groupByParam, intervalParam } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { groupKeySchema, iso, isoTime, scope } from './common.js';

/** Buckets × series that one answer may hold. */
export const MAX_POINTS = 100_000;

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
      const series = await readTrend(deps.query, { window, filters, keys, interval, limit: q.limit, rollups: deps.rollups });
      const first = floorTo(window.from, interval.step);
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
