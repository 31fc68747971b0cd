/** The timeline: first and last error, the busiest minute, and errors per bucket over the window. */
import type { EventRef, PeakMinute, SeriesPoint } from './model.js';
import type { QueryFn } from '../runner.js';
import { eventsWhere } from './sql.js';
import type { Filters, Window } from '../window.js';
import { DAY_MS, INTERVALS, INTERVAL_NAMES, bucketCount, iso } from '../time.js';

interface EventRow {
  ts_ms: string;
  code: string;
  status: number;
  tenant: string;
  operation: string;
  message: string;
}

/** Ties on the time are broken by where the event came from, so the answer is the same every time. */
const ORDER = 'ts, source_topic, source_partition, source_offset, source_index';

export async function queryFirstAndLast(query: QueryFn, window: Window, filters: Filters): Promise<{ first: EventRef | null; last: EventRef | null }> {
  const where = eventsWhere(window, filters);
  const select = `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, code, status, tenant, operation, message FROM events WHERE ${where.sql}`;
  const descending = ORDER.split(', ').map((column) => `${column} DESC`).join(', ');
  const [first, last] = await Promise.all([
    query<EventRow>(`${select} ORDER BY ${ORDER} LIMIT 1`, where.params),
    query<EventRow>(`${select} ORDER BY ${descending} LIMIT 1`, where.params),
  ]);
  return { first: eventRef(first[0]), last: eventRef(last[0]) };
}

function eventRef(row: EventRow | undefined): EventRef | null {
  if (row === undefined) return null;
  return { ts: iso(Number(row.ts_ms)), code: row.code, status: Number(row.status), tenant: row.tenant, operation: row.operation, message: row.message };
}

export async function queryPeakMinute(query: QueryFn, window: Window, filters: Filters): Promise<PeakMinute | null> {
  const where = eventsWhere(window, filters);
  const [row] = await query<{ minute_s: string; errors: string; top_code: string; top_code_errors: string }>(
    `SELECT toUnixTimestamp(minute) AS minute_s, sum(n) AS errors, argMin(code, (-toInt64(n), code)) AS top_code, max(n) AS top_code_errors
     FROM (SELECT toStartOfMinute(ts) AS minute, code, count() AS n FROM events WHERE ${where.sql} GROUP BY minute, code)
     GROUP BY minute
     ORDER BY errors DESC, minute
     LIMIT 1`,
    where.params,
  );
  if (row === undefined) return null;
  return { minute: iso(Number(row.minute_s) * 1000), errors: Number(row.errors), top_code: row.top_code, top_code_errors: Number(row.top_code_errors) };
}

/** The report's series: the finest of the API's intervals (finest first) that keeps it at or under MAX_POINTS buckets. */
const MAX_POINTS = 72;

export function seriesInterval(window: Window): [string, number] {
  for (const name of INTERVAL_NAMES) {
    const step = INTERVALS[name];
    if (bucketCount(window.from, window.to, step) <= MAX_POINTS) return [name, step];
  }
  return ['1d', DAY_MS];
}

export async function querySeries(query: QueryFn, window: Window, filters: Filters): Promise<{ interval: string; points: SeriesPoint[] }> {
  const [name, step] = seriesInterval(window);
  const where = eventsWhere(window, filters);
  const rows = await query<{ bucket: string; errors: string }>(
    `SELECT intDiv(toUnixTimestamp(ts), {step:UInt32}) * {step:UInt32} AS bucket, count() AS errors FROM events WHERE ${where.sql} GROUP BY bucket`,
    { ...where.params, step: step / 1000 },
  );
  const first = Math.floor(window.from / step) * step;
  const points: SeriesPoint[] = [];
  for (let at = first; at < window.to; at += step) points.push({ ts: iso(at), errors: 0 });
  for (const row of rows) {
    const point = points[(Number(row.bucket) * 1000 - first) / step];
    if (point) point.errors += Number(row.errors);
  }
  return { interval: name, points };
}
