/**
 * GET /v1/reports/postmortem?format=json|md: the postmortem report (@csbs-errors/report) over HTTP.
 * Parameters are those of the other endpoints (from, to, tenant, code, status, operation; the last
 * four repeatable) plus `format` and `limit`; the window may span 31 days at most (a report reads
 * raw events).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_REPORT_WINDOW_MS } from '@csbs-errors/query';
import { buildReport, renderMarkdown } from '@csbs-errors/report';
import { commonQuery } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { scope } from './common.js';

const querySchema = z
  .object({
    ...commonQuery,
    format: z.enum(['json', 'md']).default('json').describe('json: the report object; md: a markdown document'),
    limit: z.coerce.number().int().min(1).max(1_000).default(20).describe('codes listed in top codes (the rest summed)'),
  })
  .strict();

export const reportsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/reports/postmortem',
    {
      schema: {
        summary: 'Postmortem report for a window',
        description:
          'Summary, timeline (first error, peak minute, last error, alerts fired), top codes with the catalog description and solution, unknown codes, status mismatches, tenants and operations hit, resources named in the messages, and the comparison with the previous window of the same length. The totals and code counts equal /v1/errors/frequency for the same parameters.',
        tags: ['reports'],
        querystring: querySchema,
        documentedResponses: {
          200: {
            description: 'The report: an object with format=json, a markdown document with format=md',
            content: { 'application/json': { schema: { type: 'object' } }, 'text/markdown': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { window, filters } = scope(request, q, deps, MAX_REPORT_WINDOW_MS);
      const report = await buildReport({ query: deps.query, window, filters, now: deps.now, limits: { codes: q.limit }, catalog: deps.catalog });
      if (q.format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderMarkdown(report));
      return reply.type('application/json; charset=utf-8').send(report);
    },
  );
};
