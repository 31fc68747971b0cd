/**
 * Windows [from, to) and the filters every read takes (tenant, code, status, operation; each a list,
 * empty = all). One pair of `from`/`to` parameters means one window everywhere: the API's routes,
 * the postmortem report and the CLI resolve it here; only the longest window allowed differs.
 */
import { DAY_MS, MINUTE_MS, parseTimeParameter } from './time.js';
import { InvalidParameter } from './errors.js';

export interface Window {
  /** Milliseconds since the epoch, inclusive. */
  from: number;
  /** Milliseconds since the epoch, exclusive. */
  to: number;
}

export interface Filters {
  tenant: string[];
  code: string[];
  status: number[];
  operation: string[];
}

export const NO_FILTERS: Filters = { tenant: [], code: [], status: [], operation: [] };

/** The longest window of the count endpoints (rollups), and of a report (raw events). */
export const MAX_WINDOW_MS = 400 * DAY_MS;
export const MAX_REPORT_WINDOW_MS = 31 * DAY_MS;

/** The window of `from`/`to` (default: `to` = now, `from` = `to` - 24 h), or an InvalidParameter naming the bad one. */
export function resolveWindow(query: { from?: string | undefined; to?: string | undefined }, now = Date.now(), maxWindowMs = MAX_WINDOW_MS): Window {
  const to = query.to === undefined ? now : parseTimeParameter('to', query.to, now);
  const from = query.from === undefined ? to - DAY_MS : parseTimeParameter('from', query.from, now);
  if (from >= to) throw new InvalidParameter('from', 'must be before to');
  if (to - from > maxWindowMs) throw new InvalidParameter('from', `the window may span at most ${maxWindowMs / DAY_MS} days`);
  return { from, to };
}

/** The window of the same length that ends where this one starts. */
export function previousWindow(window: Window): Window {
  return { from: window.from - (window.to - window.from), to: window.from };
}

/** The window widened to whole minutes: request counts exist per minute only. */
export function minuteWindow(window: Window): Window {
  return { from: Math.floor(window.from / MINUTE_MS) * MINUTE_MS, to: Math.ceil(window.to / MINUTE_MS) * MINUTE_MS };
}
