/**
 * RETENTION_DAYS applied to the tables' TTLs. Migrations create them with the default (90 days);
 * a different setting is applied with ALTER ... MODIFY TTL at start-up, only when it differs.
 * 0 keeps everything (no TTL): for archives replayed for postmortems, and for tests whose data
 * carry fixed timestamps that must not expire with the wall clock.
 */
import type { ClickHouseClient } from '@clickhouse/client';

const ttlColumns: Record<string, string> = {
  events: 'toDateTime(ts)',
  error_counts_1m: 'minute',
  request_counts_1m: 'minute',
};

export async function applyRetention(client: ClickHouseClient, days: number): Promise<string[]> {
  const rows = await (
    await client.query({
      query: 'SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}',
      query_params: { names: Object.keys(ttlColumns) },
      format: 'JSONEachRow',
    })
  ).json<{ name: string; create_table_query: string }>();
  const changed: string[] = [];
  for (const row of rows) {
    const column = ttlColumns[row.name];
    if (column === undefined) continue;
    const hasTtl = / TTL /.test(row.create_table_query);
    if (days === 0) {
      if (!hasTtl) continue;
      await client.command({ query: `ALTER TABLE ${row.name} REMOVE TTL` });
    } else {
      if (row.create_table_query.includes(`toIntervalDay(${days})`)) continue;
      await client.command({ query: `ALTER TABLE ${row.name} MODIFY TTL ${column} + INTERVAL ${days} DAY` });
    }
    changed.push(row.name);
  }
  return changed;
}
