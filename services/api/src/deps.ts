import type { ClickHouseClient } from '@csbs-errors/store';
import type { Catalog } from '@csbs-errors/catalog';
import type { Logger, Registry } from '@csbs-errors/observability';
import type { ApiToken } from '@csbs-errors/config';
import type { QueryFn, Rollup } from '@csbs-errors/query';

export interface ApiDeps {
  store: ClickHouseClient;
  /** Runs a read query with bound parameters, a time limit and a row cap (@csbs-errors/query's boundQuery). */
  query: QueryFn;
  registry: Registry;
  logger: Logger;
  tokens: ApiToken[];
  catalog: Catalog;
  /** Rollups the count queries may read (default: all; [] reads the raw events only). */
  rollups: readonly Rollup[];
  /** The clock for relative times and default windows (tests pin it). */
  now: () => number;
}
