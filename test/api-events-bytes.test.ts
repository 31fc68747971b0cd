/**
 * `/v1/events` answers are bounded in bytes: with 300 events of 8 KiB messages and two old rows of
 * 2 MiB (stored before messages were capped), `limit=1000` pages end before 1 MiB of events (a
 * single larger event goes alone), and following `next_cursor` returns every event once, newest first.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { storedEvent } from './support/events.js';
import { testApi } from './support/fixture.js';

const BUDGET = 1024 * 1024;

interface Page {
  events: Array<{ ts: string; message: string; message_truncated: boolean }>;
  next_cursor: string | null;
}

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  const start = Date.UTC(2026, 10, 28, 0, 0, 0);
  const events = Array.from({ length: 302 }, (_, i) =>
    storedEvent({
      ts: new Date(start + i * 1_000).toISOString(),
      source_offset: String(i),
      message: i === 100 || i === 200 ? 'm'.repeat(2 * 1024 * 1024) : `${i} `.padEnd(8 * 1024, 'x'),
      message_truncated: i !== 100 && i !== 200,
    }),
  );
  await writeBatch(client, { token: 'bytes:0:0-301', events, requestCounts: [] });
  app = await testApi(client);
});

after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

test('pages end before 1 MiB of events, with a cursor for the rest; every event once, newest first', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: URLSearchParams = new URLSearchParams({ from: '2026-11-27T00:00:00Z', to: '2026-11-29T00:00:00Z', limit: '1000', ...(cursor === null ? {} : { cursor }) });
    const response = await app.inject({ method: 'GET', url: `/v1/events?${query}` });
    assert.equal(response.statusCode, 200, response.body);
    const body: Page = response.json<Page>();
    assert.ok(body.events.length > 0);
    const bytes = body.events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0);
    if (body.events.length > 1) assert.ok(bytes <= BUDGET, `page ${pages}: ${body.events.length} events, ${bytes} bytes`);
    for (const event of body.events) assert.equal(event.message_truncated, event.message.length < 1024 * 1024);
    seen.push(...body.events.map((e) => e.ts));
    cursor = body.next_cursor;
    pages += 1;
    assert.ok(pages < 50);
  } while (cursor !== null);
  assert.equal(seen.length, 302);
  assert.equal(new Set(seen).size, 302, 'every event once');
  assert.deepEqual(seen, [...seen].sort().reverse(), 'newest first');
  assert.ok(pages >= 4, `the 302 events of ~2.6 MiB and 4 MiB come in several pages: ${pages}`);
});
