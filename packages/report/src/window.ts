/**
 * The report's window: `from`/`to` read exactly like the query API reads them (its `parseInstant`),
 * so that one pair of parameters means one window everywhere.
 */
import { parseInstant } from '@csbs-errors/api';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A report reads raw events: a month at most, which covers any incident and its run-up. */
export const MAX_REPORT_WINDOW_MS = 31 * DAY_MS;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/** [from, to) in milliseconds since the epoch. */
export interface Window {
  from: number;
  to: number;
}

/** A bad `from` or `to`: the parameter and what is wrong with it. */
export class WindowError extends Error {
  constructor(
    readonly parameter: 'from' | 'to',
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** The window of `from`/`to` (defaults as in the API: `to` = now, `from` = `to` - 24 h). */
export function resolveWindow(query: { from?: string | undefined; to?: string | undefined }, now: number): Window {
  const to = query.to === undefined ? now : parseInstant(query.to, now);
  if (to === null) throw new WindowError('to', 'expected an ISO-8601 instant or a relative time such as now-1h');
  if (to <= EARLIEST || to > LATEST) throw new WindowError('to', 'must lie between 2000-01-01 and 2100-01-01');
  const from = query.from === undefined ? to - DAY_MS : parseInstant(query.from, now);
  if (from === null) throw new WindowError('from', 'expected an ISO-8601 instant or a relative time such as now-24h');
  if (from < EARLIEST || from >= LATEST) throw new WindowError('from', 'must lie between 2000-01-01 and 2100-01-01');
  if (from >= to) throw new WindowError('from', 'must be before to');
  if (to - from > MAX_REPORT_WINDOW_MS) throw new WindowError('from', 'a report window may span at most 31 days');
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

export const iso = (ms: number): string => new Date(ms).toISOString();
