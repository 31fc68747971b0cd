/**
 * One factory for the ClickHouse client: a server over HTTP(S), or the same engine in-process
 * through chdb. Everything above this file speaks `@clickhouse/client` and does not care which.
 */
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

export type StoreKind = 'server' | 'embedded';

export interface StoreTarget {
  kind: StoreKind;
  /** Server URL (credentials included) or the embedded data directory. */
  location: string;
}

export const DEFAULT_STORE_URL = 'chdb://./data/clickhouse';

/** Parses CLICKHOUSE_URL: `http(s)://...` is a server, `chdb://DIR` (or nothing) the embedded engine. */
export function parseStoreUrl(url: string | undefined): StoreTarget {
  const value = url === undefined || url.trim() === '' ? DEFAULT_STORE_URL : url.trim();
  if (value.startsWith('chdb://')) {
    const dir = value.slice('chdb://'.length);
    if (dir === '') throw new Error('CLICKHOUSE_URL: chdb:// needs a directory, e.g. chdb://./data/clickhouse');
    return { kind: 'embedded', location: resolve(dir) };
  }
  if (/^https?:\/\//.test(value)) return { kind: 'server', location: value };
  throw new Error(`CLICKHOUSE_URL: expected http(s)://... or chdb://DIR, got '${value.replace(/\/\/[^@/]*@/, '//***@')}'`);
}

/** Settings every query and insert of ours runs with. */
const sessionSettings = {
  // Batching is ours; a server-side async buffer would break the deduplication of replays.
  async_insert: 0,
  date_time_input_format: 'best_effort',
  // Replays of a batch must be recognised in the rollups fed by materialized views too.
  deduplicate_blocks_in_dependent_materialized_views: 1,
} as const;

/** Per-call settings of ours, at their ClickHouse defaults (see the embedded case below). */
const embeddedResets = { insert_deduplication_token: '' } as const;

export function createStoreClient(target: StoreTarget, options: { requestTimeoutMs?: number; cluster?: string | undefined } = {}): ClickHouseClient {
  const request_timeout = options.requestTimeoutMs ?? 60_000;
  // On a cluster an insert returns only once the shards have the rows: offsets are committed after it.
  const clickhouse_settings = options.cluster === undefined ? sessionSettings : { ...sessionSettings, distributed_foreground_insert: 1 };
  if (target.kind === 'embedded') {
    mkdirSync(target.location, { recursive: true });
    return createClient({
      // The embedded connection applies per-call settings as session-wide SETs, so a setting given to
      // one call would stay for all later ones: a deduplication token would silently drop the next
      // token-less insert as a duplicate. Every call therefore re-sets it unless it gives its own.
      // (Query limits go in each query's SETTINGS clause, which is per query on either engine.)
      clickhouse_settings: { ...embeddedResets, ...clickhouse_settings },
      // chdb types its connection against @clickhouse/client-common, whose types @clickhouse/client
      // now bundles as copies: the same interface under another name.
      connection: createChdbConnection({ path: target.location }) as unknown as ClientConnection,
      request_timeout,
    });
  }
  return createClient({ url: target.location, clickhouse_settings, request_timeout });
}

/** Location for logs and messages: never prints credentials. */
export function describeTarget(target: StoreTarget): string {
  if (target.kind === 'embedded') return `embedded ClickHouse at ${target.location}`;
  const url = new URL(target.location);
  return `ClickHouse server ${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}
