/**
 * GET /v1/errors/rate: errors / all requests to the service, per bucket.
 *
 * Requests are only counted per minute (request_counts_1m), so the window is widened to whole
 * minutes (`from` down, `to` up) and the answer says so in its `from` and `to`; errors are read for
 * exactly the same minutes (@csbs-errors/query's readRate, one query for both). `tenant` and `operation` filter both errors and
 * requests; `code` and `status` filter the errors only, so that `status=500` answers "which share of
 * all requests failed with a 500".
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { INTERVAL_NAMES, floorTo, minuteWindow, readRate, resolveInterval, type IntervalName } from '@csbs-errors/query';
import { commonQuery, intervalParam } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { iso, isoTime, scope } from './common.js';

const querySchema = z.object({ ...commonQuery, interval: intervalParam }).strict();

const pointSchema = z.object({
  ts: isoTime.describe('bucket start'),
  requests: z.number().int(),
  errors: z.number().int(),
  rate: z.number().nullable().describe('errors / requests; null without requests'),
});

const responseSchema = z.object({
  from: isoTime.describe('window start, rounded down to the minute'),
  to: isoTime.describe('window end, rounded up to the minute'),
  interval: z.enum(INTERVAL_NAMES as [IntervalName, ...IntervalName[]]),
  requests: z.number().int(),
  errors: z.number().int(),
  rate: z.number().nullable(),
  points: z.array(pointSchema),
});

const ratio = (errors: number, requests: number) => (requests > 0 ? errors / requests : null);

export const rateRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/errors/rate',
    {
      schema: {
        summary: 'Errors per request, per bucket',
        description:
          'Buckets are minute-aligned: requests are counted per minute, so the window is widened to whole minutes. tenant and operation filter errors and requests; code and status filter the errors only.',
        tags: ['errors'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const scoped = scope(request, q, deps);
      const window = minuteWindow(scoped.window);
      const interval = resolveInterval(q.interval, window.from, window.to);
      const { errors: errorCounts, requests: requestCounts } = await readRate(deps.query, { window, filters: scoped.filters, interval, rollups: deps.rollups });
      const first = floorTo(window.from, interval.step);
      const totalErrors = errorCounts.reduce((a, b) => a + b, 0);
      const totalRequests = requestCounts.reduce((a, b) => a + b, 0);
      return {
        from: iso(window.from),
        to: iso(window.to),
        interval: interval.name,
        requests: totalRequests,
        errors: totalErrors,
        rate: ratio(totalErrors, totalRequests),
        points: errorCounts.map((n, i) => ({
          ts: iso(first + i * interval.step),
          requests: requestCounts[i] ?? 0,
          errors: n,
          rate: ratio(n, requestCounts[i] ?? 0),
        })),
      };
    },
  );
};
