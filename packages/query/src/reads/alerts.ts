/**
 * The alerter's `alerts` table (migration 0005: one row per episode of a rule and group, newer
 * versions replace older ones, hence FINAL), read for the evaluator's restart, for GET /v1/alerts
 * and for the postmortem report.
 */
import type { QueryFn } from '../runner.js';

export type StoredAlertPhase = 'pending' | 'firing' | 'resolved' | 'cancelled';

export interface StoredAlertNumbers {
  count: number;
  requests: number;
  baseline: number;
  factor: number;
  at: number;
}

/** One stored episode: its state-machine state and what was delivered. */
export interface StoredAlert {
  rule: string;
  groupKey: string;
  labels: Record<string, string>;
  severity: string;
  state: {
    phase: StoredAlertPhase;
    activeAt: number;
    firedAt: number | null;
    lastBreachAt: number | null;
    resolvedAt: number | null;
    cooldownUntil: number;
    latest: StoredAlertNumbers;
    peak: StoredAlertNumbers;
  };
  delivery: { alertmanagerSentAt: number | null; alertmanagerResolved: boolean; webhook: 'none' | 'firing' | 'resolved' };
  version: number;
}

interface AlertRow {
  rule: string;
  group_key: string;
  labels: Record<string, string>;
  severity: string;
  state_name: StoredAlertPhase;
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
  webhook_state: 'none' | 'firing' | 'resolved';
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

function fromRow(row: AlertRow): StoredAlert {
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
      latest: { count: Number(row.count), requests: Number(row.requests), baseline: row.baseline, factor: row.factor, at: Number(row.observed_ms) },
      peak: { count: Number(row.peak_count), requests: Number(row.peak_requests), baseline: row.peak_baseline, factor: row.peak_factor, at: Number(row.peak_ms) },
    },
    delivery: { alertmanagerSentAt: ms(row.am_sent_ms), alertmanagerResolved: Boolean(row.am_resolved), webhook: row.webhook_state },
    version: Number(row.version),
  };
}

/** The newest episode of every rule and group (the evaluator's state at start or take-over). */
export async function readLatestEpisodes(query: QueryFn): Promise<StoredAlert[]> {
  const rows = await query<AlertRow>(`SELECT ${SELECT_COLUMNS} FROM alerts FINAL ORDER BY rule, group_key, active_at DESC LIMIT 1 BY rule, group_key`, {});
  return rows.map(fromRow);
}

export interface AlertListRequest {
  /** Closed episodes (resolved) that ended at or after this time are "recent". */
  since: number;
  states?: ReadonlyArray<'pending' | 'firing' | 'resolved'>;
  rule?: string;
  tenant?: string;
  /** Only alerts with a tenant label (tenant-scoped readers never see overall alerts). */
  tenantOnly?: boolean;
  limit: number;
}

/** Open alerts and those resolved since `since`: firing first, then newest first. */
export async function readAlertList(query: QueryFn, request: AlertListRequest): Promise<StoredAlert[]> {
  const states = request.states ?? ['pending', 'firing', 'resolved'];
  const conditions = [
    `state IN {states:Array(String)}`,
    `(state != 'resolved' OR resolved_at >= fromUnixTimestamp64Milli({since:Int64}))`,
    ...(request.rule !== undefined ? ['rule = {rule:String}'] : []),
    ...(request.tenant !== undefined ? [`labels['tenant'] = {tenant:String}`] : []),
    ...(request.tenantOnly ? [`mapContains(labels, 'tenant')`] : []),
  ];
  const rows = await query<AlertRow>(
    `SELECT ${SELECT_COLUMNS} FROM alerts FINAL WHERE ${conditions.join(' AND ')}
     ORDER BY (state = 'firing') DESC, coalesce(fired_at, active_at) DESC, rule, group_key LIMIT {limit:UInt32}`,
    { states, since: request.since, limit: request.limit, ...(request.rule !== undefined ? { rule: request.rule } : {}), ...(request.tenant !== undefined ? { tenant: request.tenant } : {}) },
  );
  return rows.map(fromRow);
}
