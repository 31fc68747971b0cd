/**
 * RETENTION_DAYS applied to the tables' TTLs. Migrations create them with the default (90 days);
 * a different setting is applied with ALTER ... MODIFY TTL at start-up, only when it differs.
 * 0 keeps everything (no TTL): for archives replayed for postmortems, and for tests whose data
 * carry fixed timestamps that must not expire with the wall clock.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { LOCAL_SUFFIX } from './cluster.js';
import { runStatement, type SchemaOptions } from './migrations.js';

const ttlColumns: Record<string, string> = {
  events: 'toDateTime(ts)',
  error_counts_1m: 'minute',
  request_counts_1m: 'minute',
  error_counts_1h: 'hour',
  error_counts_1d: 'day',
  error_counts_code: 't',
  error_counts_tenant: 't',
  error_counts_by_tenant: 't',
  error_counts_for_tenant: 't',
  error_counts_for_code: 't',
  error_counts_operation: 't',
  error_counts_params: 't',
};

export async function applyRetention(client: ClickHouseClient, days: number, options: SchemaOptions = {}): Promise<string[]> {
  // In the cluster variant the data (and so the TTL) lives in the `_local` tables.
  const suffix = options.cluster === undefined ? '' : LOCAL_SUFFIX;
  const rows = await (
    await client.query({
      query: 'SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}',
      query_params: { names: Object.keys(ttlColumns).map((name) => `${name}${suffix}`) },
      format: 'JSONEachRow',
    })
  ).json<{ name: string; create_table_query: string }>();
  const changed: string[] = [];
  for (const row of rows) {
    const table = row.name.slice(0, row.name.length - suffix.length);
    const column = ttlColumns[table];
    if (column === undefined) continue;
    const hasTtl = / TTL /.test(row.create_table_query);
    if (days === 0) {
      if (!hasTtl) continue;
      await runStatement(client, `ALTER TABLE ${table} REMOVE TTL`, options);
    } else {
      if (row.create_table_query.includes(`toIntervalDay(${days})`)) continue;
      await runStatement(client, `ALTER TABLE ${table} MODIFY TTL ${column} + INTERVAL ${days} DAY`, options);
    }
    changed.push(table);
  }
  return changed;
}
