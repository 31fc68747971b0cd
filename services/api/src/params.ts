/**
 * The query parameters the /v1 routes share, as zod schemas (validation at the edge), and the one
 * tenant rule: a tenant-scoped token sees its own tenant only.
 */
import { z } from 'zod';
import { GROUP_FIELDS, INTERVAL_NAMES, type Filters, type GroupField, type IntervalName } from '@csbs-errors/query';
import { ApiProblem } from './problem.js';

const repeatable = <T extends z.ZodType>(item: T, expected: string) =>
  z
    .union([item, z.array(item).max(100)], { error: `expected ${expected}; repeat the parameter for more (at most 100)` })
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

/** A time parameter's text; what it means is @csbs-errors/query's (parseTimeParameter). */
export const timeText = z.string().min(1).max(64);
const name = z.string().min(1).max(128);

export const commonQuery = {
  from: timeText.optional().describe('ISO-8601 instant or relative (now-24h, now-15m, now-7d); default: `to` minus 24 h'),
  to: timeText.optional().describe('ISO-8601 instant or relative; default now'),
  tenant: repeatable(name, 'a tenant id of 1 to 128 characters').describe('tenant (project id); repeatable'),
  code: repeatable(name, 'an error code of 1 to 128 characters').describe('error code such as CSBS.9999; repeatable'),
  status: repeatable(z.coerce.number().int().min(100).max(599), 'an HTTP status between 100 and 599').describe('HTTP status; repeatable'),
  operation: repeatable(name, 'an operation name of 1 to 128 characters').describe('operation name such as restore_backup; repeatable'),
};

/** `group_by`: comma-separated group fields, each at most once. */
export function groupByParam(defaultValue: string) {
  return z
    .string()
    .max(200)
    .default(defaultValue)
    .transform((text, ctx) => {
      const fields = text
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== '');
      const unknown = fields.filter((f) => !(GROUP_FIELDS as readonly string[]).includes(f));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `unknown group field(s) ${unknown.join(', ')}; use any of ${GROUP_FIELDS.join(', ')}` });
        return z.NEVER;
      }
      // Fixed order, so that the SQL and the answer do not depend on how the caller spelled it.
      return GROUP_FIELDS.filter((f) => fields.includes(f)) as GroupField[];
    });
}

export const intervalParam = z
  .enum(['auto', ...INTERVAL_NAMES] as [IntervalName | 'auto', ...Array<IntervalName | 'auto'>])
  .default('auto')
  .describe(`bucket width; auto picks the finest that keeps a series at or under 300 buckets`);

/** What a request may see: all tenants, or the one tenant of its token. */
export interface Principal {
  /** Index of the token in the configured list (never the token itself); undefined without tokens. */
  id?: number;
  tenant?: string;
}

/**
 * The tenants a request may read, given those it asks for: a tenant token's own tenant (asking for
 * another one is a 403, not an empty answer); else those asked for (none = all).
 */
export function scopeTenants(asked: readonly string[], principal: Principal | undefined): string[] {
  const tenant = principal?.tenant;
  if (tenant === undefined) return [...new Set(asked)];
  if (asked.some((t) => t !== tenant)) throw new ApiProblem('ERR_FORBIDDEN_TENANT', 'tenant: this token may only read its own tenant', { parameter: 'tenant' });
  return [tenant];
}

export function scopeFilters(filters: Filters, principal: Principal | undefined): Filters {
  return { tenant: scopeTenants(filters.tenant, principal), code: filters.code, status: filters.status, operation: filters.operation };
}
