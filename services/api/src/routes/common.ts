/** What the /v1 routes share: the window and scoped filters of a request, ISO times, row shapes. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { filtersOf, resolveWindow, scopeFilters, type Filters, type GroupField, type Window } from '../filters.js';
import type { ApiDeps } from '../deps.js';

export const iso = (ms: number) => new Date(ms).toISOString();

export interface CommonQuery extends Filters {
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * The request's window and its filters, the token's tenant forced. Relative times (and the default
 * window) are resolved against the current second, so that clients polling the same relative window
 * ask the same question within a second (and share the query cache).
 */
export function scope(request: FastifyRequest, query: CommonQuery, deps: ApiDeps): { window: Window; filters: Filters } {
  const window = resolveWindow(query, Math.floor(deps.now() / 1000) * 1000);
  return { window, filters: scopeFilters(filtersOf(query), request.principal) };
}

/** The group fields of a row, typed (status as a number). */
export function groupOf(row: Record<string, unknown>, keys: readonly GroupField[]): GroupKey {
  const key: GroupKey = {};
  for (const field of keys) {
    if (field === 'status') key.status = Number(row.status);
    else key[field] = String(row[field] ?? '');
  }
  return key;
}

export interface GroupKey {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
}

export const groupKeySchema = z.object({
  code: z.string().optional(),
  status: z.number().int().optional(),
  tenant: z.string().optional(),
  operation: z.string().optional(),
});

export const isoTime = z.string().describe('ISO-8601 UTC instant with milliseconds');
