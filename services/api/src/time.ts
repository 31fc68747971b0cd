/** Time parameters: ISO-8601 instants or relative expressions such as `now`, `now-24h`, `now-15m`. */
const RELATIVE = /^now(?:-(\d+)(s|m|h|d|w))?$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

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

export const MINUTE_MS = 60_000;
export const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;
export const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;
export const iso = (ms: number) => new Date(ms).toISOString();
