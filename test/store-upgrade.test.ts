/**
 * Upgrading a store: one written with the schema before migration 0008 (the fixture loaded through
 * the ingest path), then migrated, answers every count exactly as the raw events do, i.e. as a fresh
 * store does: 0009-0013 filled the new rollups from the stored events once (not twice; every unit
 * of the tables of 0010-0013), and their views keep them up to date for events written
 * after the upgrade.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { applyRetention, createStoreClient, migrate, parseStoreUrl, readMigrations, writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { ROLLUPS } from '@csbs-errors/query';
import { storeForTests, type TestStore } from './support/store.js';
import { fixtureEvents, loadFixture, testApi } from './support/fixture.js';

let store: TestStore;
let client: ClickHouseClient;
let api: FastifyInstance;
let raw: FastifyInstance;
/** Every rollup of 0010-0013: one per table and unit. */
const NEW_ROLLUPS = ROLLUPS.filter((r) => r.unitColumn).map((r) => ({ table: r.table, unit: r.stepMs / 1000 }));

before(async () => {
  store = await storeForTests();
  client = createStoreClient(parseStoreUrl(store.url));
  await migrate(client, readMigrations().filter((m) => m.version < 8));
  await applyRetention(client, 0);
  await loadFixture(client);
  const result = await migrate(client);
  assert.deepEqual(result.applied.map((m) => m.version), [8, 9, 10, 11, 12, 13]);
  await applyRetention(client, 0);
  api = await testApi(client, { cache: false, pressure: false });
  raw = await testApi(client, { cache: false, pressure: false, rollups: [] });
});
after(async () => {
  await api?.close();
  await raw?.close();
  await client?.close();
  await store?.dispose();
});

async function same(url: string): Promise<void> {
  const a = await api.inject({ method: 'GET', url });
  const b = await raw.inject({ method: 'GET', url });
  assert.equal(a.statusCode, 200, a.body);
  assert.deepEqual(a.json(), b.json(), url);
}

async function totals(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { table, unit } of NEW_ROLLUPS) {
    const [row] = await (await client.query({ query: `SELECT sum(count) AS n FROM ${table} WHERE unit = {unit:UInt32}`, query_params: { unit }, format: 'JSONEachRow' })).json<{ n: string }>();
    counts.set(`${table} ${unit}`, Number(row?.n ?? 0));
  }
  return counts;
}
const every = (n: number) => new Map(NEW_ROLLUPS.map(({ table, unit }) => [`${table} ${unit}`, n]));

// Ends inside seconds (raw events at the edges) and on whole seconds (the per-second rollups).
const WINDOWS = ['from=2026-11-17T22:30:15.500Z&to=2026-11-20T01:10:20.250Z', 'from=2026-11-17T22:30:15Z&to=2026-11-20T01:10:20Z'];

test('the new rollups hold every stored event once', async () => {
  assert.equal(NEW_ROLLUPS.length, 28);
  assert.deepEqual(await totals(), every(fixtureEvents.length));
});

test('an upgraded store answers as the raw events do: counts, trends, rates, codes', async () => {
  for (const WINDOW of WINDOWS) {
    for (const groupBy of ['code', 'code,status', 'tenant', 'operation', 'tenant,code', 'operation,status', 'code,status,tenant,operation']) {
      await same(`/v1/errors/frequency?${WINDOW}&group_by=${groupBy}&limit=10000`);
      await same(`/v1/errors/frequency?${WINDOW}&group_by=${groupBy}&tenant=t-beta&limit=10000`);
      await same(`/v1/errors/trend?${WINDOW}&group_by=${groupBy}&interval=1h&limit=1000`);
    }
    await same(`/v1/errors/trend?${WINDOW}&tenant=t-beta&interval=1h`);
    await same(`/v1/errors/rate?${WINDOW}&interval=1h`);
    await same(`/v1/codes?${WINDOW}&top=3`);
    await same(`/v1/codes/CSBS.9009?${WINDOW}`);
  }
});

test('events written after the upgrade reach the new rollups through their views', async () => {
  const later = fixtureEvents.slice(0, 50).map((e, i) => ({ ...e, ts: new Date(Date.parse('2026-11-21T10:00:00.000Z') + i * 1_000).toISOString(), request_id: `after-${i}`, source_offset: String(900_000 + i) }));
  await writeBatch(client, { token: 'upgrade:after', events: later, requestCounts: [] });
  assert.deepEqual(await totals(), every(fixtureEvents.length + later.length));
  await same('/v1/errors/frequency?from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z&group_by=code,status');
});
