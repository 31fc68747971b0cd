/**
 * `GET /v1/alerts`: open alerts (pending, firing) and those resolved recently, with their numbers,
 * as a Fastify plugin for the query API. Parameters are validated with zod (fastify-type-provider-zod);
 * a bad one gets a 400 application/problem+json naming it, as everywhere under /v1. The plugin writes
 * its 400/403 answers itself, so it needs nothing from the host app but a store; register it inside
 * the /v1 scope (after the token check) and pass `tenantOf` so that a tenant's token sees only that
 * tenant's alerts (never the overall ones: they aggregate every tenant):
 *
 *   await app.register(alertsPlugin, { store, now: deps.now, tenantOf: (request) => request.principal?.tenant });
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClickHouseClient } from '@csbs-errors/store';
import { AlertTable, type AlertRecord } from './alert-table.js';

export interface AlertsPluginOptions {
  store: ClickHouseClient;
  now?: () => number;
  /** The tenant a request is limited to (a tenant-scoped token), else undefined. */
  tenantOf?: (request: FastifyRequest) => string | undefined;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const RELATIVE = /^now(?:-(\d+)(s|m|h|d|w))?$/;

/** ISO-8601 instant or `now`, `now-24h`, ... (as the other /v1 time parameters). */
function parseInstant(text: string, now: number): number | null {
  const relative = RELATIVE.exec(text);
  if (relative) return relative[1] === undefined ? now : now - Number(relative[1]) * (UNIT_MS[relative[2] ?? ''] ?? 0);
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?(?:Z|[+-]\d{2}:?\d{2})?$/.test(text)) return null;
  const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const ms = Date.parse(hasOffset ? text : `${text.length === 10 ? `${text}T00:00:00` : text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? null : ms;
}

const STATES = ['pending', 'firing', 'resolved'] as const;

const querySchema = z
  .object({
    state: z
      .string()
      .max(100)
      .optional()
      .describe('comma-separated: pending, firing, resolved (default all three)')
      .transform((text, ctx) => {
        if (text === undefined) return undefined;
        const states = text.split(',').map((s) => s.trim());
        const unknown = states.find((s) => !(STATES as readonly string[]).includes(s));
        if (unknown !== undefined) {
          ctx.addIssue({ code: 'custom', message: `unknown state '${unknown}'; expected pending, firing or resolved` });
          return z.NEVER;
        }
        return states as Array<(typeof STATES)[number]>;
      }),
    since: z.string().max(64).default('now-24h').describe('resolved alerts that ended at or after this instant (ISO-8601 or now-24h, ...)'),
    rule: z.string().min(1).max(200).optional(),
    tenant: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

const numbersSchema = z.object({
  count: z.number().int().describe('errors in the window'),
  requests: z.number().int().describe('requests in the window (0: not known)'),
  baseline: z.number().describe('expected errors in the window'),
  factor: z.number().describe('count / baseline'),
  at: z.string().describe('when these numbers were observed'),
});

const alertSchema = z.object({
  rule: z.string(),
  labels: z.record(z.string(), z.string()),
  state: z.enum(STATES),
  severity: z.string(),
  active_at: z.string().describe('when the breach was first seen'),
  starts_at: z.string().nullable().describe('when it fired (paged); null while pending'),
  ends_at: z.string().nullable().describe('when it resolved; null while open'),
  last_breach_at: z.string().nullable(),
  latest: numbersSchema,
  peak: numbersSchema,
});

const responseSchema = z.object({
  now: z.string(),
  since: z.string(),
  firing: z.number().int(),
  pending: z.number().int(),
  alerts: z.array(alertSchema),
});

type AlertJson = z.infer<typeof alertSchema>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toJson(record: AlertRecord): AlertJson | null {
  const { state } = record;
  if (state.phase !== 'pending' && state.phase !== 'firing' && state.phase !== 'resolved') return null;
  const numbers = (n: AlertRecord['state']['latest']) => ({
    count: n?.count ?? 0,
    requests: n?.requests ?? 0,
    baseline: Math.round((n?.baseline ?? 0) * 1000) / 1000,
    factor: Math.round((n?.factor ?? 0) * 100) / 100,
    at: new Date(n?.at ?? state.activeAt ?? 0).toISOString(),
  });
  return {
    rule: record.rule,
    labels: record.labels,
    state: state.phase,
    severity: record.severity,
    active_at: new Date(state.activeAt ?? 0).toISOString(),
    starts_at: iso(state.firedAt),
    ends_at: iso(state.resolvedAt),
    last_breach_at: iso(state.lastBreachAt),
    latest: numbers(state.latest),
    peak: numbers(state.peak ?? state.latest),
  };
}

function problem(reply: FastifyReply, status: number, title: string, detail: string, parameter?: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: 'about:blank', title, status, detail, ...(parameter !== undefined ? { parameter } : {}) });
}

type ValidationItem = { keyword?: string; instancePath?: string; message?: string; params?: unknown };

/** The parameter a validation failure is about (same rules as the API's problems plugin). */
function parameterOf(error: Error & { validation?: ValidationItem[] }): { parameter: string; message: string } {
  const first = error.validation?.[0];
  if (first?.keyword === 'unrecognized_keys') {
    const keys = (first.params as { keys?: unknown } | undefined)?.keys;
    return { parameter: Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : 'query', message: 'unknown parameter' };
  }
  const fromPath = first?.instancePath?.replace(/^\//, '').split('/')[0] ?? '';
  return { parameter: fromPath !== '' ? fromPath : 'query', message: first?.message ?? 'invalid value' };
}

export async function alertsPlugin(app: FastifyInstance, options: AlertsPluginOptions): Promise<void> {
  const table = new AlertTable(options.store);
  const now = options.now ?? Date.now;
  // Encapsulated: these compilers apply to this plugin's route only (the host may set the same).
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/alerts',
    {
      attachValidation: true,
      schema: {
        summary: 'Firing and recent alerts',
        description: 'Open alerts (pending, firing) and alerts resolved since `since` (default the last 24 h), firing first, with the numbers of the latest evaluation and of the peak.',
        tags: ['alerts'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (request, reply) => {
      if (request.validationError) {
        const { parameter, message } = parameterOf(request.validationError);
        return problem(reply, 400, 'Invalid parameter', `${parameter}: ${message}`, parameter);
      }
      const q = request.query;
      const at = now();
      const since = parseInstant(q.since, at);
      if (since === null) return problem(reply, 400, 'Invalid parameter', 'since: expected ISO-8601 or now-<n>(s|m|h|d|w)', 'since');
      const scopedTenant = options.tenantOf?.(request);
      if (scopedTenant !== undefined && q.tenant !== undefined && q.tenant !== scopedTenant) {
        return problem(reply, 403, 'Forbidden', 'tenant: this token may only read its own tenant', 'tenant');
      }
      const tenant = scopedTenant ?? q.tenant;
      const records = await table.list({
        since,
        limit: q.limit,
        ...(q.state !== undefined ? { states: q.state } : {}),
        ...(q.rule !== undefined ? { rule: q.rule } : {}),
        ...(tenant !== undefined ? { tenant } : {}),
        tenantOnly: scopedTenant !== undefined,
      });
      const alerts = records.map(toJson).filter((a): a is AlertJson => a !== null);
      return {
        now: new Date(at).toISOString(),
        since: new Date(since).toISOString(),
        firing: alerts.filter((a) => a.state === 'firing').length,
        pending: alerts.filter((a) => a.state === 'pending').length,
        alerts,
      };
    },
  );
}
