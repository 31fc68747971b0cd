/**
 * The cluster variant of the schema. No cluster runs here (Replicated tables need Keeper), so the
 * generated statements are checked for shape and parsed by the real ClickHouse parser
 * (formatQuery) on the embedded engine.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { clusterStatements, readMigrations, ClusterSchemaError, INSERT_SELECT, type ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from '../../../test/support/store.js';

let store: TestStore;
let client: ClickHouseClient;
before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
});
after(async () => {
  await client?.close();
  await store?.dispose();
});

const statements = readMigrations().flatMap((m) => m.statements.map((s) => ({ file: m.name, statement: s })));

test('every table becomes a Replicated _local table ON CLUSTER behind a Distributed one sharded by its sorting key', () => {
  const [local, distributed] = clusterStatements(
    'CREATE TABLE IF NOT EXISTS events\n(ts DateTime)\nENGINE = MergeTree\nORDER BY (code, tenant, ts)\nSETTINGS non_replicated_deduplication_window = 10000',
    'main',
  );
  assert.match(local ?? '', /^CREATE TABLE IF NOT EXISTS events_local ON CLUSTER main\n/);
  assert.match(local ?? '', /ENGINE = ReplicatedMergeTree\n/);
  assert.match(local ?? '', /replicated_deduplication_window = 10000/);
  assert.equal(distributed, 'CREATE TABLE IF NOT EXISTS events ON CLUSTER main AS events_local\nENGINE = Distributed(main, currentDatabase(), events_local, cityHash64(code, tenant, ts))');
});

test('materialized views read and write the local tables of their node; ALTERs go to the local tables; drops reach both', () => {
  assert.deepEqual(clusterStatements('CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS\nSELECT a FROM events GROUP BY a', 'c'), [
    'CREATE MATERIALIZED VIEW IF NOT EXISTS v ON CLUSTER c TO t_local AS\nSELECT a FROM events_local GROUP BY a',
  ]);
  assert.deepEqual(clusterStatements('ALTER TABLE events MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY', 'c'), [
    'ALTER TABLE events_local ON CLUSTER c MODIFY TTL toDateTime(ts) + INTERVAL 7 DAY',
  ]);
  assert.deepEqual(clusterStatements('DROP TABLE IF EXISTS t', 'c'), ['DROP TABLE IF EXISTS t ON CLUSTER c', 'DROP TABLE IF EXISTS t_local ON CLUSTER c']);
  assert.deepEqual(clusterStatements('DROP VIEW IF EXISTS v', 'c'), ['DROP VIEW IF EXISTS v ON CLUSTER c']);
  assert.throws(() => clusterStatements('DROP TABLE events', 'c'), ClusterSchemaError);
});

test('every statement of every migration has a cluster form that ClickHouse parses', async () => {
  assert.ok(statements.length >= 5);
  let checked = 0;
  for (const { file, statement } of statements) {
    const rewritten = clusterStatements(statement, 'csbs_cluster');
    assert.ok(rewritten.every((sql) => sql.includes('ON CLUSTER csbs_cluster') || INSERT_SELECT.test(sql)), `${file}: ON CLUSTER everywhere but in backfills`);
    for (const sql of rewritten) {
      const [row] = await (await client.query({ query: 'SELECT formatQuery({sql:String}) AS formatted', query_params: { sql }, format: 'JSONEachRow' })).json<{ formatted: string }>();
      assert.ok(row && row.formatted.length > 0, `${file}: parses`);
      checked += 1;
    }
  }
  assert.ok(checked > statements.length, 'tables yield two statements each');
});
