/**
 * The ClickHouse the tests use: CLICKHOUSE_URL when set (each test file gets a fresh database in
 * it), else a ClickHouse container when a Docker engine answers, else the embedded engine in a
 * fresh directory. One process binds one embedded directory, and node's test runner gives each
 * test file its own process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createStoreClient, parseStoreUrl, migrate, applyRetention, type ClickHouseClient } from '@csbs-errors/store';
import { dockerAvailable } from './kafka.js';

export interface TestStore {
  /** The CLICKHOUSE_URL a child process should use (embedded: the directory, free once this process closes it). */
  url: string;
  dispose(): Promise<void>;
}

async function serverDatabase(baseUrl: string): Promise<TestStore> {
  const name = `csbs_test_${randomBytes(6).toString('hex')}`;
  const admin = createStoreClient(parseStoreUrl(baseUrl));
  await admin.command({ query: `CREATE DATABASE ${name}` });
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dispose: async () => {
      await admin.command({ query: `DROP DATABASE IF EXISTS ${name}` });
      await admin.close();
    },
  };
}

/** A store location for one test file. */
export async function storeForTests(): Promise<TestStore> {
  const fromEnv = process.env.CLICKHOUSE_URL;
  if (fromEnv !== undefined && fromEnv.startsWith('http')) return serverDatabase(fromEnv);
  if (await dockerAvailable()) {
    const { ClickHouseContainer } = await import('@testcontainers/clickhouse');
    const container = await new ClickHouseContainer(process.env.CLICKHOUSE_TEST_IMAGE ?? 'clickhouse/clickhouse-server:25.8').start();
    const inner = await serverDatabase(container.getConnectionUrl());
    return {
      url: inner.url,
      dispose: async () => {
        await inner.dispose();
        await container.stop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'csbs-store-'));
  return { url: `chdb://${dir}`, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** A migrated client on a test store, kept forever (fixed data timestamps never expire). */
export async function openTestStore(store: TestStore): Promise<ClickHouseClient> {
  const client = createStoreClient(parseStoreUrl(store.url));
  await migrate(client);
  await applyRetention(client, 0);
  return client;
}
