/**
 * GET /v1/codes and GET /v1/codes/{code}: the vendor's catalog with what was observed in the window.
 *
 * A code answers with `rows`, its catalog rows in catalog order: one for most codes, two for
 * CSBS.9009 (403 "User is unverified." and 400 "The backup or replication space after reduction
 * cannot be less than the used space."), none for an unknown code. Each row has its own `count`: the
 * events matched to that row, told apart by the row's HTTP status, which every event stores as
 * `catalog_status`. The code's `count`, `first_seen`, `last_seen`, `top_tenants`, per-row counts and
 * `top_params` come from the rollups (@csbs-errors/query's readObservedCodes).
 *
 * A catalog code never seen answers with count 0; an unknown code seen in traffic (ever, by the
 * caller's tenant) answers too; anything else is a 404.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { CatalogRow } from '@csbs-errors/catalog';
import { codeEverSeen, readObservedCodes, type ObservedCode } from '@csbs-errors/query';
import { ApiProblem } from '../problem.js';
import { commonQuery } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { iso, isoTime, scope } from './common.js';

const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_]+$/;
const top = z.coerce.number().int().min(1).max(100).default(5).describe('entries in top_tenants and top_params');

const listQuery = z
  .object({
    ...commonQuery,
    top,
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000).describe('codes listed, by count then code'),
  })
  .strict();
const { code: _code, ...withoutCode } = commonQuery;
const oneQuery = z.object({ ...withoutCode, top }).strict();
const oneParams = z.object({ code: z.string().min(3).max(128).regex(CODE_PATTERN, 'expected a code such as CSBS.9999').describe('the error code') }).strict();

const rowSchema = z.object({
  status: z.number().int().describe('the HTTP status the vendor documents for this row'),
  template: z.string(),
  description: z.string(),
  solution: z.string(),
  unused: z.boolean().describe('marked "Not used currently" by the vendor'),
  count: z.number().int().describe('events in the window matched to this row'),
});

const codeSchema = z.object({
  code: z.string(),
  known: z.boolean().describe('in the catalog'),
  rows: z.array(rowSchema).describe('catalog rows of the code, in catalog order: two for CSBS.9009, none when unknown'),
  count: z.number().int(),
  first_seen: isoTime.nullable(),
  last_seen: isoTime.nullable(),
  top_tenants: z.array(z.object({ tenant: z.string(), count: z.number().int() })),
  top_params: z.array(z.object({ params: z.array(z.string()), count: z.number().int() })).describe('placeholder values, most frequent first'),
});

const listResponse = z.object({ from: isoTime, to: isoTime, codes: z.array(codeSchema) });
const oneResponse = codeSchema.extend({ from: isoTime, to: isoTime });

type CodeInfo = z.infer<typeof codeSchema>;

/** One code's answer: catalog rows (each with the events matched to it) and what was observed. */
function describe(code: string, rows: readonly CatalogRow[], seen: ObservedCode | undefined): CodeInfo {
  // Events of a known code carry the status of their matched row; a status no row has (not expected)
  // is attributed to the first row, so that the rows always add up to the code's count.
  const perRow = rows.map(() => 0);
  for (const [status, n] of seen?.byCatalogStatus ?? []) {
    const at = rows.findIndex((r) => r.status === status);
    perRow[at >= 0 ? at : 0] = (perRow[at >= 0 ? at : 0] ?? 0) + n;
  }
  return {
    code,
    known: rows.length > 0,
    rows: rows.map((r, i) => ({ status: r.status, template: r.template, description: r.description, solution: r.solution, unused: r.unused, count: perRow[i] ?? 0 })),
    count: seen?.count ?? 0,
    first_seen: seen && seen.count > 0 ? iso(seen.firstMs) : null,
    last_seen: seen && seen.count > 0 ? iso(seen.lastMs) : null,
    top_tenants: seen?.tenants ?? [],
    top_params: seen?.params ?? [],
  };
}

export const codesRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const rowsOf = (code: string) => deps.catalog.rows.filter((r) => r.code === code);

  app.get(
    '/v1/codes',
    {
      schema: {
        summary: 'The error catalog with observed counts',
        description: 'Every catalog code (count 0 when not seen) and every unknown code seen in the window; `code` narrows the list. Sorted by count, then code.',
        tags: ['codes'],
        querystring: listQuery,
        response: { 200: listResponse },
      },
    },
    async (request) => {
      const q = request.query;
      const { window, filters } = scope(request, q, deps);
      const observed = await readObservedCodes(deps.query, { window, filters, top: q.top, rollups: deps.rollups });
      const wanted = filters.code.length > 0 ? new Set(filters.code) : undefined;
      const codes = new Set<string>([...deps.catalog.codes, ...observed.keys()]);
      const list = [...codes]
        .filter((code) => wanted === undefined || wanted.has(code))
        .filter((code) => deps.catalog.has(code) || (observed.get(code)?.count ?? 0) > 0)
        .map((code) => describe(code, rowsOf(code), observed.get(code)))
        .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
        .slice(0, q.limit);
      return { from: iso(window.from), to: iso(window.to), codes: list };
    },
  );

  app.get(
    '/v1/codes/:code',
    {
      schema: {
        summary: 'One code: catalog rows and what was observed',
        description: 'A catalog code never seen answers with count 0; an unknown code answers when it was ever seen (by the caller\'s tenant); else 404.',
        tags: ['codes'],
        params: oneParams,
        querystring: oneQuery,
        response: { 200: oneResponse },
      },
    },
    async (request) => {
      const code = request.params.code;
      const { window, filters } = scope(request, { ...request.query, code: [] }, deps);
      const scoped = { ...filters, code: [code] };
      const observed = await readObservedCodes(deps.query, { window, filters: scoped, top: request.query.top, rollups: deps.rollups });
      const rows = rowsOf(code);
      const seen = observed.get(code);
      if (rows.length === 0 && (seen?.count ?? 0) === 0) {
        if (!(await codeEverSeen(deps.query, code, filters.tenant))) throw new ApiProblem('ERR_UNKNOWN_CODE', `code: ${code} is not in the catalog and was never seen`, { parameter: 'code' });
      }
      return { from: iso(window.from), to: iso(window.to), ...describe(code, rows, seen) };
    },
  );
};
