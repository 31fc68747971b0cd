/**
 * How the report reads the store: one function that runs a bound SELECT and returns its rows. The
 * API passes its own (with its time limit, row cap and problem answers); elsewhere `clientQuery`
 * wraps a ClickHouse client.
 */
import type { ClickHouseClient } from '@csbs-errors/store';

export type QueryFn = <T>(sql: string, params: Record<string, unknown>) => Promise<T[]>;

/**
 * Runs queries on `client` with a time limit. The limit travels in the query's SETTINGS clause: the
 * embedded engine applies client settings to its one session, where they would outlive the query.
 */
export function clientQuery(client: ClickHouseClient, maxExecutionSeconds = 60): QueryFn {
  const settings = `\nSETTINGS max_execution_time = ${Math.max(1, Math.floor(maxExecutionSeconds))}`;
  return async <T>(sql: string, params: Record<string, unknown>): Promise<T[]> => {
    const result = await client.query({ query: `${sql}${settings}`, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  };
}
