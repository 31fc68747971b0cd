/**
 * The events themselves, newest first, a page at a time: keyset pagination on (ts, source_topic,
 * source_partition, source_offset, source_index) descending, so that pages stay stable while new
 * events arrive.
 */
import { DT, filterSql } from '../counts.js';
import type { Filters, Window } from '../window.js';
import type { QueryFn } from '../runner.js';

/** The sort key of an event: a page continues strictly below the last one's. */
export interface EventKey {
  ts: number;
  topic: string;
  partition: number;
  offset: string;
  index: number;
}

export interface StoredEventRow {
  ts_ms: string;
  request_id: string;
  tenant: string;
  method: string;
  path: string;
  route: string;
  operation: string;
  status: number;
  code: string;
  message: string;
  message_truncated: boolean | number;
  params: string[];
  known: boolean | number;
  catalog_status: number;
  status_mismatch: boolean | number;
  unused: boolean | number;
  description: string;
  solution: string;
  gateway: string;
  latency_ms: number | null;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  source_index: number;
}

export interface EventsPage {
  events: StoredEventRow[];
  /** The key to continue after; undefined on the last page. */
  next?: EventKey;
}

export async function readEventsPage(query: QueryFn, request: { window: Window; filters: Filters; limit: number; after?: EventKey | undefined; maxBytes?: number }): Promise<EventsPage> {
  const { window, filters, limit, after, maxBytes = Infinity } = request;
  const where = filterSql(filters, 'f');
  const params: Record<string, unknown> = { ...where.params, from: window.from, to: window.to, limit: limit + 1 };
  let keyset = '';
  if (after) {
    keyset = `AND ts <= ${DT('c_ts')}
      AND (ts, source_topic, source_partition, source_offset, source_index) < (${DT('c_ts')}, {c_topic:String}, {c_partition:UInt32}, {c_offset:UInt64}, {c_index:UInt32})`;
    Object.assign(params, { c_ts: after.ts, c_topic: after.topic, c_partition: after.partition, c_offset: after.offset, c_index: after.index });
  }
  const rows = await query<StoredEventRow>(
    `SELECT toUnixTimestamp64Milli(ts) AS ts_ms, request_id, tenant, method, path, route, operation, status, code, message, message_truncated, params,
            known, catalog_status, status_mismatch, unused, description, solution, gateway, latency_ms,
            source_topic, source_partition, source_offset, source_index
     FROM events
     WHERE ts >= ${DT('from')} AND ts < ${DT('to')} AND ${where.sql} ${keyset}
     ORDER BY ts DESC, source_topic DESC, source_partition DESC, source_offset DESC, source_index DESC
     LIMIT {limit:UInt32}`,
    params,
  );
  const events = withinBytes(rows.slice(0, limit), maxBytes);
  const last = events[events.length - 1];
  if (rows.length <= events.length || !last) return { events };
  return {
    events,
    next: { ts: Number(last.ts_ms), topic: last.source_topic, partition: Number(last.source_partition), offset: String(last.source_offset), index: Number(last.source_index) },
  };
}

/** The first rows whose JSON adds up to at most `budget` bytes (the first row always). */
function withinBytes<T>(rows: T[], budget: number): T[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += Buffer.byteLength(JSON.stringify(rows[i]));
    if (i > 0 && bytes > budget) return rows.slice(0, i);
  }
  return rows;
}

/** Events stored from one source topic (a replayed file has its own): one column is scanned. */
export async function countEventsFromTopic(query: QueryFn, topic: string): Promise<number> {
  const [row] = await query<{ n: string }>('SELECT count() AS n FROM events WHERE source_topic = {topic:String}', { topic });
  return Number(row?.n ?? 0);
}
