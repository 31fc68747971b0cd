/**
 * Alerts that fired in the window (or were still firing into it), from the alerter's `alerts`
 * table (migration 0005: one row per episode, newer versions replace older ones, hence FINAL). A
 * store without that table (the alerter never ran on it) gets an empty section that says so.
 */
import type { AlertEntry, AlertsSection } from './model.js';
import type { QueryFn } from '../runner.js';
import type { Filters, Window } from '../window.js';
import { iso } from '../time.js';

const MAX_ALERTS = 100;

interface Row {
  rule: string;
  group_key: string;
  tenant: string;
  severity: string;
  state: string;
  fired_ms: string;
  resolved_ms: string | null;
  peak_count: string;
  peak_ms: string;
}

export async function queryAlerts(query: QueryFn, window: Window, filters: Filters): Promise<AlertsSection> {
  const tables = await query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'alerts'", {});
  if (tables.length === 0) return { available: false, note: 'no alerts table in this store: the alerter has not run against it', items: [] };
  const byTenant = filters.tenant.length > 0;
  let rows: Row[];
  try {
    rows = await query<Row>(
      `SELECT rule, group_key, labels['tenant'] AS tenant, severity, toString(state) AS state,
              toUnixTimestamp64Milli(assumeNotNull(fired_at)) AS fired_ms, toUnixTimestamp64Milli(resolved_at) AS resolved_ms,
              peak_count, toUnixTimestamp64Milli(peak_at) AS peak_ms
       FROM alerts FINAL
       WHERE fired_at IS NOT NULL
         AND fired_at < fromUnixTimestamp64Milli({a_to:Int64}, 'UTC')
         AND (resolved_at IS NULL OR resolved_at >= fromUnixTimestamp64Milli({a_from:Int64}, 'UTC'))
         ${byTenant ? "AND labels['tenant'] IN {a_tenant:Array(String)}" : ''}
       ORDER BY fired_at, rule, group_key
       LIMIT ${MAX_ALERTS + 1}`,
      { a_from: window.from, a_to: window.to, ...(byTenant ? { a_tenant: filters.tenant } : {}) },
    );
  } catch (error) {
    // The table belongs to the alerter: a schema this report does not know must not cost the whole report.
    return { available: false, note: `the alerts table could not be read: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, items: [] };
  }
  const items: AlertEntry[] = rows.slice(0, MAX_ALERTS).map((row) => ({
    rule: row.rule,
    group: row.group_key,
    tenant: row.tenant === '' ? null : row.tenant,
    severity: row.severity,
    state: row.state,
    fired_at: iso(Number(row.fired_ms)),
    resolved_at: row.resolved_ms === null ? null : iso(Number(row.resolved_ms)),
    peak_count: Number(row.peak_count),
    peak_at: iso(Number(row.peak_ms)),
  }));
  const notes = [
    ...(byTenant ? ['alerts over all tenants are left out of a report for chosen tenants'] : []),
    ...(rows.length > MAX_ALERTS ? [`the first ${MAX_ALERTS} alerts only`] : []),
  ];
  return { available: true, items, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) };
}
