/**
 * Firing, pending and recently resolved alerts from GET /v1/alerts (the alerter's endpoint; the page
 * asks for it only when the server has it). The answer is
 *   {now, since, firing, pending, alerts: [{rule, labels, state, severity, active_at, starts_at,
 *    ends_at, last_breach_at, latest: {count, requests, baseline, factor, at}, peak: {...}}]}
 * Other shapes (`{firing: [...], recent: [...]}`, Alertmanager's) are read leniently. Alerts that
 * share an `incident` label (the overall rule and tenant rules firing for the same spike) are shown
 * as one incident with its tenants; `alertMarks` gives the trend charts their fired/resolved marks.
 */
import type { AlertMark } from './charts.js';
import { h, type Child } from './dom.js';
import { fmtInt, fmtTime } from './format.js';
import { badge, empty } from './ui.js';

type Json = Record<string, unknown>;

export interface AlertItem {
  name: string;
  code: string;
  labels: Array<[string, string]>;
  severity: string;
  state: 'firing' | 'pending' | 'resolved' | string;
  since: string;
  ended: string;
  summary: string;
  /** The incident it belongs to ('' if the alert carries none). */
  incident: string;
  tenant: string;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function pick(obj: Json, paths: string[]): string {
  for (const path of paths) {
    let v: unknown = obj;
    for (const part of path.split('.')) v = isObject(v) ? v[part] : undefined;
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return '';
}

/** "61 errors, 12.4× the baseline of 4.9 (peak 75)" from the alerter's numbers. */
function numbers(raw: Json): string {
  const latest = isObject(raw.latest) ? raw.latest : undefined;
  if (!latest || typeof latest.count !== 'number') return '';
  const parts = [`${fmtInt(latest.count)} errors`];
  if (typeof latest.factor === 'number' && typeof latest.baseline === 'number' && latest.baseline > 0) parts.push(`${latest.factor}× the baseline of ${latest.baseline}`);
  const peak = isObject(raw.peak) ? raw.peak : undefined;
  if (peak && typeof peak.count === 'number' && peak.count !== latest.count) parts.push(`peak ${fmtInt(peak.count)}`);
  return parts.join(', ');
}

function item(raw: unknown, stateIfMissing?: string): AlertItem | undefined {
  if (!isObject(raw)) return undefined;
  const ended = pick(raw, ['ends_at', 'resolved_at', 'ended_at', 'endsAt']);
  let state = pick(raw, ['state', 'status.state', 'status']).toLowerCase() || stateIfMissing || (ended ? 'resolved' : 'firing');
  if (state === 'active') state = 'firing';
  const labels = isObject(raw.labels) ? Object.entries(raw.labels).filter((e): e is [string, string] => typeof e[1] === 'string') : [];
  return {
    name: pick(raw, ['rule', 'name', 'alertname', 'labels.alertname', 'id']) || 'alert',
    code: pick(raw, ['code', 'labels.code']),
    labels: labels.filter(([k]) => k !== 'code' && k !== 'alertname' && k !== 'severity' && k !== 'incident'),
    severity: pick(raw, ['severity', 'labels.severity']),
    state,
    since: pick(raw, ['starts_at', 'started_at', 'startsAt', 'active_at', 'activeAt', 'since']),
    ended: state === 'resolved' ? ended : '',
    summary: pick(raw, ['summary', 'annotations.summary', 'description', 'annotations.description', 'message']) || numbers(raw),
    incident: pick(raw, ['labels.incident']),
    tenant: pick(raw, ['labels.tenant']),
  };
}

export interface Alerts {
  firing: AlertItem[];
  pending: AlertItem[];
  resolved: AlertItem[];
}

export function parseAlerts(body: unknown): Alerts {
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const items: AlertItem[] = [];
  if (isObject(body) && (Array.isArray(body.firing) || Array.isArray(body.recent))) {
    for (const a of list(body.firing)) items.push(...[item(a, 'firing')].filter((x): x is AlertItem => x !== undefined));
    for (const a of [...list(body.recent), ...list(body.resolved)]) items.push(...[item(a, 'resolved')].filter((x): x is AlertItem => x !== undefined));
  } else {
    const all = Array.isArray(body) ? body : isObject(body) ? list(body.alerts ?? body.items) : [];
    for (const a of all) items.push(...[item(a)].filter((x): x is AlertItem => x !== undefined));
  }
  return {
    firing: items.filter((a) => a.state === 'firing'),
    pending: items.filter((a) => a.state === 'pending'),
    resolved: items.filter((a) => a.state !== 'firing' && a.state !== 'pending'),
  };
}

/** Fired → resolved marks for the time charts: every alert that paged (pending ones never did). */
export function alertMarks(alerts: Alerts): AlertMark[] {
  return [...alerts.firing, ...alerts.resolved]
    .filter((a) => a.since !== '' && !Number.isNaN(Date.parse(a.since)))
    .map((a) => ({
      fired: Date.parse(a.since) / 1000,
      resolved: a.ended !== '' && !Number.isNaN(Date.parse(a.ended)) ? Date.parse(a.ended) / 1000 : null,
      label: `${a.name}${a.tenant ? ` (${a.tenant})` : ''}: ${a.state === 'firing' ? 'firing' : 'resolved'} since ${fmtTime(a.since)}${a.ended ? `, resolved ${fmtTime(a.ended)}` : ''}`,
    }));
}

/** Alerts of one incident together, the overall one (no tenant) first; an alert without an incident label stands alone. */
function byIncident(items: readonly AlertItem[]): AlertItem[][] {
  const groups = new Map<string, AlertItem[]>();
  items.forEach((a, i) => {
    const key = a.incident || `#${i}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  });
  return [...groups.values()].map((g) => [...g].sort((a, b) => Number(a.tenant !== '') - Number(b.tenant !== '')));
}

export function renderAlerts(alerts: Alerts, codeHref: (code: string) => string): Child {
  const row = (group: AlertItem[]) => {
    const a = group[0] as AlertItem;
    const tenants = [...new Set(group.map((g) => g.tenant).filter((t) => t !== ''))].sort();
    return h(
      'li',
      { class: `alert alert-${a.state === 'firing' ? 'firing' : a.state === 'pending' ? 'pending' : 'resolved'}`, 'data-incident': a.incident || undefined, 'data-alerts': group.length },
      h(
        'div',
        { class: 'alert-head' },
        badge(a.state, a.state === 'firing' ? 'bad' : a.state === 'pending' ? 'warn' : 'muted'),
        h('strong', null, a.name),
        a.code ? h('a', { href: codeHref(a.code), class: 'code' }, a.code) : null,
        a.severity ? badge(a.severity, a.severity === 'critical' || a.severity === 'page' ? 'bad' : 'info') : null,
      ),
      a.summary ? h('p', { class: 'alert-summary' }, a.summary) : null,
      group.length > 1 || (a.incident && tenants.length > 0)
        ? h('p', { class: 'alert-incident', 'data-testid': 'alert-incident' }, `One incident: ${group.length} alerts`, tenants.length > 0 ? ` · tenants ${tenants.join(', ')}` : '', group.some((g) => g.tenant === '') ? ' and overall' : '')
        : null,
      h(
        'p',
        { class: 'alert-times muted' },
        a.labels.length > 0 && group.length === 1 ? `${a.labels.map(([k, v]) => `${k}=${v}`).join(' ')} · ` : '',
        a.since ? `since ${fmtTime(a.since)}` : '',
        a.ended ? ` · resolved ${fmtTime(a.ended)}` : '',
      ),
    );
  };
  const open = byIncident([...alerts.firing, ...alerts.pending]);
  const resolved = byIncident(alerts.resolved);
  return [
    h('h3', { class: 'subhead' }, `Firing (${alerts.firing.length})${alerts.pending.length > 0 ? ` · pending (${alerts.pending.length})` : ''}`),
    open.length > 0 ? h('ul', { class: 'alerts', 'data-testid': 'alerts-open' }, open.map(row)) : empty('Nothing is firing.'),
    h('h3', { class: 'subhead' }, 'Resolved in this window'),
    resolved.length > 0 ? h('ul', { class: 'alerts', 'data-testid': 'alerts-resolved' }, resolved.slice(0, 10).map(row)) : empty('No alert resolved in this window.'),
  ];
}
