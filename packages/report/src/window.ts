/**
 * The report's window: `from`/`to` read exactly like the query API reads them (its `resolveWindow`),
 * so that one pair of parameters means one window everywhere; only the longest window differs.
 */
import { ParameterError, resolveWindow as resolveApiWindow } from '@csbs-errors/api';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A report reads raw events: a month at most, which covers any incident and its run-up. */
export const MAX_REPORT_WINDOW_MS = 31 * DAY_MS;

/** [from, to) in milliseconds since the epoch. */
export interface Window {
  from: number;
  to: number;
}

/** A bad `from` or `to`: `parameter` names it, the message says what is wrong (`from: ...`). */
export { ParameterError as WindowError };

/** The window of `from`/`to` (defaults as in the API: `to` = now, `from` = `to` - 24 h). */
export function resolveWindow(query: { from?: string | undefined; to?: string | undefined }, now: number): Window {
  return resolveApiWindow(query, now, MAX_REPORT_WINDOW_MS);
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
