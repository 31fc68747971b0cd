import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import type { ApiToken } from '@csbs-errors/config';

export interface ApiDeps {
  store: ClickHouseClient;
  /** Runs a read query with bound parameters, a time limit and a row cap. */
  query<T>(sql: string, params: Record<string, unknown>): Promise<T[]>;
  registry: Registry;
  logger: Logger;
  tokens: ApiToken[];
}

/** Each API query may run this long and read at most this many result rows. */
export const QUERY_LIMITS = { max_execution_time: 10, max_result_rows: '100000', result_overflow_mode: 'throw' } as const;

export function boundQuery(store: ClickHouseClient) {
  return async <T>(sql: string, params: Record<string, unknown>): Promise<T[]> => {
    const result = await store.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: QUERY_LIMITS });
    return result.json<T>();
  };
}
