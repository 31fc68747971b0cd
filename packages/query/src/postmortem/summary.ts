/** The summary: totals of the window and the previous one, distinct counts, and the error rate. */
import type { Summary } from './model.js';
import type { QueryFn } from '../runner.js';
import { eventsWhere, inWindow, requestsWhere } from './sql.js';
import { minuteWindow, previousWindow, type Filters, type Window } from '../window.js';
import { iso } from '../time.js';

interface TotalsRow {
  errors: string;
  previous_errors: string;
  codes: string;
  unknown_codes: string;
  unknown_code_errors: string;
  status_mismatch_errors: string;
  tenants: string;
  operations: string;
}

export const changeOf = (count: number, previous: number): number | null => (previous > 0 ? (count - previous) / previous : null);

export async function querySummary(query: QueryFn, window: Window, filters: Filters): Promise<Summary> {
  const previous = previousWindow(window);
  const scan = eventsWhere({ from: previous.from, to: window.to }, filters);
  const current = inWindow(window, 'c');
  const [totals] = await query<TotalsRow>(
    `SELECT countIf(cur) AS errors, countIf(NOT cur) AS previous_errors,
            uniqExactIf(code, cur) AS codes,
            uniqExactIf(code, cur AND NOT known) AS unknown_codes, countIf(cur AND NOT known) AS unknown_code_errors,
            countIf(cur AND status_mismatch) AS status_mismatch_errors,
            uniqExactIf(tenant, cur) AS tenants, uniqExactIf(operation, cur) AS operations
     FROM (SELECT code, known, status_mismatch, tenant, operation, ${current.sql} AS cur FROM events WHERE ${scan.sql})`,
    { ...scan.params, ...current.params },
  );
  const errors = Number(totals?.errors ?? 0);
  const previousErrors = Number(totals?.previous_errors ?? 0);
  return {
    errors,
    previous_errors: previousErrors,
    change: changeOf(errors, previousErrors),
    codes: Number(totals?.codes ?? 0),
    unknown_codes: Number(totals?.unknown_codes ?? 0),
    unknown_code_errors: Number(totals?.unknown_code_errors ?? 0),
    status_mismatch_errors: Number(totals?.status_mismatch_errors ?? 0),
    tenants: Number(totals?.tenants ?? 0),
    operations: Number(totals?.operations ?? 0),
    requests: await queryRequests(query, window, filters),
  };
}

/** Errors per request over whole minutes; `code` and `status` filter the errors only, as in the API. */
async function queryRequests(query: QueryFn, window: Window, filters: Filters): Promise<Summary['requests']> {
  const minutes = minuteWindow(window);
  const requests = requestsWhere(minutes, filters);
  const errors = eventsWhere(minutes, filters);
  const [row] = await query<{ requests: string; errors: string }>(
    `SELECT (SELECT sum(requests) FROM request_counts_1m WHERE ${requests.sql}) AS requests,
            (SELECT count() FROM events WHERE ${errors.sql}) AS errors`,
    { ...requests.params, ...errors.params },
  );
  const requestCount = Number(row?.requests ?? 0);
  const errorCount = Number(row?.errors ?? 0);
  return {
    window: { from: iso(minutes.from), to: iso(minutes.to) },
    requests: requestCount,
    errors: errorCount,
    rate: requestCount > 0 ? errorCount / requestCount : null,
  };
}
