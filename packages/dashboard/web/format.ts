/** How numbers and times are shown. Counts are never rounded: they are the API's, with separators. */
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const fmtInt = (n: number) => integer.format(n);

/** A share (0..1) as a percentage with one decimal; tiny non-zero shares do not read as 0. */
export function fmtShare(share: number): string {
  if (share > 0 && share < 0.0005) return '<0.1%';
  return `${(share * 100).toFixed(1)}%`;
}

/** An error rate (errors / requests): two decimals, more for small rates. */
export function fmtRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '–';
  const pct = rate * 100;
  if (pct === 0) return '0%';
  if (pct < 0.01) return `${pct.toPrecision(2)}%`;
  return `${pct.toFixed(2)}%`;
}

/** Change against the previous window: "+25.0%", "−10.0%", "new" (nothing before), "±0%". */
export function fmtChange(change: number | null): string {
  if (change === null) return 'new';
  if (change === 0) return '±0%';
  const pct = Math.abs(change * 100);
  const text = pct >= 1000 ? `${Math.round(pct / 100) / 10}k%` : `${pct.toFixed(pct < 10 ? 1 : 0)}%`;
  return `${change > 0 ? '+' : '−'}${text}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO instant → "2026-11-20 14:05:09" (UTC). */
export function fmtTime(iso: string | number | null | undefined, seconds = true): string {
  if (iso === null || iso === undefined) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${date} ${time}`;
}

/** ISO instant with milliseconds, for tooltips. */
export const fmtExact = (iso: string) => iso.replace('T', ' ').replace('Z', ' UTC');

/** A window's length in words: "7 days", "24 hours", "15 minutes". */
export function fmtDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${hours.toFixed(1)} hours` : `${Math.round(ms / 1000)} seconds`;
}

export const INTERVAL_WORDS: Record<string, string> = { '1m': '1 minute', '5m': '5 minutes', '15m': '15 minutes', '1h': '1 hour', '6h': '6 hours', '1d': '1 day' };
