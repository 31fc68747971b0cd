/**
 * Tokens and rate limits: the token matrix (none, unknown, malformed, all-tenant, tenant, another
 * tenant) on every /v1 endpoint; a tenant token sees exactly its tenant's numbers; rate limits per
 * token (per address without tokens); and no token, header or client address in the logs.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '@csbs-errors/api';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { fixtureEvents, groupEvents, loadFixture, select } from './support/fixture.js';

const ADMIN = 'admin-token-0123456789abcdef';
const BETA = 'beta-token-0123456789abcdefgh';
const GAMMA = 'gamma-token-0123456789abcdefg';
const tokens = [
  { token: ADMIN },
  { token: BETA, tenant: 't-beta' },
  { token: GAMMA, tenant: 't-gamma' },
];

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;
const logLines: string[] = [];

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  // The API's own serializers decide what a request log holds, whatever logger it is given.
  app = await buildApi({ store: client, registry: createMetricsRegistry(), logger: pino({ level: 'trace' }, sink), tokens, rateLimit: false });
});
after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

const W = { from: '2026-11-17T22:00:00.000Z', to: '2026-11-20T03:00:00.000Z' };
const qs = (params: Record<string, string | string[]>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, item);
  return q.toString();
};
const ENDPOINTS = ['/v1/errors/frequency', '/v1/errors/trend', '/v1/errors/rate', '/v1/codes', '/v1/codes/CSBS.9999', '/v1/events'];

async function call(app: FastifyInstance, path: string, authorization: string | undefined, params: Record<string, string | string[]> = W) {
  return app.inject({ method: 'GET', url: `${path}?${qs(params)}`, headers: authorization === undefined ? {} : { authorization }, remoteAddress: '203.0.113.77' });
}

describe('the token matrix', () => {
  test('without a valid bearer token every /v1 endpoint is a 401 problem; health and docs stay open', async () => {
    const bad = [undefined, '', 'Bearer', `Bearer ${ADMIN.slice(0, -1)}`, `Bearer ${ADMIN}x`, `Basic ${Buffer.from(`u:${ADMIN}`).toString('base64')}`, ADMIN, `Bearer ${ADMIN} ${ADMIN}`];
    for (const path of ENDPOINTS) {
      for (const authorization of bad) {
        const response = await call(app, path, authorization);
        assert.equal(response.statusCode, 401, `${path} ${authorization}`);
        assert.match(String(response.headers['content-type']), /problem\+json/);
        assert.match(String(response.headers['www-authenticate']), /^Bearer/);
      }
      // Invalid parameters without a token: still 401, not a hint about the parameters.
      assert.equal((await call(app, path, undefined, { bogus: '1' })).statusCode, 401);
    }
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) assert.equal((await app.inject({ method: 'GET', url: path })).statusCode, 200, path);
  });

  test('an all-tenant token sees everything; the scheme name is case-insensitive', async () => {
    for (const authorization of [`Bearer ${ADMIN}`, `bearer ${ADMIN}`]) {
      const response = await call(app, '/v1/errors/frequency', authorization, { ...W, group_by: 'tenant' });
      assert.equal(response.statusCode, 200);
      assert.equal((response.json() as { total: number }).total, select(Date.parse(W.from), Date.parse(W.to)).length);
    }
    const other = await call(app, '/v1/errors/frequency', `Bearer ${ADMIN}`, { ...W, tenant: 't-gamma' });
    assert.equal((other.json() as { total: number }).total, select(Date.parse(W.from), Date.parse(W.to), { tenant: ['t-gamma'] }).length);
  });

  test('a tenant token sees its tenant only, on every endpoint, with or without tenant=', async () => {
    const from = Date.parse(W.from);
    const to = Date.parse(W.to);
    const beta = select(from, to, { tenant: ['t-beta'] });
    for (const params of [W, { ...W, tenant: 't-beta' }, { ...W, tenant: ['t-beta', 't-beta'] }]) {
      const frequency = (await call(app, '/v1/errors/frequency', `Bearer ${BETA}`, { ...params, group_by: 'tenant,code', limit: '1000' })).json() as {
        total: number;
        groups: Array<{ tenant: string; code: string; count: number }>;
      };
      assert.equal(frequency.total, beta.length);
      assert.ok(frequency.groups.every((g) => g.tenant === 't-beta'));
      assert.deepEqual(
        new Map(frequency.groups.map((g) => [g.code, g.count])),
        new Map([...groupEvents(beta, ['code']).values()].map((g) => [g.key.code, g.count])),
      );
    }
    const trend = (await call(app, '/v1/errors/trend', `Bearer ${BETA}`, { ...W, group_by: 'tenant' })).json() as { series: Array<{ key: { tenant: string }; count: number }> };
    assert.deepEqual(trend.series.map((s) => [s.key.tenant, s.count]), [['t-beta', beta.length]]);
    const rate = (await call(app, '/v1/errors/rate', `Bearer ${BETA}`, { ...W, interval: '1d' })).json() as { errors: number };
    assert.equal(rate.errors, beta.length);
    const codes = (await call(app, '/v1/codes', `Bearer ${BETA}`)).json() as { codes: Array<{ count: number; top_tenants: Array<{ tenant: string }> }> };
    assert.equal(codes.codes.reduce((s, c) => s + c.count, 0), beta.length);
    assert.ok(codes.codes.every((c) => c.top_tenants.every((t) => t.tenant === 't-beta')));
    const events = (await call(app, '/v1/events', `Bearer ${BETA}`, { ...W, limit: '1000' })).json() as { events: Array<{ tenant: string }> };
    assert.equal(events.events.length, Math.min(1000, beta.length));
    assert.ok(events.events.every((e) => e.tenant === 't-beta'));
  });

  test('a tenant token asking for another tenant is a 403 naming tenant', async () => {
    for (const path of ENDPOINTS) {
      for (const tenant of ['t-gamma', ['t-beta', 't-gamma']]) {
        const response = await call(app, path, `Bearer ${BETA}`, { ...W, tenant });
        assert.equal(response.statusCode, 403, path);
        assert.match(String(response.headers['content-type']), /problem\+json/);
        assert.equal((response.json() as { parameter: string }).parameter, 'tenant');
      }
    }
  });

  test('an unknown code seen only by another tenant is a 404 for a tenant token', async () => {
    // One event of an unknown code, by t-beta only, long before the window.
    const base = fixtureEvents[0]!;
    await writeBatch(client, {
      token: 'auth-test:extra',
      events: [{ ...base, ts: '2026-10-01T00:00:00.000Z', tenant: 't-beta', code: 'CSBS.4242', known: false, catalog_status: 0, source_offset: '999999' }],
      requestCounts: [],
    });
    assert.equal((await call(app, '/v1/codes/CSBS.4242', `Bearer ${GAMMA}`)).statusCode, 404);
    for (const token of [BETA, ADMIN]) {
      const seen = await call(app, '/v1/codes/CSBS.4242', `Bearer ${token}`);
      assert.equal(seen.statusCode, 200);
      assert.equal((seen.json() as { count: number; known: boolean }).count, 0);
    }
    assert.equal((await call(app, '/v1/codes/CSBS.4242', `Bearer ${BETA}`, { from: '2026-09-30T00:00:00Z', to: '2026-10-02T00:00:00Z' })).json().count, 1);
    assert.equal((await call(app, '/v1/codes/HTTP.599', `Bearer ${ADMIN}`)).statusCode, 404);
  });

  test('logs hold no token, no Authorization header and no client address', () => {
    const text = logLines.join('');
    assert.ok(logLines.length > 10, 'requests were logged');
    for (const secret of [ADMIN, BETA, GAMMA, 'authorization', 'Bearer', '203.0.113.77', 'remoteAddress']) {
      assert.ok(!text.includes(secret), `the log contains ${secret}`);
    }
    assert.match(text, /"route":"\/v1\/errors\/frequency"/);
  });
});

describe('rate limits', () => {
  test('per token: the limit of one token does not touch another; 429 is a problem with Retry-After', async () => {
    const limited = await buildApi({ store: client, registry: createMetricsRegistry(), logger: createLogger('silent'), tokens, rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await call(limited, '/v1/codes/CSBS.9999', `Bearer ${BETA}`)).statusCode, 200);
      const over = await call(limited, '/v1/codes/CSBS.9999', `Bearer ${BETA}`);
      assert.equal(over.statusCode, 429);
      assert.match(String(over.headers['content-type']), /problem\+json/);
      assert.ok(Number(over.headers['retry-after']) > 0);
      assert.equal((over.json() as { status: number }).status, 429);
      assert.equal((await call(limited, '/v1/codes/CSBS.9999', `Bearer ${GAMMA}`)).statusCode, 200, 'another token has its own budget');
      assert.equal((await limited.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'health is not rate limited');
      // Guessing tokens is limited by address: after 3 misses from one address, 429.
      for (let i = 0; i < 3; i++) assert.equal((await call(limited, '/v1/events', 'Bearer wrong-token-000000000000')).statusCode, 401);
      assert.equal((await call(limited, '/v1/events', 'Bearer wrong-token-000000000000')).statusCode, 429);
    } finally {
      await limited.close();
    }
  });

  test('without tokens: per client address', async () => {
    const limited = await buildApi({ store: client, registry: createMetricsRegistry(), logger: createLogger('silent'), rateLimit: { max: 2, timeWindowMs: 60_000 } });
    try {
      const from = (address: string) => limited.inject({ method: 'GET', url: '/v1/codes/CSBS.9999', remoteAddress: address });
      assert.equal((await from('127.0.0.1')).statusCode, 200);
      assert.equal((await from('127.0.0.1')).statusCode, 200);
      assert.equal((await from('127.0.0.1')).statusCode, 429);
      assert.equal((await from('127.0.0.2')).statusCode, 200);
    } finally {
      await limited.close();
    }
  });
});
