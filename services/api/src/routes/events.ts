/**
 * GET /v1/events: the events themselves, newest first, a page at a time. Pages are keyset-paginated
 * on (ts, source_topic, source_partition, source_offset, source_index) descending (see cursor.ts):
 * `next_cursor` is null on the last page.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { readEventsPage } from '@csbs-errors/query';
import { decodeCursor, encodeCursor, queryDigest } from '../cursor.js';
import { commonQuery } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { iso, isoTime, scope } from './common.js';

const querySchema = z
  .object({
    ...commonQuery,
    limit: z.coerce.number().int().min(1).max(1_000).default(100).describe('events per page'),
    cursor: z.string().min(1).max(1_024).optional().describe('next_cursor of the previous page, with the same filters'),
  })
  .strict();

const eventSchema = z.object({
  ts: isoTime,
  request_id: z.string(),
  tenant: z.string(),
  method: z.string(),
  path: z.string(),
  route: z.string(),
  operation: z.string(),
  status: z.number().int(),
  code: z.string(),
  message: z.string(),
  params: z.array(z.string()),
  known: z.boolean(),
  catalog_status: z.number().int(),
  status_mismatch: z.boolean(),
  unused: z.boolean(),
  description: z.string(),
  solution: z.string(),
  gateway: z.string(),
  latency_ms: z.number().nullable(),
});

const responseSchema = z.object({
  from: isoTime,
  to: isoTime,
  events: z.array(eventSchema),
  next_cursor: z.string().nullable().describe('pass as cursor for the next (older) page; null on the last page'),
});

export const eventsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/events',
    {
      schema: {
        summary: 'The events, newest first',
        description: 'Keyset pagination: pass next_cursor as cursor, with the same filters, for the next page.',
        tags: ['events'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const { window, filters } = scope(request, q, deps);
      const owner = queryDigest([q.from ?? null, q.to ?? null, filters]);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, owner);
      const page = await readEventsPage(deps.query, { window, filters, limit: q.limit, after });
      return {
        from: iso(window.from),
        to: iso(window.to),
        events: page.events.map((r) => ({
          ts: iso(Number(r.ts_ms)),
          request_id: r.request_id,
          tenant: r.tenant,
          method: r.method,
          path: r.path,
          route: r.route,
          operation: r.operation,
          status: Number(r.status),
          code: r.code,
          message: r.message,
          params: r.params,
          known: Boolean(r.known),
          catalog_status: Number(r.catalog_status),
          status_mismatch: Boolean(r.status_mismatch),
          unused: Boolean(r.unused),
          description: r.description,
          solution: r.solution,
          gateway: r.gateway,
          latency_ms: r.latency_ms === null ? null : Number(r.latency_ms),
        })),
        next_cursor: page.next ? encodeCursor(page.next, owner) : null,
      };
    },
  );
};
