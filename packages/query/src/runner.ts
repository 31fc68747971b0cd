/**
 * How every read runs: one function that takes a bound SELECT and returns its rows, with a time
 * limit and a row cap, optionally behind a short-lived answer cache.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import { QueryLimitExceeded } from './errors.js';

export type QueryFn = <T>(sql: string, params: Record<string, unknown>) => Promise<T[]>;

export interface QueryLimits {
  /** Seconds a query may run. */
  maxExecutionSeconds: number;
  /** Rows a query may return (every read also caps its answer with LIMIT, well under this). */
  maxResultRows: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxExecutionSeconds: 10, maxResultRows: 200_000 };

/** Limits of one-shot readers (the report command): a report reads raw events and may take longer. */
export const BATCH_QUERY_LIMITS: QueryLimits = { maxExecutionSeconds: 60, maxResultRows: 10_000_000 };

/**
 * The limits travel in each query's own SETTINGS clause, not as client settings: the embedded
 * engine (chdb) applies client settings with SET on its one session, where they would stay and
 * reach every later query of the process, the ingest worker's included. Every read is a single
 * top-level SELECT (unions only inside FROM), so the clause applies to all of it.
 */
export function boundQuery(store: ClickHouseClient, limits: QueryLimits = DEFAULT_QUERY_LIMITS): QueryFn {
  const seconds = Number(limits.maxExecutionSeconds);
  const rows = Math.floor(Number(limits.maxResultRows));
  if (!(seconds > 0) || !(rows > 0)) throw new Error('query limits must be positive numbers');
  const settings = `\nSETTINGS max_execution_time = ${seconds}, max_result_rows = ${rows}, result_overflow_mode = 'throw'`;
  return async <T>(sql: string, params: Record<string, unknown>): Promise<T[]> => {
    try {
      const result = await store.query({ query: `${sql}${settings}`, query_params: params, format: 'JSONEachRow' });
      return await result.json<T>();
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (type === 'TIMEOUT_EXCEEDED') throw new QueryLimitExceeded('time', `the query ran past its time limit of ${seconds} s; narrow the window or the filters`);
      if (type === 'TOO_MANY_ROWS_OR_BYTES') throw new QueryLimitExceeded('rows', 'the answer would exceed the row cap; narrow the window or the filters, or lower limit');
      throw error;
    }
  };
}

export interface QueryCache {
  /** How long an answer is reused for the same SQL and parameters. */
  ttlMs: number;
  /** Answers kept at most (oldest dropped first). */
  maxEntries: number;
}

export const DEFAULT_QUERY_CACHE: QueryCache = { ttlMs: 1_000, maxEntries: 500 };

/**
 * A short-lived cache in front of the store, keyed by the SQL text and its bound parameters (which
 * hold the window and the caller's tenant, so one tenant never sees another's answer). Identical
 * queries in flight at the same time share one execution; failures are not kept. With relative
 * windows resolved to the second, a dashboard polled by many clients costs one query per second.
 */
export function cachedQuery(run: QueryFn, cache: QueryCache): QueryFn {
  const entries = new Map<string, { expires: number; value: Promise<unknown[]> }>();
  return <T>(sql: string, params: Record<string, unknown>): Promise<T[]> => {
    const key = `${sql}\u0000${JSON.stringify(params)}`;
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && hit.expires > now) return hit.value as Promise<T[]>;
    if (hit) entries.delete(key);
    const value = run<T>(sql, params);
    entries.set(key, { expires: now + cache.ttlMs, value });
    value.catch(() => entries.delete(key));
    while (entries.size > cache.maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
    return value;
  };
}
