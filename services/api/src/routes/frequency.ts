/**
 * GET /v1/errors/frequency: counts per group for the window, with share, the previous window of the
 * same length, change and first/last seen (@csbs-errors/query's readFrequency: the smallest rollups
 * able to answer, partial edge minutes from the raw events, both windows in one query).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readFrequency } from '@csbs-errors/query';
import { ParameterError } from '../problem.js';
import { commonQuery, groupByParam } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { groupKeySchema, iso, isoTime, scope } from './common.js';

const querySchema = z
  .object({
    ...commonQuery,
    group_by: groupByParam('code').describe('comma-separated, any of code,status,tenant,operation; default code'),
    limit: z.coerce.number().int().min(1).max(10_000).default(20).describe('top N groups by count; the rest is summed into `other`'),
  })
  .strict();

const groupSchema = groupKeySchema.extend({
  count: z.number().int(),
  share: z.number().describe('count / total'),
  previous_count: z.number().int().describe('count in the previous window of the same length'),
  change: z.number().nullable().describe('(count - previous_count) / previous_count; null when previous_count is 0'),
  first_seen: isoTime,
  last_seen: isoTime,
});

const responseSchema = z.object({
  from: isoTime,
  to: isoTime,
  total: z.number().int(),
  previous_total: z.number().int().describe('all errors matching the filters in the previous window'),
  groups: z.array(groupSchema),
  other: z.object({ count: z.number().int(), groups: z.number().int() }).optional().describe('groups beyond limit, summed'),
});

export const frequencyRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/errors/frequency',
    {
      schema: {
        summary: 'Error counts per group for the window',
        description: 'Sorted by count (then by the group fields). The previous window is the one of the same length that ends where this one starts.',
        tags: ['errors'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const { window, filters } = scope(request, q, deps);
      const keys = q.group_by;
      if (keys.length === 0) throw new ParameterError('group_by', 'name at least one of code, status, tenant, operation');
      const answer = await readFrequency(deps.query, { window, filters, keys, limit: q.limit, rollups: deps.rollups });
      const { total } = answer;
      const groups = answer.groups.map((g) => ({
        ...g.key,
        count: g.count,
        share: total > 0 ? g.count / total : 0,
        previous_count: g.previousCount,
        change: g.previousCount > 0 ? (g.count - g.previousCount) / g.previousCount : null,
        first_seen: iso(g.firstMs),
        last_seen: iso(g.lastMs),
      }));
      const shown = groups.reduce((sum, g) => sum + g.count, 0);
      return {
        from: iso(window.from),
        to: iso(window.to),
        total,
        previous_total: answer.previousTotal,
        groups,
        ...(answer.groupCount > groups.length ? { other: { count: total - shown, groups: answer.groupCount - groups.length } } : {}),
      };
    },
  );
};
