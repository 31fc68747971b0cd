/**
 * Alerts persisted in ClickHouse (`alerts`, migration 0005): one row per episode of a rule and group
 * (key: rule, group_key, active_at), updated by inserting a newer `version` (ReplacingMergeTree; reads
 * use FINAL; the reads are @csbs-errors/query's). It holds the state machine's state and what was delivered, so that a restarted
 * evaluator (or the one that takes the lease over) carries on where the last one stopped: a firing
 * alert stays firing, and a page already delivered is not delivered again.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import { boundQuery, readAlertList, readLatestEpisodes, type AlertListRequest, type QueryFn } from '@csbs-errors/query';
import type { AlertState } from './state.js';

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

export type AlertQuery = AlertListRequest;

export class AlertTable {
  private readonly read: QueryFn;

  constructor(private readonly store: ClickHouseClient) {
    this.read = boundQuery(store);
  }

  async save(records: readonly AlertRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.store.insert({ table: 'alerts', values: records.map(toRow), format: 'JSONEachRow' });
  }

  /** The newest episode of every rule and group (the evaluator's state at start or take-over). */
  async latestEpisodes(): Promise<AlertRecord[]> {
    return readLatestEpisodes(this.read);
  }

  /** Open alerts and those resolved since `since`, firing first, then newest first. */
  async list(query: AlertQuery): Promise<AlertRecord[]> {
    return readAlertList(this.read, query);
  }
}
