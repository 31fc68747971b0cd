/**
 * The postmortem report as data. Field names follow the query API where they mean the same thing
 * (`count`, `share`, `previous_count`, `change`, `first_seen`, `last_seen`): the totals and the code
 * counts equal what GET /v1/errors/frequency answers for the same window and filters.
 * Times are ISO-8601 UTC with milliseconds.
 */
import type { Filters } from '../window.js';

export interface ReportWindow {
  from: string;
  to: string;
}

export interface Summary {
  /** Errors in the window (= frequency `total`). */
  errors: number;
  /** Errors in the previous window of the same length (= frequency `previous_total`). */
  previous_errors: number;
  /** (errors - previous_errors) / previous_errors; null when previous_errors is 0. */
  change: number | null;
  codes: number;
  unknown_codes: number;
  unknown_code_errors: number;
  status_mismatch_errors: number;
  tenants: number;
  operations: number;
  /**
   * Requests to the service and the errors among them over the window widened to whole minutes
   * (requests are counted per minute), as GET /v1/errors/rate answers it.
   */
  requests: { window: ReportWindow; requests: number; errors: number; rate: number | null };
}

export interface EventRef {
  ts: string;
  code: string;
  status: number;
  tenant: string;
  operation: string;
  message: string;
}

export interface PeakMinute {
  minute: string;
  errors: number;
  top_code: string;
  top_code_errors: number;
}

/** An episode of an alert rule (see the alerter's `alerts` table). */
export interface AlertEntry {
  rule: string;
  /** `tenant=...` for alerts grouped by tenant, '' for an overall one. */
  group: string;
  tenant: string | null;
  severity: string;
  /** firing, resolved (or cancelled). */
  state: string;
  fired_at: string;
  resolved_at: string | null;
  /** The most errors in one evaluation of the episode, and when. */
  peak_count: number;
  peak_at: string;
}

export interface AlertsSection {
  /** False when the store has no alerts table (or it could not be read): see `note`. */
  available: boolean;
  note?: string;
  items: AlertEntry[];
}

export interface SeriesPoint {
  ts: string;
  errors: number;
}

export interface Timeline {
  first_error: EventRef | null;
  peak_minute: PeakMinute | null;
  last_error: EventRef | null;
  alerts: AlertsSection;
  /** Errors per bucket over the window, gap-filled with zeros. */
  series: { interval: string; points: SeriesPoint[] };
}

export interface CatalogEntry {
  status: number;
  template: string;
  description: string;
  solution: string;
  unused: boolean;
}

export interface CodeEntry {
  code: string;
  count: number;
  share: number;
  previous_count: number;
  change: number | null;
  first_seen: string;
  last_seen: string;
  known: boolean;
  statuses: Array<{ status: number; count: number }>;
  /** The catalog rows the events were matched to (two for CSBS.9009 when both occurred). */
  catalog: CatalogEntry[];
}

export interface UnknownCode {
  code: string;
  count: number;
  statuses: number[];
  sample_message: string;
  first_seen: string;
  last_seen: string;
}

export interface StatusMismatch {
  code: string;
  status: number;
  catalog_status: number;
  count: number;
}

export interface BreakdownEntry {
  count: number;
  share: number;
  codes: number;
  top_code: string;
  top_code_count: number;
}

export interface Breakdown<K extends string> {
  entries: Array<BreakdownEntry & Record<K, string>>;
  /** Groups beyond the limit, summed. */
  other: { count: number; groups: number } | null;
}

export interface ResourceEntry {
  /** What the template names at that place: server, volume, resource, checkpoint item, ... */
  kind: string;
  value: string;
  count: number;
  codes: string[];
}

export interface ResourceKind {
  kind: string;
  /** Distinct values of the kind and the events that named one (beyond those listed too). */
  values: number;
  count: number;
  top: ResourceEntry[];
}

export interface Comparison {
  previous_window: ReportWindow;
  previous_errors: number;
  change: number | null;
  new_codes: Array<{ code: string; count: number }>;
  gone_codes: Array<{ code: string; previous_count: number }>;
  /** Codes with the largest increase in events, largest first. */
  increases: Array<{ code: string; count: number; previous_count: number; change: number | null }>;
}

export interface PostmortemReport {
  generated_at: string;
  window: ReportWindow;
  filters: Filters;
  summary: Summary;
  timeline: Timeline;
  top_codes: { codes: CodeEntry[]; other: { count: number; codes: number } | null };
  unknown_codes: UnknownCode[];
  status_mismatches: StatusMismatch[];
  tenants: Breakdown<'tenant'>;
  operations: Breakdown<'operation'>;
  resources: ResourceKind[];
  comparison: Comparison;
}
