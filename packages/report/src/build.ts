/** Builds the postmortem report of a window: every section's reads (@csbs-errors/query), then the report object. */
import { loadDefaultCatalog, type Catalog } from '@csbs-errors/catalog';
import {
  iso,
  queryAlerts,
  queryBreakdown,
  queryCodeCounts,
  queryFirstAndLast,
  queryPeakMinute,
  querySeries,
  queryStatusCounts,
  querySummary,
  queryUnknownCodes,
  type Filters,
  type PostmortemReport,
  type QueryFn,
  type Window,
} from '@csbs-errors/query';
import { compare, statusMismatches, topCodes } from './codes.js';
import { queryResources } from './resources.js';

export interface ReportLimits {
  /** Codes listed in top codes (the rest summed into `other`). */
  codes: number;
  /** Unknown codes listed. */
  unknownCodes: number;
  /** Tenants and operations listed. */
  groups: number;
  /** Values listed per resource kind. */
  resourcesPerKind: number;
  /** Entries per list of the comparison. */
  comparison: number;
}

export const DEFAULT_LIMITS: ReportLimits = { codes: 20, unknownCodes: 20, groups: 10, resourcesPerKind: 10, comparison: 10 };

export interface BuildReportOptions {
  query: QueryFn;
  window: Window;
  filters: Filters;
  catalog?: Catalog;
  limits?: Partial<ReportLimits>;
  /** The report's `generated_at` (tests pin it). */
  now?: () => number;
}

export async function buildReport(options: BuildReportOptions): Promise<PostmortemReport> {
  const { query, window, filters } = options;
  const catalog = options.catalog ?? loadDefaultCatalog();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const [summary, codeCounts, statusCounts, unknownCodes, firstAndLast, peakMinute, series, alerts, tenants, operations, resources] = await Promise.all([
    querySummary(query, window, filters),
    queryCodeCounts(query, window, filters),
    queryStatusCounts(query, window, filters),
    queryUnknownCodes(query, window, filters, limits.unknownCodes),
    queryFirstAndLast(query, window, filters),
    queryPeakMinute(query, window, filters),
    querySeries(query, window, filters),
    queryAlerts(query, window, filters),
    queryBreakdown(query, 'tenant', window, filters, limits.groups),
    queryBreakdown(query, 'operation', window, filters, limits.groups),
    queryResources(query, catalog, window, filters, limits.resourcesPerKind),
  ]);
  return {
    generated_at: iso((options.now ?? Date.now)()),
    window: { from: iso(window.from), to: iso(window.to) },
    filters,
    summary,
    timeline: { first_error: firstAndLast.first, peak_minute: peakMinute, last_error: firstAndLast.last, alerts, series },
    top_codes: topCodes(codeCounts, statusCounts, catalog, summary.errors, limits.codes),
    unknown_codes: unknownCodes,
    status_mismatches: statusMismatches(statusCounts),
    tenants,
    operations,
    resources,
    comparison: compare(codeCounts, window, summary.errors, summary.previous_errors, limits.comparison),
  };
}
