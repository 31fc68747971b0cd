/**
 * GET /v1/alerts: open alerts (pending, firing) and those resolved recently, with their numbers,
 * from the alerter's table (@csbs-errors/query's readAlertList). A tenant's token sees only that
 * tenant's alerts (never the overall ones: they aggregate every tenant).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseTimeParameter, readAlertList, type StoredAlert, type StoredAlertNumbers } from '@csbs-errors/query';
import { scopeTenants, timeText } from '../params.js';
import type { ApiDeps } from '../deps.js';
import { nowSecond } from './common.js';

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
    since: timeText.default('now-24h').describe('resolved alerts that ended at or after this instant (ISO-8601 or now-24h, ...)'),
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

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

function toJson(record: StoredAlert): AlertJson | null {
  const { state } = record;
  if (state.phase !== 'pending' && state.phase !== 'firing' && state.phase !== 'resolved') return null;
  const numbers = (n: StoredAlertNumbers) => ({
    count: n.count,
    requests: n.requests,
    baseline: Math.round(n.baseline * 1000) / 1000,
    factor: Math.round(n.factor * 100) / 100,
    at: new Date(n.at).toISOString(),
  });
  return {
    rule: record.rule,
    labels: record.labels,
    state: state.phase,
    severity: record.severity,
    active_at: new Date(state.activeAt).toISOString(),
    starts_at: isoOrNull(state.firedAt),
    ends_at: isoOrNull(state.resolvedAt),
    last_breach_at: isoOrNull(state.lastBreachAt),
    latest: numbers(state.latest),
    peak: numbers(state.peak),
  };
}

export const alertsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/alerts',
    {
      schema: {
        summary: 'Firing and recent alerts',
        description: 'Open alerts (pending, firing) and alerts resolved since `since` (default the last 24 h), firing first, with the numbers of the latest evaluation and of the peak.',
        tags: ['alerts'],
        querystring: querySchema,
        response: { 200: responseSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const at = nowSecond(deps);
      const since = parseTimeParameter('since', q.since, at);
      const scoped = request.principal?.tenant !== undefined;
      const [tenant] = scopeTenants(q.tenant === undefined ? [] : [q.tenant], request.principal);
      const records = await readAlertList(deps.query, {
        since,
        limit: q.limit,
        ...(q.state !== undefined ? { states: q.state } : {}),
        ...(q.rule !== undefined ? { rule: q.rule } : {}),
        ...(tenant !== undefined ? { tenant } : {}),
        tenantOnly: scoped,
      });
      const alerts = records.map(toJson).filter((a): a is AlertJson => a !== null);
      return {
        now: iso(at),
        since: iso(since),
        firing: alerts.filter((a) => a.state === 'firing').length,
        pending: alerts.filter((a) => a.state === 'pending').length,
        alerts,
      };
    },
  );
};
