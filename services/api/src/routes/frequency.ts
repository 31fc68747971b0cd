/**
 * GET /v1/errors/frequency: counts per group for the window, with share, the previous window of the
 * same length, change and first/last seen. Read from the rollups (partial edge minutes from the raw
 * events), the current and the previous window in one pass over each source table.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ParameterError, commonQuery, groupByParam, windowedCounts } from '../filters.js';
import type { ApiDeps } from '../deps.js';
import { groupKeySchema, groupOf, iso, isoTime, scope } from './common.js';

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

interface Row {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
  n: string;
  pn: string;
  first_ms: string;
  last_ms: string;
  total: string;
  previous_total: string;
  groups: string;
}

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
      const previous = { from: window.from - (window.to - window.from), to: window.from };
      const source = windowedCounts([window, previous], filters, { keys, seen: true, prefix: 'w', rollups: deps.rollups });
      const k = keys.join(', ');
      const rows = await deps.query<Row>(
        `SELECT * FROM (
           SELECT ${k}, n, pn, first_ms, last_ms, sum(n) OVER () AS total, sum(pn) OVER () AS previous_total, countIf(n > 0) OVER () AS groups
           FROM (
             SELECT ${k}, sumIf(count, w = 0) AS n, sumIf(count, w = 1) AS pn,
                    toUnixTimestamp64Milli(minIf(first_seen, w = 0)) AS first_ms, toUnixTimestamp64Milli(maxIf(last_seen, w = 0)) AS last_ms
             FROM (${source.sql})
             GROUP BY ${k}
           )
         )
         WHERE n > 0
         ORDER BY n DESC, ${k}
         LIMIT {limit:UInt32}`,
        { ...source.params, limit: q.limit },
      );
      const total = rows[0] ? Number(rows[0].total) : 0;
      const previousTotal = rows[0] ? Number(rows[0].previous_total) : await previousOnly(deps, windowedCounts([previous], filters, { keys: [], prefix: 'p', rollups: deps.rollups }));
      const groups = rows.map((row) => {
        const count = Number(row.n);
        const previousCount = Number(row.pn);
        return {
          ...groupOf(row as unknown as Record<string, unknown>, keys),
          count,
          share: total > 0 ? count / total : 0,
          previous_count: previousCount,
          change: previousCount > 0 ? (count - previousCount) / previousCount : null,
          first_seen: iso(Number(row.first_ms)),
          last_seen: iso(Number(row.last_ms)),
        };
      });
      const shown = groups.reduce((sum, g) => sum + g.count, 0);
      const groupCount = rows[0] ? Number(rows[0].groups) : 0;
      return {
        from: iso(window.from),
        to: iso(window.to),
        total,
        previous_total: previousTotal,
        groups,
        ...(groupCount > groups.length ? { other: { count: total - shown, groups: groupCount - groups.length } } : {}),
      };
    },
  );
};

/** The previous window's total when the current one is empty (no row carried it). */
async function previousOnly(deps: ApiDeps, source: { sql: string; params: Record<string, unknown> }): Promise<number> {
  const [row] = await deps.query<{ n: string }>(`SELECT sum(count) AS n FROM (${source.sql})`, source.params);
  return row ? Number(row.n) : 0;
}
