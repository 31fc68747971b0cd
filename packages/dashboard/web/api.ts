/**
 * The /v1 client: GET with query parameters, the token from localStorage as a bearer token, and
 * problem+json bodies turned into ApiError. Response shapes are the API's contracts.
 */
const TOKEN_KEY = 'csbs-errors.token';
/** The token when localStorage is not available (kept for the page's lifetime). */
let memoryToken = '';

export function getToken(): string {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lasts as long as the page.
  }
  memoryToken = token;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${status} ${title}${detail ? `: ${detail}` : ''}`);
  }
}

export type Query = Record<string, string | number | Array<string | number> | undefined>;

export async function apiGet<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const token = getToken() || memoryToken;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const qs = params.toString();
  let response: Response;
  try {
    response = await fetch(`${path}${qs ? `?${qs}` : ''}`, { headers, signal: signal ?? null, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'Network error', 'the server did not answer');
  }
  if (!response.ok) {
    let title = response.statusText || 'Error';
    let detail = '';
    try {
      const body = (await response.json()) as { title?: unknown; detail?: unknown; message?: unknown };
      if (typeof body.title === 'string') title = body.title;
      if (typeof body.detail === 'string') detail = body.detail;
      else if (typeof body.message === 'string') detail = body.message;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, title, detail);
  }
  return (await response.json()) as T;
}

export interface GroupKey {
  code?: string;
  status?: number;
  tenant?: string;
  operation?: string;
}

export interface FrequencyGroup extends GroupKey {
  count: number;
  share: number;
  previous_count: number;
  change: number | null;
  first_seen: string;
  last_seen: string;
}

export interface Frequency {
  from: string;
  to: string;
  total: number;
  previous_total: number;
  groups: FrequencyGroup[];
  other?: { count: number; groups: number };
}

export interface Trend {
  from: string;
  to: string;
  interval: string;
  series: Array<{ key: GroupKey; count: number; points: Array<[string, number]> }>;
}

export interface Rate {
  from: string;
  to: string;
  interval: string;
  requests: number;
  errors: number;
  rate: number | null;
  points: Array<{ ts: string; requests: number; errors: number; rate: number | null }>;
}

export interface CatalogRow {
  status: number;
  template: string;
  description: string;
  solution: string;
  unused: boolean;
  count: number;
}

export interface CodeInfo {
  code: string;
  known: boolean;
  rows: CatalogRow[];
  count: number;
  first_seen: string | null;
  last_seen: string | null;
  top_tenants: Array<{ tenant: string; count: number }>;
  top_params: Array<{ params: string[]; count: number }>;
}

export interface Codes {
  from: string;
  to: string;
  codes: CodeInfo[];
}

export interface ErrorEvent {
  ts: string;
  request_id: string;
  tenant: string;
  method: string;
  path: string;
  route: string;
  operation: string;
  status: number;
  code: string;
  message: string;
  params: string[];
  known: boolean;
  catalog_status: number;
  status_mismatch: boolean;
  unused: boolean;
  description: string;
  solution: string;
  gateway: string;
  latency_ms: number | null;
}

export interface Events {
  from: string;
  to: string;
  events: ErrorEvent[];
  next_cursor: string | null;
}
