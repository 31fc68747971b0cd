/** What the /v1 routes share: the window and scoped filters of a request, ISO times, row shapes. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resolveWindow, type Filters, type Window } from '@csbs-errors/query';
import { scopeFilters } from '../params.js';
import type { ApiDeps } from '../deps.js';

export { iso } from '@csbs-errors/query';

export interface CommonQuery extends Filters {
  from?: string | undefined;
  to?: string | undefined;
}

/** The clock of relative times, to the second: clients polling one relative window ask one question within a second (and share the answer cache). */
export const nowSecond = (deps: ApiDeps) => Math.floor(deps.now() / 1000) * 1000;

/** The request's window and its filters, the token's tenant forced. */
export function scope(request: FastifyRequest, query: CommonQuery, deps: ApiDeps, maxWindowMs?: number): { window: Window; filters: Filters } {
  const window = resolveWindow(query, nowSecond(deps), maxWindowMs);
  return { window, filters: scopeFilters(query, request.principal) };
}

export const groupKeySchema = z.object({
  code: z.string().optional(),
  status: z.number().int().optional(),
  tenant: z.string().optional(),
  operation: z.string().optional(),
});

export const isoTime = z.string().describe('ISO-8601 UTC instant with milliseconds');
