/**
 * One incident, one page. When the overall rule and several tenant rules fire for the same spike,
 * their alerts share an `incident` label, `<codes>-<first breach, minute, UTC>` (e.g.
 * `CSBS.9999-2026-10-07T08:10Z`): the episode that opens first names the incident, and an episode of
 * the same codes that opens while one of that incident's alerts is still open (pending or firing)
 * joins it. Alertmanager groups by `incident` (the shipped configuration) or, without a `group_by`,
 * puts every alert of the route in one group anyway: either way one notification per incident.
 *
 * Pure functions: the alerter's evaluator labels new episodes with `incidentFor`; GET /v1/alerts
 * folds its list of alerts into incidents with `groupIncidents` (the dashboard shows those).
 */

export const INCIDENT_LABEL = 'incident';

/** What incident grouping needs of an alert (stored or listed). */
export interface IncidentMember {
  rule: string;
  labels: Record<string, string>;
  open: boolean;
  /** When its breach was first seen (ms). */
  activeAt: number;
}

const minuteText = (ms: number) => `${new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 16)}Z`;

/** The incident id an episode of `code` opening at `activeAt` starts when it joins none. */
export function incidentId(code: string, activeAt: number): string {
  return `${code}-${minuteText(activeAt)}`;
}

/**
 * The incident of a new episode: that of the earliest open alert of the same code (label `code`),
 * else a new one named after this episode.
 */
export function incidentFor(code: string, activeAt: number, others: Iterable<IncidentMember>): string {
  let joined: IncidentMember | undefined;
  for (const other of others) {
    if (!other.open || other.labels.code !== code || other.labels[INCIDENT_LABEL] === undefined) continue;
    if (joined === undefined || other.activeAt < joined.activeAt) joined = other;
  }
  return joined?.labels[INCIDENT_LABEL] ?? incidentId(code, activeAt);
}

export interface Incident<A> {
  id: string;
  code: string;
  /** Open while any of its alerts is. */
  open: boolean;
  /** Earliest first breach among its alerts (ms). */
  activeAt: number;
  rules: string[];
  /** Tenants with an alert of their own, sorted; an overall alert adds none. */
  tenants: string[];
  overall: boolean;
  alerts: A[];
}

/**
 * Alerts folded into incidents by their `incident` label (an alert without one, stored before the
 * label existed, is an incident of its own), in the order of their first alert.
 */
export function groupIncidents<A extends IncidentMember>(alerts: readonly A[]): Array<Incident<A>> {
  const byId = new Map<string, Incident<A>>();
  for (const alert of alerts) {
    const code = alert.labels.code ?? '';
    const id = alert.labels[INCIDENT_LABEL] ?? `${incidentId(code, alert.activeAt)}/${alert.rule}/${alert.labels.tenant ?? ''}`;
    let incident = byId.get(id);
    if (!incident) {
      incident = { id, code, open: false, activeAt: alert.activeAt, rules: [], tenants: [], overall: false, alerts: [] };
      byId.set(id, incident);
    }
    incident.alerts.push(alert);
    incident.open ||= alert.open;
    incident.activeAt = Math.min(incident.activeAt, alert.activeAt);
    if (!incident.rules.includes(alert.rule)) incident.rules.push(alert.rule);
    const tenant = alert.labels.tenant;
    if (tenant === undefined) incident.overall = true;
    else if (!incident.tenants.includes(tenant)) incident.tenants.push(tenant);
  }
  for (const incident of byId.values()) incident.tenants.sort();
  return [...byId.values()];
}
