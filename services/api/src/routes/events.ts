/**
 * GET /v1/events: the events themselves, newest first, a page at a time. Pages are keyset-paginated
 * on (ts, source_topic, source_partition, source_offset, source_index) descending (see cursor.ts):
 * `next_cursor` is null on the last page. A page also ends before EVENTS_PAGE_MAX_BYTES of rows (at
 * least one event), with a cursor for the rest: an answer stays bounded whatever the messages hold.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DT, commonQuery, filterSql } from '../filters.js';
import { decodeCursor, encodeCursor, queryDigest } from '../cursor.js';
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
  message_truncated: z.boolean().describe('true when the stored message was cut to MAX_STORED_MESSAGE_BYTES'),
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

/** Bytes of rows (as JSON) one page holds at most. */
export const EVENTS_PAGE_MAX_BYTES = 1024 * 1024;

const responseSchema = z.object({
  from: isoTime,
  to: isoTime,
  events: z.array(eventSchema),
  next_cursor: z.string().nullable().describe('pass as cursor for the next (older) page; null on the last page'),
});

interface Row extends Omit<z.infer<typeof eventSchema>, 'ts'> {
  ts_ms: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  source_index: number;
}

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
      const where = filterSql(filters, 'f');
      const params: Record<string, unknown> = { ...where.params, from: window.from, to: window.to, limit: q.limit + 1 };
      let keyset = '';
      if (after) {
        keyset = `AND ts <= ${DT('c_ts')}
          AND (ts, source_topic, source_partition, source_offset, source_index) < (${DT('c_ts')}, {c_topic:String}, {c_partition:UInt32}, {c_offset:UInt64}, {c_index:UInt32})`;
        Object.assign(params, { c_ts: after.ts, c_topic: after.topic, c_partition: after.partition, c_offset: after.offset, c_index: after.index });
      }
      const rows = await deps.query<Row>(
        `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, request_id, tenant, method, path, route, operation, status, code, message, message_truncated, params,
                known, catalog_status, status_mismatch, unused, description, solution, gateway, latency_ms,
                source_topic, source_partition, source_offset, source_index
         FROM events
         WHERE ts >= ${DT('from')} AND ts < ${DT('to')} AND ${where.sql} ${keyset}
         ORDER BY ts DESC, source_topic DESC, source_partition DESC, source_offset DESC, source_index DESC
         LIMIT {limit:UInt32}`,
        params,
      );
      const page = withinBytes(rows.slice(0, q.limit), EVENTS_PAGE_MAX_BYTES);
      const last = page[page.length - 1];
      const next =
        rows.length > page.length && last
          ? encodeCursor({ ts: Number(last.ts_ms), topic: last.source_topic, partition: Number(last.source_partition), offset: String(last.source_offset), index: Number(last.source_index) }, owner)
          : null;
      return {
        from: iso(window.from),
        to: iso(window.to),
        events: page.map((r) => ({
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
          message_truncated: Boolean(r.message_truncated),
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
        next_cursor: next,
      };
    },
  );
};

/** The first rows whose JSON adds up to at most `budget` bytes (the first row always). */
function withinBytes<T>(rows: T[], budget: number): T[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(rows[i]));
    if (i > 0 && bytes > budget) return rows.slice(0, i);
  }
  return rows;
}
