/**
 * Alerts persisted in ClickHouse (`alerts`, migration 0005): one row per episode of a rule and group
 * (key: rule, group_key, active_at), updated by inserting a newer `version` (ReplacingMergeTree; reads
 * use FINAL). It holds the state machine's state and what was delivered, so that a restarted
 * evaluator (or the one that takes the lease over) carries on where the last one stopped: a firing
 * alert stays firing, and a page already delivered is not delivered again.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import type { AlertNumbers, AlertPhase, AlertState } from './state.js';

export type WebhookDelivered = 'none' | 'firing' | 'resolved';

export interface Delivery {
  /** Last successful push of the firing alert to Alertmanager (re-sent every resend interval). */
  alertmanagerSentAt: number | null;
  /** The resolve (endsAt) reached Alertmanager. */
  alertmanagerResolved: boolean;
  /** The last state the webhook received. */
  webhook: WebhookDelivered;
}

export interface AlertRecord {
  rule: string;
  groupKey: string;
  labels: Record<string, string>;
  severity: string;
  state: AlertState;
  delivery: Delivery;
  version: number;
}

export const NOTHING_DELIVERED: Delivery = { alertmanagerSentAt: null, alertmanagerResolved: false, webhook: 'none' };

/** `tenant=t-1` for grouped alerts, '' for an overall one. */
export function groupKeyOf(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join(',');
}

interface AlertRow {
  rule: string;
  group_key: string;
  labels: Record<string, string>;
  severity: string;
  state_name: Exclude<AlertPhase, 'normal'>;
  active_ms: string;
  fired_ms: string | null;
  last_breach_ms: string | null;
  resolved_ms: string | null;
  cooldown_ms: string;
  count: string | number;
  requests: string | number;
  baseline: number;
  factor: number;
  observed_ms: string;
  peak_count: string | number;
  peak_requests: string | number;
  peak_baseline: number;
  peak_factor: number;
  peak_ms: string;
  am_sent_ms: string | null;
  am_resolved: boolean | number;
  webhook_state: WebhookDelivered;
  version: string | number;
}

const ms = (value: string | null): number | null => (value === null ? null : Number(value));

// Aliases differ from the column names: ClickHouse lets an alias shadow a column in WHERE.
const SELECT_COLUMNS = `rule, group_key, labels, severity, toString(state) AS state_name,
  toUnixTimestamp64Milli(active_at) AS active_ms, toUnixTimestamp64Milli(fired_at) AS fired_ms,
  toUnixTimestamp64Milli(last_breach_at) AS last_breach_ms, toUnixTimestamp64Milli(resolved_at) AS resolved_ms,
  toUnixTimestamp64Milli(cooldown_until) AS cooldown_ms,
  count, requests, baseline, factor, toUnixTimestamp64Milli(observed_at) AS observed_ms,
  peak_count, peak_requests, peak_baseline, peak_factor, toUnixTimestamp64Milli(peak_at) AS peak_ms,
  toUnixTimestamp64Milli(am_sent_at) AS am_sent_ms, am_resolved, toString(webhook) AS webhook_state, version`;

function fromRow(row: AlertRow): AlertRecord {
  const latest: AlertNumbers = { count: Number(row.count), requests: Number(row.requests), baseline: row.baseline, factor: row.factor, at: Number(row.observed_ms) };
  const peak: AlertNumbers = { count: Number(row.peak_count), requests: Number(row.peak_requests), baseline: row.peak_baseline, factor: row.peak_factor, at: Number(row.peak_ms) };
  return {
    rule: row.rule,
    groupKey: row.group_key,
    labels: row.labels,
    severity: row.severity,
    state: {
      phase: row.state_name,
      activeAt: Number(row.active_ms),
      firedAt: ms(row.fired_ms),
      lastBreachAt: ms(row.last_breach_ms),
      resolvedAt: ms(row.resolved_ms),
      cooldownUntil: Number(row.cooldown_ms),
      latest,
      peak,
    },
    delivery: { alertmanagerSentAt: ms(row.am_sent_ms), alertmanagerResolved: Boolean(row.am_resolved), webhook: row.webhook_state },
    version: Number(row.version),
  };
}

const iso = (value: number | null) => (value === null ? null : new Date(value).toISOString());

function toRow(record: AlertRecord): Record<string, unknown> {
  const { state, delivery } = record;
  if (state.activeAt === null || state.phase === 'normal') throw new Error('only an open or closed episode is stored, never the normal state');
  const latest = state.latest ?? { count: 0, requests: 0, baseline: 0, factor: 0, at: state.activeAt };
  const peak = state.peak ?? latest;
  return {
    rule: record.rule,
    group_key: record.groupKey,
    labels: record.labels,
    severity: record.severity,
    state: state.phase,
    active_at: iso(state.activeAt),
    fired_at: iso(state.firedAt),
    last_breach_at: iso(state.lastBreachAt),
    resolved_at: iso(state.resolvedAt),
    cooldown_until: iso(state.cooldownUntil),
    count: latest.count,
    requests: latest.requests,
    baseline: latest.baseline,
    factor: finite(latest.factor),
    observed_at: iso(latest.at),
    peak_count: peak.count,
    peak_requests: peak.requests,
    peak_baseline: peak.baseline,
    peak_factor: finite(peak.factor),
    peak_at: iso(peak.at),
    am_sent_at: iso(delivery.alertmanagerSentAt),
    am_resolved: delivery.alertmanagerResolved,
    webhook: delivery.webhook,
    version: record.version,
  };
}

const finite = (value: number) => (Number.isFinite(value) ? value : 0);

export interface AlertQuery {
  /** Closed episodes (resolved) that ended at or after this time are "recent". */
  since: number;
  states?: ReadonlyArray<'pending' | 'firing' | 'resolved'>;
  rule?: string;
  tenant?: string;
  /** Only alerts with a tenant label (tenant-scoped readers never see overall alerts). */
  tenantOnly?: boolean;
  limit: number;
}

export class AlertTable {
  constructor(private readonly store: ClickHouseClient) {}

  async save(records: readonly AlertRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.store.insert({ table: 'alerts', values: records.map(toRow), format: 'JSONEachRow' });
  }

  /** The newest episode of every rule and group (the evaluator's state at start or take-over). */
  async latestEpisodes(): Promise<AlertRecord[]> {
    const rows = await (
      await this.store.query({
        query: `SELECT ${SELECT_COLUMNS} FROM alerts FINAL ORDER BY rule, group_key, active_at DESC LIMIT 1 BY rule, group_key`,
        format: 'JSONEachRow',
      })
    ).json<AlertRow>();
    return rows.map(fromRow);
  }

  /** Open alerts and those resolved since `since`, newest first (the API). */
  async list(query: AlertQuery): Promise<AlertRecord[]> {
    const states = query.states ?? ['pending', 'firing', 'resolved'];
    const conditions = [
      `state IN {states:Array(String)}`,
      `(state != 'resolved' OR resolved_at >= fromUnixTimestamp64Milli({since:Int64}))`,
      ...(query.rule !== undefined ? ['rule = {rule:String}'] : []),
      ...(query.tenant !== undefined ? [`labels['tenant'] = {tenant:String}`] : []),
      ...(query.tenantOnly ? [`mapContains(labels, 'tenant')`] : []),
    ];
    const rows = await (
      await this.store.query({
        query: `SELECT ${SELECT_COLUMNS} FROM alerts FINAL WHERE ${conditions.join(' AND ')}
                ORDER BY (state = 'firing') DESC, coalesce(fired_at, active_at) DESC, rule, group_key LIMIT {limit:UInt32}`,
        query_params: { states, since: query.since, rule: query.rule, tenant: query.tenant, limit: query.limit },
        format: 'JSONEachRow',
      })
    ).json<AlertRow>();
    return rows.map(fromRow);
  }
}
