/**
 * Time parameters: ISO-8601 instants or relative expressions such as `now`, `now-24h`, `now-15m`,
 * read the same way by every parameter that takes a time (from, to, since, ...).
 */
import { InvalidParameter } from './errors.js';

const RELATIVE = /^now(?:-(\d{1,15})(s|m|h|d|w))?$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/** Instants a time parameter may name: far enough for any store, near enough for every engine type. */
export const EARLIEST_MS = Date.UTC(2000, 0, 1);
export const LATEST_MS = Date.UTC(2100, 0, 1);

/** Milliseconds since the epoch, or null when the text is neither ISO-8601 nor relative. */
export function parseInstant(text: string, now: number): number | null {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, amount, unit] = relative;
    return amount === undefined || unit === undefined ? now : now - Number(amount) * (UNIT_MS[unit] ?? 0);
  }
  if (!ISO.test(text)) return null;
  // An instant without an offset is read as UTC, not as the server's local time.
  const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const ms = Date.parse(hasOffset ? text : `${text.length === 10 ? `${text}T00:00:00` : text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The time parameter `parameter`, or an InvalidParameter naming it: unreadable, or outside
 * [2000-01-01, 2100-01-01] (so that `now-999999999999w` is a bad parameter, never a failed query).
 */
export function parseTimeParameter(parameter: string, text: string, now: number): number {
  const ms = parseInstant(text, now);
  if (ms === null) throw new InvalidParameter(parameter, 'expected an ISO-8601 instant or a relative time such as now-1h');
  if (!Number.isFinite(ms) || ms < EARLIEST_MS || ms > LATEST_MS) throw new InvalidParameter(parameter, 'must lie between 2000-01-01 and 2100-01-01');
  return ms;
}

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;
export const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;
export const iso = (ms: number) => new Date(ms).toISOString();
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Bucket widths of trend and rate series. Buckets are aligned to the epoch, i.e. to UTC midnight. */
export const INTERVALS = { '1m': MINUTE_MS, '5m': 5 * MINUTE_MS, '15m': 15 * MINUTE_MS, '1h': HOUR_MS, '6h': 6 * HOUR_MS, '1d': DAY_MS } as const;
export type IntervalName = keyof typeof INTERVALS;
export const INTERVAL_NAMES = Object.keys(INTERVALS) as IntervalName[];

/** `auto` picks the finest interval that keeps a series at or under this many buckets. */
export const AUTO_TARGET_BUCKETS = 300;

/** Number of buckets of width `step` that the window [from, to) touches. */
export function bucketCount(from: number, to: number, step: number): number {
  return (floorTo(to - 1, step) - floorTo(from, step)) / step + 1;
}

export function autoInterval(from: number, to: number): IntervalName {
  for (const name of INTERVAL_NAMES) if (bucketCount(from, to, INTERVALS[name]) <= AUTO_TARGET_BUCKETS) return name;
  return '1d';
}

/** Buckets per series that one answer may hold. */
export const MAX_BUCKETS = 2_000;

export interface ResolvedInterval {
  name: IntervalName;
  step: number;
  buckets: number;
}

/** The interval of a series over [from, to) (`auto`: see autoInterval), or an InvalidParameter naming `interval`. */
export function resolveInterval(name: IntervalName | 'auto', from: number, to: number): ResolvedInterval {
  const resolved = name === 'auto' ? autoInterval(from, to) : name;
  const step = INTERVALS[resolved];
  const buckets = bucketCount(from, to, step);
  if (buckets > MAX_BUCKETS) throw new InvalidParameter('interval', `${resolved} gives ${buckets} buckets for this window; at most ${MAX_BUCKETS}: choose a wider interval or a shorter window`);
  return { name: resolved, step, buckets };
}
