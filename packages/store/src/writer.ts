/**
 * Writes one ingest batch. Each insert carries a deduplication token derived from the batch's
 * Kafka offset range, so that writing the same batch again (a retry, or a replay after a crash)
 * stores nothing twice: in the tables and in the rollups fed by materialized views.
 *
 * Rows are inserted at most PARTITIONS_PER_INSERT table partitions (days, `toYYYYMMDD`) at a time, so
 * that a batch whose records span many days never meets ClickHouse's `max_partitions_per_insert_block`. Rows the store refuses
 * for good (see rejection.ts) are not retried: the insert is split in halves until the refused rows
 * are found, and those come back to the caller; any other error is thrown (an outage: retry).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { ErrorEvent } from '@csbs-errors/extract';
import { isRowsRejection } from './rejection.js';

export interface StoredEvent extends ErrorEvent {
  /** True when `message` was cut to the stored maximum (absent: false). */
  message_truncated?: boolean;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  source_index: number;
}

export interface RequestCountRow {
  /** Start of the minute, ISO-8601 UTC. */
  minute: string;
  tenant: string;
  operation: string;
  status: number;
  requests: number;
}

export interface StoredBatch {
  /** Identifies the batch's content for deduplication: same token, same rows. */
  token: string;
  events: StoredEvent[];
  requestCounts: RequestCountRow[];
}

export interface RefusedRows<T> {
  rows: T[];
  /** The store's answer (ClickHouse error type and message). */
  error: string;
}

export interface WriteResult {
  /** Events the store refused for good: the caller dead-letters them. */
  refusedEvents: Array<RefusedRows<StoredEvent>>;
  /** Request-count rows refused for good (aggregates, not records: counted and logged). */
  refusedRequestCounts: Array<RefusedRows<RequestCountRow>>;
}

/**
 * Days (table partitions) one insert touches at most: well under ClickHouse's default
 * `max_partitions_per_insert_block` (100), which refuses the whole insert above it.
 */
const PARTITIONS_PER_INSERT = 50;

/** Inserts per refused group at most, while looking for the refused rows (halving). */
const MAX_SPLIT_INSERTS = 256;

/** A table and how its rows are sent: objects (JSONEachRow), or arrays in `columns` order (JSONCompactEachRow). */
interface Target<T> {
  table: string;
  compact?: { columns: [string, ...string[]]; row: (row: T) => unknown[] };
}

const EVENTS: Target<StoredEvent> = { table: 'events' };
/**
 * Request counts are most of a batch's rows (nearly one per record when traffic spreads over many
 * tenants), and the engine parses arrays faster than objects: 4.3 against 6.5 µs of CPU per row
 * (docs/performance.md).
 */
const REQUEST_COUNTS: Target<RequestCountRow> = {
  table: 'request_counts_1m',
  compact: { columns: ['minute', 'tenant', 'operation', 'status', 'requests'], row: (r) => [r.minute, r.tenant, r.operation, r.status, r.requests] },
};

export async function writeBatch(client: ClickHouseClient, batch: StoredBatch): Promise<WriteResult> {
  const result: WriteResult = { refusedEvents: [], refusedRequestCounts: [] };
  // Requests first: a reader never sees more errors than requests for a minute that is complete.
  for (const [token, rows] of byDays(batch.requestCounts, (row) => row.minute, `${batch.token}:requests`)) {
    result.refusedRequestCounts.push(...(await insertFindingRefused(client, REQUEST_COUNTS, rows, token, { left: MAX_SPLIT_INSERTS })));
  }
  for (const [token, rows] of byDays(batch.events, (event) => event.ts, `${batch.token}:events`)) {
    result.refusedEvents.push(...(await insertFindingRefused(client, EVENTS, rows, token, { left: MAX_SPLIT_INSERTS })));
  }
  return result;
}

/**
 * The rows in groups of at most PARTITIONS_PER_INSERT UTC days (the tables' partition key), in
 * order of day, each group with its token. A batch within one group keeps the batch token as it is
 * (as before the split); a larger one gets `TOKEN:YYYYMMDD` (its first day) per group. Both are
 * fixed by the batch's rows, so a rebuilt batch carries the same tokens (docs/exactly-once.md).
 */
function byDays<T>(rows: T[], ts: (row: T) => string, token: string): Array<[string, T[]]> {
  const days = new Map<string, T[]>();
  for (const row of rows) {
    const day = ts(row).slice(0, 10).replaceAll('-', '');
    const group = days.get(day);
    if (group) group.push(row);
    else days.set(day, [row]);
  }
  const sorted = [...days.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length <= PARTITIONS_PER_INSERT) return sorted.length === 0 ? [] : [[token, sorted.flatMap(([, group]) => group)]];
  const groups: Array<[string, T[]]> = [];
  for (let i = 0; i < sorted.length; i += PARTITIONS_PER_INSERT) {
    const part = sorted.slice(i, i + PARTITIONS_PER_INSERT);
    groups.push([`${token}:${part[0]![0]}`, part.flatMap(([, group]) => group)]);
  }
  return groups;
}

/**
 * Inserts `rows`; when the store refuses them for good, inserts each half under `TOKEN/0` and
 * `TOKEN/1` (deterministic: the same rows are split the same way on a replay) until the refused
 * rows are single, or the budget of inserts is spent (then a refused part is returned whole).
 */
async function insertFindingRefused<T>(client: ClickHouseClient, target: Target<T>, rows: T[], token: string, budget: { left: number }): Promise<Array<RefusedRows<T>>> {
  try {
    const clickhouse_settings = { insert_deduplication_token: token };
    const { table, compact } = target;
    if (compact) await client.insert({ table, values: rows.map(compact.row), format: 'JSONCompactEachRow', columns: compact.columns, clickhouse_settings });
    else await client.insert({ table, values: rows, format: 'JSONEachRow', clickhouse_settings });
    return [];
  } catch (error) {
    if (!isRowsRejection(error)) throw error;
    if (rows.length === 1 || budget.left < 2) return [{ rows, error: describe(error) }];
    budget.left -= 2;
    const half = Math.ceil(rows.length / 2);
    return [
      ...(await insertFindingRefused(client, target, rows.slice(0, half), `${token}/0`, budget)),
      ...(await insertFindingRefused(client, target, rows.slice(half), `${token}/1`, budget)),
    ];
  }
}

function describe(error: unknown): string {
  const { type } = error as { type?: unknown };
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  return `${typeof type === 'string' ? `${type}: ` : ''}${message}`.slice(0, 500);
}
