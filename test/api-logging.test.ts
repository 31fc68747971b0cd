/**
 * Request logs: one line per answered request at info (method, route, status, time), none for the
 * health probes (/healthz, /readyz, /metrics) and rate-limited answers unless the level is debug.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino, type Level } from 'pino';
import { buildApi } from '@csbs-errors/api';
import { createMetricsRegistry } from '@csbs-errors/observability';
import type { ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';

const TOKEN = 'logging-test-token-0123456789';

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

interface Line {
  level: number;
  msg: string;
  req?: { method: string; route: string };
  res?: { statusCode: number };
  responseTime?: number;
}

/** Sends the same mix of requests to an API logging at `level`; returns the lines it wrote. */
async function requestsLoggedAt(level: Level): Promise<Line[]> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const app = await buildApi({ store: client, registry: createMetricsRegistry(), logger: pino({ level }, sink), tokens: [{ token: TOKEN }], rateLimit: { max: 3, timeWindowMs: 60_000 }, pressure: false });
  try {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const statuses: number[] = [];
    for (const url of ['/v1/codes', '/v1/codes/CSBS.9999', '/v1/events?limit=0', '/v1/codes', '/v1/codes']) {
      statuses.push((await app.inject({ method: 'GET', url, headers: auth })).statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 400, 429, 429]);
    for (const url of ['/healthz', '/readyz', '/metrics', '/healthz']) assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
    assert.equal((await app.inject({ method: 'GET', url: '/no/such/thing' })).statusCode, 404);
  } finally {
    await app.close();
  }
  return lines.filter((l) => l.req !== undefined || l.res !== undefined);
}

test('info: one line per request, none for health probes and rate-limited answers', async () => {
  const lines = await requestsLoggedAt('info');
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.req?.method, l.req?.route, l.res?.statusCode]),
    [
      [30, 'request completed', 'GET', '/v1/codes', 200],
      [30, 'request completed', 'GET', '/v1/codes/:code', 200],
      [30, 'request completed', 'GET', '/v1/events', 400],
      [30, 'request completed', 'GET', '/no/such/thing', 404],
    ],
  );
  for (const line of lines) assert.ok(typeof line.responseTime === 'number' && line.responseTime >= 0, 'each line has the time taken');
});

test('debug: the probes and the 429s are there too, still one line each', async () => {
  const lines = await requestsLoggedAt('debug');
  const completed = lines.filter((l) => l.msg === 'request completed');
  assert.equal(completed.length, lines.length, `only completion lines: ${JSON.stringify(lines.map((l) => l.msg))}`);
  assert.equal(completed.length, 10);
  assert.deepEqual(completed.filter((l) => l.level === 20).map((l) => `${l.req?.route} ${l.res?.statusCode}`), [
    '/v1/codes 429',
    '/v1/codes 429',
    '/healthz 200',
    '/readyz 200',
    '/metrics 200',
    '/healthz 200',
  ]);
});
