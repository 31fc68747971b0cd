/**
 * Where the page is, all in the URL hash so that every view can be bookmarked and shared:
 *   #/?range=24h                                      overview, last 24 hours (the default)
 *   #/?from=2026-11-14T00:00:00.000Z&to=...           overview, a fixed window
 *   #/code/CSBS.9999?range=7d&tenant=t-alpha          one code, filtered
 * Filters (tenant, status, operation, code; repeatable) go to every API request. Opened without a
 * window, the page picks the smallest preset up to the default that covers the data (fittingPreset).
 */
export const PRESETS = [
  { id: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;
export const DEFAULT_PRESET = '24h';

export const FILTER_FIELDS = ['tenant', 'status', 'operation', 'code'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export type Filters = Record<FilterField, string[]>;

export interface Route {
  view: 'overview' | 'code';
  code?: string;
  /** A preset id, or undefined for the fixed window from/to. */
  preset?: string;
  from?: string;
  to?: string;
  filters: Filters;
}

const emptyFilters = (): Filters => ({ tenant: [], status: [], operation: [], code: [] });

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '/', query = ''] = text.split('?', 2) as [string?, string?];
  const params = new URLSearchParams(query);
  const filters = emptyFilters();
  for (const field of FILTER_FIELDS) filters[field] = params.getAll(field).filter((v) => v !== '');
  const route: Route = { view: 'overview', filters };
  const codeMatch = /^\/code\/(.+)$/.exec(path);
  if (codeMatch?.[1]) {
    route.view = 'code';
    route.code = decodeURIComponent(codeMatch[1]);
  }
  const from = params.get('from');
  const to = params.get('to');
  if (from && to && !Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to)) && Date.parse(from) < Date.parse(to)) {
    route.from = new Date(Date.parse(from)).toISOString();
    route.to = new Date(Date.parse(to)).toISOString();
  } else {
    const preset = params.get('range');
    route.preset = PRESETS.some((p) => p.id === preset) ? (preset as string) : DEFAULT_PRESET;
  }
  return route;
}

/** Whether the URL names a window (a range, or from and to): then it is the user's, never replaced. */
export function namesWindow(hash: string): boolean {
  const params = new URLSearchParams(hash.replace(/^#/, '').split('?', 2)[1] ?? '');
  return params.has('range') || (params.has('from') && params.has('to'));
}

/**
 * The smallest preset, up to the default, whose window reaches back to the first data: a store a few
 * minutes old shows those minutes over 15 minutes, not squeezed at the edge of 24 hours. No data, or
 * data older than the default window: the default.
 */
export function fittingPreset(firstSeen: number | undefined, now = Date.now()): string {
  if (firstSeen === undefined) return DEFAULT_PRESET;
  const end = PRESETS.findIndex((p) => p.id === DEFAULT_PRESET);
  const fits = PRESETS.slice(0, end + 1).find((p) => resolveWindow({ view: 'overview', preset: p.id, filters: emptyFilters() }, now).from <= firstSeen);
  return fits?.id ?? DEFAULT_PRESET;
}

export function formatHash(route: Route): string {
  const params = new URLSearchParams();
  if (route.preset !== undefined) params.set('range', route.preset);
  else if (route.from && route.to) {
    params.set('from', route.from);
    params.set('to', route.to);
  }
  for (const field of FILTER_FIELDS) for (const value of route.filters[field]) params.append(field, value);
  const path = route.view === 'code' && route.code ? `/code/${encodeURIComponent(route.code)}` : '/';
  const query = params.toString();
  return `#${path}${query ? `?${query}` : ''}`;
}

/** A link to another view that keeps the window and the filters (minus `drop`). */
export function linkTo(route: Route, change: Partial<Route> & { addFilter?: [FilterField, string]; drop?: FilterField[] }): string {
  const filters = emptyFilters();
  for (const field of FILTER_FIELDS) filters[field] = change.drop?.includes(field) ? [] : [...route.filters[field]];
  if (change.addFilter) {
    const [field, value] = change.addFilter;
    if (!filters[field].includes(value)) filters[field].push(value);
  }
  const next: Route = { ...route, ...change, filters };
  if (next.view !== 'code') delete next.code;
  return formatHash(next);
}

export interface Window {
  from: number;
  to: number;
}

const MINUTE = 60_000;

/**
 * The window in milliseconds. A preset ends at the next whole minute, so that every panel (the
 * rate's minute buckets included) reads exactly the same window, resolved once per refresh.
 */
export function resolveWindow(route: Route, now = Date.now()): Window {
  if (route.preset === undefined && route.from && route.to) return { from: Date.parse(route.from), to: Date.parse(route.to) };
  const preset = PRESETS.find((p) => p.id === route.preset) ?? PRESETS.find((p) => p.id === DEFAULT_PRESET)!;
  const to = Math.ceil(now / MINUTE) * MINUTE;
  return { from: to - preset.ms, to };
}

/** The API's query parameters for a window and the route's filters. */
export function scopeParams(win: Window, filters: Filters, omit: FilterField[] = []): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = { from: new Date(win.from).toISOString(), to: new Date(win.to).toISOString() };
  for (const field of FILTER_FIELDS) if (!omit.includes(field) && filters[field].length > 0) params[field] = filters[field];
  return params;
}
