/**
 * The API's settings as the CLI applies them (apiLimits of packages/config's values): the per-token
 * rate limit API_RATE_LIMIT_PER_MINUTE and the answer cache's lifetime API_CACHE_TTL_MS, each with
 * 0 turning it off.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { apiLimits, problemTypeUri } from '@csbs-errors/api';
import { loadConfig } from '@csbs-errors/config';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { testApi } from './support/fixture.js';
import { storedEvent } from './support/events.js';

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

const W = 'from=2026-11-28T00:00:00Z&to=2026-11-29T00:00:00Z';
const TOKEN = 'settings-token-0123456789';
const settings = (env: Record<string, string>) => apiLimits(loadConfig(env).api);

async function withApi(env: Record<string, string>, run: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const app = await testApi(client, { pressure: false, tokens: [{ token: TOKEN }], ...settings(env) });
  try {
    await run(app);
  } finally {
    await app.close();
  }
}

const get = (app: FastifyInstance, url = `/v1/errors/frequency?${W}`) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });

describe('API_RATE_LIMIT_PER_MINUTE', () => {
  test('the limit is the setting: past it a 429 problem with Retry-After', async () => {
    await withApi({ API_RATE_LIMIT_PER_MINUTE: '3' }, async (app) => {
      for (let i = 0; i < 3; i++) {
        const response = await get(app);
        assert.equal(response.statusCode, 200);
        assert.equal(response.headers['x-ratelimit-limit'], '3');
      }
      const over = await get(app);
      assert.equal(over.statusCode, 429);
      assert.match(String(over.headers['content-type']), /^application\/problem\+json/);
      assert.ok(Number(over.headers['retry-after']) > 0);
      const body = over.json() as { code: string; type: string };
      assert.equal(body.code, 'ERR_RATE_LIMITED');
      assert.equal(body.type, problemTypeUri('ERR_RATE_LIMITED'));
    });
  });

  test('the default is 600 a minute; 0 turns the limit off', async () => {
    await withApi({}, async (app) => assert.equal((await get(app)).headers['x-ratelimit-limit'], '600'));
    await withApi({ API_RATE_LIMIT_PER_MINUTE: '0' }, async (app) => {
      for (let i = 0; i < 5; i++) {
        const response = await get(app);
        assert.equal(response.statusCode, 200);
        assert.equal(response.headers['x-ratelimit-limit'], undefined, 'no limit installed');
      }
    });
  });
});

describe('API_CACHE_TTL_MS', () => {
  let offset = 0;
  const addEvent = () => writeBatch(client, { token: `settings-test:${offset}`, events: [storedEvent({ ts: '2026-11-28T10:00:00.000Z', source_offset: String(offset++) })], requestCounts: [] });
  const total = async (app: FastifyInstance) => ((await get(app)).json() as { total: number }).total;

  test('within the lifetime an identical query gets the same answer; 0 reads the store every time', async () => {
    await withApi({ API_CACHE_TTL_MS: '600000' }, async (app) => {
      const before = await total(app);
      await addEvent();
      assert.equal(await total(app), before, 'the answer is reused for the lifetime');
    });
    await withApi({ API_CACHE_TTL_MS: '0' }, async (app) => {
      const before = await total(app);
      await addEvent();
      assert.equal(await total(app), before + 1, 'without the cache the new event counts at once');
    });
  });

  test('a short lifetime expires', async () => {
    await withApi({ API_CACHE_TTL_MS: '200' }, async (app) => {
      const before = await total(app);
      await addEvent();
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(await total(app), before + 1);
    });
  });
});
