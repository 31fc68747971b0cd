/**
 * GET /v1/errors/rate: errors / all requests to the service, per bucket.
 *
 * Requests are only counted per minute (request_counts_1m), so the window is widened to whole
 * minutes (`from` down, `to` up) and the answer says so in its `from` and `to`; errors are read for
 * exactly the same minutes from the rollups. `tenant` and `operation` filter both errors and
 * requests; `code` and `status` filter the errors only, so that `status=500` answers "which share of
 * all requests failed with a 500".
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DT, commonQuery, errorCountsSource, filterSql } from '../filters.js';
import { INTERVAL_NAMES, MINUTE_MS, ceilTo, floorTo, type IntervalName } from '../time.js';
import type { ApiDeps } from '../deps.js';
import { iso, isoTime, scope } from './common.js';
import { intervalParam, resolveInterval } from './trend.js';

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
      const window = { from: floorTo(scoped.window.from, MINUTE_MS), to: ceilTo(scoped.window.to, MINUTE_MS) };
      const interval = resolveInterval(q.interval, window.from, window.to);
      const errors = errorCountsSource(window, scoped.filters, { keys: [], bucketMs: interval.step, prefix: 'e', rollups: deps.rollups });
      const requestFilter = filterSql(scoped.filters, 'r', ['tenant', 'operation']);
      const [errorRows, requestRows] = await Promise.all([
        deps.query<{ bucket: number | string; n: string }>(`SELECT bucket, sum(count) AS n FROM (${errors.sql}) GROUP BY bucket`, errors.params),
        deps.query<{ bucket: number | string; n: string }>(
          `SELECT intDiv(toUnixTimestamp(minute), {step:UInt32}) * {step:UInt32} AS bucket, sum(requests) AS n
           FROM request_counts_1m
           WHERE minute >= ${DT('r_from')} AND minute < ${DT('r_to')} AND ${requestFilter.sql}
           GROUP BY bucket`,
          { ...requestFilter.params, r_from: window.from, r_to: window.to, step: interval.step / 1000 },
        ),
      ]);
      const first = floorTo(window.from, interval.step);
      const errorCounts = new Array<number>(interval.buckets).fill(0);
      const requestCounts = new Array<number>(interval.buckets).fill(0);
      const place = (target: number[], rows: Array<{ bucket: number | string; n: string }>) => {
        for (const row of rows) {
          const at = (Number(row.bucket) * 1000 - first) / interval.step;
          if (at >= 0 && at < target.length) target[at] = (target[at] ?? 0) + Number(row.n);
        }
      };
      place(errorCounts, errorRows);
      place(requestCounts, requestRows);
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
