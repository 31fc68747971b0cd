/** What an alert says to people: its labels, its annotations (the numbers) and the dashboard link. */
import type { AlertRecord } from './alert-table.js';
import type { AlertNotice } from './notify.js';
import { MINUTE_MS, type Rule } from './rules.js';

/** An alert's identity in Alertmanager and in the table: the rule, its code(s), its severity and its group. */
export function alertLabels(rule: Rule, groupLabels: Record<string, string>): Record<string, string> {
  return { alertname: rule.name, code: rule.codes.join(','), severity: rule.severity, ...groupLabels };
}

/** The dashboard around the alert: 30 minutes before it paged up to 10 minutes after it resolved (or now). */
export function dashboardLink(dashboardUrl: string, rule: Rule, record: AlertRecord, now: number): string {
  const started = record.state.firedAt ?? record.state.activeAt ?? now;
  const ended = record.state.resolvedAt === null ? now : record.state.resolvedAt + 10 * MINUTE_MS;
  const query = new URLSearchParams();
  for (const code of rule.codes) query.append('code', code);
  const tenant = record.labels.tenant;
  if (tenant !== undefined) query.set('tenant', tenant);
  query.set('from', new Date(started - 30 * MINUTE_MS).toISOString());
  query.set('to', new Date(ended).toISOString());
  return `${dashboardUrl.replace(/\/+$/, '')}/?${query.toString()}`;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '0');

export function noticeFor(rule: Rule, record: AlertRecord, now: number, dashboardUrl: string | undefined): AlertNotice {
  const { state } = record;
  const peak = state.peak ?? state.latest;
  const count = peak?.count ?? 0;
  const baseline = peak?.baseline ?? 0;
  const factor = peak?.factor ?? 0;
  const windowText = `${rule.window / MINUTE_MS}m`;
  const where = record.labels.tenant !== undefined ? ` for tenant ${record.labels.tenant}` : '';
  const link = dashboardUrl === undefined ? undefined : dashboardLink(dashboardUrl, rule, record, now);
  const annotations: Record<string, string> = {
    summary: rule.summary ?? `${rule.codes.join(', ')} spike`,
    description: `${count} ${rule.codes.join('/')} errors in ${windowText}${where}: ${fixed(factor, 1)}× the baseline of ${fixed(baseline, 1)} (${rule.method} baseline)`,
    count: String(count),
    baseline: fixed(baseline, 2),
    factor: fixed(factor, 2),
    window: windowText,
    ...(peak !== null && peak.requests > 0 ? { requests: String(peak.requests) } : {}),
    ...(link !== undefined ? { dashboard: link } : {}),
  };
  const resolved = state.phase === 'resolved' && state.resolvedAt !== null;
  return {
    status: resolved ? 'resolved' : 'firing',
    labels: record.labels,
    annotations,
    startsAt: new Date(state.firedAt ?? state.activeAt ?? now).toISOString(),
    ...(resolved && state.resolvedAt !== null ? { endsAt: new Date(state.resolvedAt).toISOString() } : {}),
    ...(link !== undefined ? { generatorURL: link } : {}),
  };
}
