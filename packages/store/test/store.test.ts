/** Migrations and batch writes on the real ClickHouse engine (embedded unless CLICKHOUSE_URL is set). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MIGRATIONS_DIR, applyRetention, migrate, migrationsApplied, readMigrations, writeBatch, type ClickHouseClient, type StoredEvent } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from '../../../test/support/store.js';
import { storedEvent } from '../../../test/support/events.js';

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

async function scalar(sql: string): Promise<number> {
  const [row] = await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ v: string }>();
  return Number(row?.v);
}

function event(overrides: Partial<StoredEvent>): StoredEvent {
  return storedEvent({
    request_id: 'r', ts: '2026-11-28T00:00:01.500Z', description: 'System internal error',
    solution: 'Try later or contact technical support.', gateway: 'apisix', latency_ms: 12.5, source_topic: 'logs', ...overrides,
  });
}

test('migrations are applied once and recorded; running them again applies nothing', async () => {
  assert.equal(await migrationsApplied(client), true);
  const again = await migrate(client);
  assert.deepEqual(again.applied, []);
  assert.equal(again.alreadyApplied, readMigrations().length);
  assert.equal(await scalar("SELECT count() AS v FROM system.tables WHERE database = currentDatabase() AND name IN ('events','error_counts_1m','request_counts_1m')"), 3);
});

test('an applied migration whose file was edited is an error, not a silent skip', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'csbs-migrations-'));
  try {
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(join(dir, '0001_events.sql'), '-- edited\nSELECT 1;\n');
    await assert.rejects(migrate(client, readMigrations(dir)), /0001_events\.sql was edited after it was applied/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a batch written twice with the same token is stored once, rollups included; another token counts again', async () => {
  const batch = {
    token: 'logs:0:0-2',
    events: [event({ source_offset: '0' }), event({ source_offset: '1', ts: '2026-11-28T00:01:10.000Z', tenant: 't2' }), event({ source_offset: '2', code: 'CSBS.6000', status: 400 })],
    requestCounts: [{ minute: '2026-11-28T00:00:00.000Z', tenant: 't1', operation: 'restore_backup', status: 500, requests: 7 }],
  };
  await writeBatch(client, batch);
  await writeBatch(client, batch);
  assert.equal(await scalar('SELECT count() AS v FROM events'), 3);
  assert.equal(await scalar('SELECT sum(count) AS v FROM error_counts_1m'), 3);
  assert.equal(await scalar("SELECT sum(count) AS v FROM error_counts_1m WHERE code = 'CSBS.9999'"), 2);
  // Every unit of the rollups of 0010 (one view writes all four).
  assert.equal(await scalar('SELECT sum(count) AS v FROM error_counts_tenant'), 3 * 4);
  assert.equal(await scalar('SELECT sum(requests) AS v FROM request_counts_1m'), 7);

  await writeBatch(client, { ...batch, token: 'logs:0:3-5' });
  assert.equal(await scalar('SELECT count() AS v FROM events'), 6);
  assert.equal(await scalar('SELECT sum(count) AS v FROM error_counts_1m'), 6);
  assert.equal(await scalar('SELECT sum(count) AS v FROM error_counts_tenant'), 6 * 4);
  assert.equal(await scalar('SELECT sum(requests) AS v FROM request_counts_1m'), 14);
});

test('retention: RETENTION_DAYS changes the TTL, 0 removes it, and unchanged settings alter nothing', async () => {
  const withTtl = [
    'error_counts_1d', 'error_counts_1h', 'error_counts_1m', 'error_counts_by_tenant', 'error_counts_code', 'error_counts_for_code', 'error_counts_for_tenant', 'error_counts_operation', 'error_counts_params', 'error_counts_tenant',
    'events', 'request_counts_1m',
  ];
  assert.deepEqual((await applyRetention(client, 30)).sort(), withTtl);
  assert.deepEqual(await applyRetention(client, 30), []);
  const [row] = await (await client.query({ query: "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'events'", format: 'JSONEachRow' })).json<{ q: string }>();
  assert.match(row?.q ?? '', /toIntervalDay\(30\)/);
  assert.deepEqual((await applyRetention(client, 0)).sort(), withTtl);
  assert.deepEqual(await applyRetention(client, 0), []);
});

test('a token given to one insert does not stick to the next insert (embedded settings do not leak)', async () => {
  await writeBatch(client, { token: 'leak:0:0-0', events: [event({ source_offset: '100', tenant: 'leak' })], requestCounts: [] });
  for (const requests of [1, 2]) {
    await client.insert({
      table: 'request_counts_1m',
      values: [{ minute: '2026-11-28T01:00:00.000Z', tenant: 'leak', operation: 'x', status: 200, requests }],
      format: 'JSONEachRow',
    });
  }
  assert.equal(await scalar("SELECT sum(requests) AS v FROM request_counts_1m WHERE tenant = 'leak'"), 3);
});
