/**
 * How the report reads the store: one function that runs a bound SELECT and returns its rows. The
 * API passes its own (with its time limit, row cap and problem answers); elsewhere `clientQuery`
 * wraps a ClickHouse client.
 */
import { boundQuery } from '@csbs-errors/api';
import type { ClickHouseClient } from '@csbs-errors/store';

export type QueryFn = <T>(sql: string, params: Record<string, unknown>) => Promise<T[]>;

/** Runs queries on `client` the way the API does (limits in each query's SETTINGS clause), with a longer time limit. */
export function clientQuery(client: ClickHouseClient, maxExecutionSeconds = 60): QueryFn {
  return boundQuery(client, { maxExecutionSeconds, maxResultRows: 10_000_000 });
}
