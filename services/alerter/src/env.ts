/**
 * The alerter's own settings from the environment (the shared ones, such as CLICKHOUSE_URL, come
 * from @csbs-errors/config). Empty values count as unset. Documented in docs/alerting.md.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { durationSchema } from './rules.js';

const unsetIfEmpty = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const httpUrl = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .trim()
    .refine((s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s), 'expected an http(s):// URL')
    .optional(),
);
const duration = (fallback: string) => z.preprocess(unsetIfEmpty, durationSchema.optional()).transform((ms) => ms ?? durationSchema.parse(fallback));

export const alerterEnvSchema = z.object({
  /** JSON rules file; the built-in CSBS.9999 rules when unset. */
  ALERT_RULES_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
  /** Alertmanager base URL, e.g. http://127.0.0.1:9093 (alerts go to /api/v2/alerts). */
  ALERTMANAGER_URL: httpUrl,
  /** Receives Alertmanager-style webhook messages, one per alert and state. */
  ALERT_WEBHOOK_URL: httpUrl,
  /** Base URL of the dashboard linked from alerts (default: this server's URL, when it serves one). */
  DASHBOARD_URL: httpUrl,
  /** Re-send interval of firing alerts to Alertmanager (keep it well below its resolve_timeout). */
  ALERT_RESEND_INTERVAL: duration('1m'),
  /** Wait after a minute ends before judging it (ingest's batch delay plus margin). */
  ALERT_EVALUATION_DELAY: duration('3s'),
  /** Lifetime of the evaluator lease; a standby takes over at most this long after the holder died. */
  ALERT_LEASE_TTL: duration('30s'),
  /** This evaluator's name in the lease (default host:pid:random). */
  ALERT_INSTANCE_ID: z.preprocess(unsetIfEmpty, z.string().min(1).max(200).optional()),
});

export interface AlerterSettings {
  rulesFile: string | undefined;
  alertmanagerUrl: string | undefined;
  webhookUrl: string | undefined;
  dashboardUrl: string | undefined;
  resendMs: number;
  settleMs: number;
  leaseTtlMs: number;
  instanceId: string;
}

export class AlerterConfigError extends Error {
  override name = 'AlerterConfigError';
}

export function loadAlerterSettings(source: NodeJS.ProcessEnv = process.env): AlerterSettings {
  const result = alerterEnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(value)'}: ${issue.message}`);
    throw new AlerterConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env = result.data;
  return {
    rulesFile: env.ALERT_RULES_FILE,
    alertmanagerUrl: env.ALERTMANAGER_URL,
    webhookUrl: env.ALERT_WEBHOOK_URL,
    dashboardUrl: env.DASHBOARD_URL,
    resendMs: env.ALERT_RESEND_INTERVAL,
    settleMs: env.ALERT_EVALUATION_DELAY,
    leaseTtlMs: env.ALERT_LEASE_TTL,
    instanceId: env.ALERT_INSTANCE_ID ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
  };
}
