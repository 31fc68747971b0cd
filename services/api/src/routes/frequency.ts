/** GET /v1/errors/frequency: counts per group for the window, with share and the previous window. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { GROUP_FIELDS, ParameterError, commonQuery, errorCountsSource, resolveWindow, type GroupField } from '../filters.js';
import { iso } from '../time.js';
import type { ApiDeps } from '../deps.js';

const groupBy = z
  .string()
  .default('code')
  .transform((text, ctx) => {
    const fields = text.split(',').map((f) => f.trim());
    const unknown = fields.filter((f) => !(GROUP_FIELDS as readonly string[]).includes(f));
    if (unknown.length > 0 || fields.length === 0) {
      ctx.addIssue({ code: 'custom', message: `unknown group field(s) ${unknown.join(', ')}; use any of ${GROUP_FIELDS.join(', ')}` });
      return z.NEVER;
    }
    return [...new Set(fields)] as GroupField[];
  });

const querySchema = z
  .object({
    ...commonQuery,
    group_by: groupBy.describe('comma-separated: code,status,tenant,operation'),
    limit: z.coerce.number().int().min(1).max(10_000).default(20),
  })
  .strict();

const groupSchema = z
  .object({
    code: z.string().optional(),
    status: z.number().optional(),
    tenant: z.string().optional(),
    operation: z.string().optional(),
    count: z.number(),
    share: z.number(),
    previous_count: z.number(),
    change: z.number().nullable(),
    first_seen: z.string(),
    last_seen: z.string(),
  });

const responseSchema = z.object({
  from: z.string(),
  to: z.string(),
  total: z.number(),
  groups: z.array(groupSchema),
  other: z.object({ count: z.number(), groups: z.number() }).optional(),
});

interface GroupRow {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
  count: string;
  previous_count: string;
  first_seen: string;
  last_seen: string;
  total: string;
  previous_total: string;
  groups: string;
}

const toIso = (clickhouseTime: string) => `${clickhouseTime.replace(' ', 'T')}Z`;

export const frequencyRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/errors/frequency',
    { schema: { summary: 'Error counts per group for the window', querystring: querySchema, response: { 200: responseSchema } } },
    async (request) => {
      const q = request.query;
      const window = resolveWindow(q);
      if (q.limit < 1) throw new ParameterError('limit', 'must be at least 1');
      const previous = { from: window.from - (window.to - window.from), to: window.from };
      const filters = { tenant: q.tenant, code: q.code, status: q.status, operation: q.operation };
      const current = errorCountsSource(window, filters, 'c');
      const before = errorCountsSource(previous, filters, 'p');
      const keys = q.group_by.join(', ');
      const rows = await deps.query<GroupRow>(
        `WITH
           cur AS (SELECT ${keys}, sum(count) AS count, min(first_seen) AS first_seen, max(last_seen) AS last_seen
                   FROM (${current.sql}) GROUP BY ${keys}),
           prev AS (SELECT ${keys}, sum(count) AS count FROM (${before.sql}) GROUP BY ${keys})
         SELECT ${q.group_by.map((k) => `cur.${k} AS ${k}`).join(', ')},
                cur.count AS count, prev.count AS previous_count, cur.first_seen AS first_seen, cur.last_seen AS last_seen,
                sum(cur.count) OVER () AS total, (SELECT sum(count) FROM prev) AS previous_total, count() OVER () AS groups
         FROM cur LEFT JOIN prev USING (${keys})
         ORDER BY count DESC, ${keys}
         LIMIT {limit:UInt32}`,
        { ...current.params, ...before.params, limit: q.limit },
      );
      const total = rows[0] ? Number(rows[0].total) : await totalCount(deps, current);
      const groups = rows.map((row) => {
        const count = Number(row.count);
        const previousCount = Number(row.previous_count ?? 0);
        const group: z.infer<typeof groupSchema> = {
          count,
          share: total > 0 ? count / total : 0,
          previous_count: previousCount,
          change: previousCount > 0 ? (count - previousCount) / previousCount : null,
          first_seen: toIso(row.first_seen),
          last_seen: toIso(row.last_seen),
        };
        for (const field of q.group_by) {
          if (field === 'status') group.status = Number(row.status);
          else group[field] = row[field] ?? '';
        }
        return group;
      });
      const shown = groups.reduce((sum, g) => sum + g.count, 0);
      const groupCount = rows[0] ? Number(rows[0].groups) : 0;
      return {
        from: iso(window.from),
        to: iso(window.to),
        total,
        groups,
        ...(groupCount > groups.length ? { other: { count: total - shown, groups: groupCount - groups.length } } : {}),
      };
    },
  );
};

async function totalCount(deps: ApiDeps, source: { sql: string; params: Record<string, unknown> }): Promise<number> {
  const [row] = await deps.query<{ total: string }>(`SELECT sum(count) AS total FROM (${source.sql})`, source.params);
  return row ? Number(row.total) : 0;
}
