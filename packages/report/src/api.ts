/**
 * GET /v1/reports/postmortem?format=json|md: the postmortem report over HTTP, as a Fastify plugin
 * (zod type provider) that the query API registers in its /v1 scope. Parameters are those of the
 * API's other endpoints (from, to, tenant, code, status, operation; the last four repeatable) plus
 * `format` and `limit`; a bad one is a 400 application/problem+json that names it, also when the
 * plugin runs on an app of its own.
 */
import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonQuery, sendApiProblem, sendProblem, sendValidationProblem } from '@csbs-errors/api';
import type { Catalog } from '@csbs-errors/catalog';
import type { ClickHouseClient } from '@csbs-errors/store';
import { buildReport } from './build.js';
import { renderMarkdown } from './markdown.js';
import { clientQuery, type QueryFn } from './query.js';
import type { Filters } from './sql.js';
import { WindowError, resolveWindow } from './window.js';

export interface PostmortemRouteOptions {
  /** How to run a query: the API passes its own (limits, problems); else `store` is used. */
  query?: QueryFn;
  store?: ClickHouseClient;
  catalog?: Catalog;
  /** Clock for relative times, default windows and `generated_at`. */
  now?: () => number;
  /**
   * The tenant a request is confined to (a tenant token's), if any: the report is then about that
   * tenant only, and asking for another one is a 403.
   */
  tenantOf?: (request: FastifyRequest) => string | undefined;
}

// The API's own filters, so that one set of parameters means the same everywhere.
const querySchema = z
  .object({
    ...commonQuery,
    format: z.enum(['json', 'md']).default('json').describe('json: the report object; md: a markdown document'),
    limit: z.coerce.number().int().min(1).max(1_000).default(20).describe('codes listed in top codes (the rest summed)'),
  })
  .strict();

export const postmortemRoutes: FastifyPluginAsyncZod<PostmortemRouteOptions> = async (app, options) => {
  const query = options.query ?? (options.store ? clientQuery(options.store) : undefined);
  if (query === undefined) throw new Error('postmortemRoutes: pass `query` or `store`');
  const now = options.now ?? Date.now;

  // Validation failures as problems naming the parameter; anything else goes to the parent's handler.
  app.setErrorHandler((error, request, reply) => {
    if (!hasZodFastifySchemaValidationErrors(error)) throw error;
    return sendValidationProblem(request, reply, error.validation);
  });

  app.get(
    '/v1/reports/postmortem',
    {
      schema: {
        summary: 'Postmortem report for a window',
        description:
          'Summary, timeline (first error, peak minute, last error, alerts fired), top codes with the catalog description and solution, unknown codes, status mismatches, tenants and operations hit, resources named in the messages, and the comparison with the previous window of the same length. The totals and code counts equal /v1/errors/frequency for the same parameters.',
        tags: ['reports'],
        querystring: querySchema,
      },
    },
    async (request, reply) => {
      const q = request.query;
      let window;
      try {
        window = resolveWindow(q, now());
      } catch (error) {
        if (error instanceof WindowError) return sendApiProblem(request, reply, error);
        throw error;
      }
      const confined = options.tenantOf?.(request);
      const others = confined === undefined ? [] : q.tenant.filter((t) => t !== confined);
      if (others.length > 0) return sendProblem(request, reply, 'ERR_FORBIDDEN_TENANT', 'tenant: this token may only read its own tenant', { parameter: 'tenant' });
      const filters: Filters = {
        tenant: confined === undefined ? [...new Set(q.tenant)] : [confined],
        code: q.code,
        status: q.status,
        operation: q.operation,
      };
      const report = await buildReport({ query, window, filters, now, limits: { codes: q.limit }, ...(options.catalog ? { catalog: options.catalog } : {}) });
      if (q.format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderMarkdown(report));
      return reply.type('application/json; charset=utf-8').send(report);
    },
  );
};
