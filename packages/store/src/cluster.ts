/**
 * The cluster variant of the schema (CLICKHOUSE_CLUSTER set): each single-node table becomes a
 * Replicated table `<name>_local` on every node, behind a Distributed table `<name>` that the
 * service reads and writes, all created ON CLUSTER. Migrations are written once, for one node;
 * this module rewrites their statements, so both variants always have the same columns.
 *
 * Replicated engines are created without arguments: the servers' `default_replica_path` and
 * `default_replica_name` (macros {shard}, {replica}) decide the Keeper paths. Distributed inserts
 * are sharded by a hash of the table's sorting key, never by rand(): a replayed batch must reach the
 * same shards as the first attempt so that its deduplication token is recognised there.
 */

export const LOCAL_SUFFIX = '_local';

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\s*\n/;
const ENGINE = /\bENGINE = (\w*MergeTree)\b/;
const ORDER_BY = /\bORDER BY \(?([^)\n]+)\)?/;
const CREATE_VIEW = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\b/;
const ALTER_TABLE = /^ALTER TABLE (\w+)\b/;
export const INSERT_SELECT = /^INSERT INTO (\w+)\s+SELECT\b/;
const DROP = /^DROP (TABLE|VIEW) IF EXISTS (\w+)\s*$/;

export class ClusterSchemaError extends Error {
  override name = 'ClusterSchemaError';
}

/** The statements that replace one single-node statement in the cluster variant. */
export function clusterStatements(statement: string, cluster: string): string[] {
  const onCluster = `ON CLUSTER ${cluster}`;
  const table = CREATE_TABLE.exec(statement);
  if (table?.[1]) {
    const name = table[1];
    const engine = ENGINE.exec(statement)?.[1];
    const orderBy = ORDER_BY.exec(statement)?.[1];
    if (!engine || !orderBy) throw new ClusterSchemaError(`table ${name}: expected a MergeTree engine and an ORDER BY`);
    const local = statement
      .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${name}${LOCAL_SUFFIX} ${onCluster}\n`)
      .replace(ENGINE, `ENGINE = Replicated${engine}`)
      // non_replicated_deduplication_window means nothing to Replicated tables (they keep the
      // replicated_deduplication_window in Keeper); ClickHouse rejects neither, but keep it honest.
      .replace(/non_replicated_deduplication_window = \d+/, 'replicated_deduplication_window = 10000');
    const distributed = `CREATE TABLE IF NOT EXISTS ${name} ${onCluster} AS ${name}${LOCAL_SUFFIX}
ENGINE = Distributed(${cluster}, currentDatabase(), ${name}${LOCAL_SUFFIX}, cityHash64(${orderBy.trim()}))`;
    return [local, distributed];
  }
  const view = CREATE_VIEW.exec(statement);
  if (view?.[1] && view[2]) {
    // The view runs on each node, on the rows inserted into that node's local source table.
    return [
      statement
        .replace(CREATE_VIEW, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view[1]} ${onCluster} TO ${view[2]}${LOCAL_SUFFIX} AS`)
        .replace(/\bFROM (\w+)\b/g, (_match, source: string) => `FROM ${source}${LOCAL_SUFFIX}`),
    ];
  }
  const alter = ALTER_TABLE.exec(statement);
  if (alter?.[1]) {
    const local = statement.replace(ALTER_TABLE, `ALTER TABLE ${alter[1]}${LOCAL_SUFFIX} ${onCluster}`);
    // A new column must also be on the Distributed table that inserts and reads go through.
    if (/\bADD COLUMN\b/.test(statement)) return [local, statement.replace(ALTER_TABLE, `ALTER TABLE ${alter[1]} ${onCluster}`)];
    return [local];
  }
  // A backfill (INSERT ... SELECT) runs once, not on every node: it reads and writes the
  // Distributed tables, which shard its rows like any insert.
  if (INSERT_SELECT.test(statement)) return [statement];
  const drop = DROP.exec(statement);
  if (drop?.[1] && drop[2]) {
    // A table is the Distributed one and its local tables; a view exists once per node.
    const names = drop[1] === 'TABLE' ? [drop[2], `${drop[2]}${LOCAL_SUFFIX}`] : [drop[2]];
    return names.map((name) => `DROP ${drop[1]} IF EXISTS ${name} ${onCluster}`);
  }
  throw new ClusterSchemaError(`no cluster form for the statement: ${statement.slice(0, 80)}`);
}
