/**
 * Bad input and the edges of the query API: every class of invalid parameter is a 400
 * application/problem+json naming it; limits on points; the OpenAPI document and its UI; health and
 * readiness; a failing store is a 500 without details; overload protection is installed.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '@csbs-errors/api';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import type { ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { loadFixture, testApi } from './support/fixture.js';

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  app = await testApi(client);
});
after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  parameter?: string;
}

async function expectProblem(url: string, status: number, parameter?: string): Promise<Problem> {
  const response = await app.inject({ method: 'GET', url });
  assert.equal(response.statusCode, status, `${url}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/, url);
  const body = response.json() as Problem;
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  if (parameter !== undefined) {
    assert.equal(body.parameter, parameter, `${url}: ${body.detail}`);
    assert.ok(body.detail.startsWith(`${parameter}:`), body.detail);
  }
  assert.doesNotMatch(response.body, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  return body;
}

const W = 'from=2026-11-18T00:00:00Z&to=2026-11-19T00:00:00Z';
const ENDPOINTS = ['/v1/errors/frequency', '/v1/errors/trend', '/v1/errors/rate', '/v1/codes', '/v1/codes/CSBS.9999', '/v1/events'];

describe('bad parameters', () => {
  test('common filters, on every endpoint', async () => {
    const cases: Array<[string, string]> = [
      ['bogus=1', 'bogus'],
      ['from=yesterday', 'from'],
      ['from=2026-13-45T00:00:00Z', 'from'],
      ['to=now+1h', 'to'],
      ['to=', 'to'],
      ['from=2026-11-19T00:00:00Z&to=2026-11-18T00:00:00Z', 'from'],
      ['from=2026-11-18T00:00:00Z&to=2026-11-18T00:00:00Z', 'from'],
      ['from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['from=1969-12-31T00:00:00Z', 'from'],
      ['to=9999-01-01T00:00:00Z', 'to'],
      ['status=abc', 'status'],
      ['status=99', 'status'],
      ['status=600', 'status'],
      ['status=404&status=4.5', 'status'],
      ['tenant=', 'tenant'],
      [`tenant=${'x'.repeat(129)}`, 'tenant'],
      [Array.from({ length: 101 }, (_, i) => `operation=o${i}`).join('&'), 'operation'],
      ['code=', 'code'],
    ];
    for (const endpoint of ENDPOINTS) {
      for (const [query, parameter] of cases) {
        // /v1/codes/{code} takes no `code` filter: any `code` there is an unknown parameter, named too.
        await expectProblem(`${endpoint}?${query}`, 400, parameter);
      }
    }
  });

  test('endpoint parameters', async () => {
    const cases: Array<[string, string]> = [
      [`/v1/errors/frequency?${W}&group_by=code,colour`, 'group_by'],
      [`/v1/errors/frequency?${W}&group_by=`, 'group_by'],
      [`/v1/errors/frequency?${W}&group_by=,`, 'group_by'],
      [`/v1/errors/frequency?${W}&limit=0`, 'limit'],
      [`/v1/errors/frequency?${W}&limit=10001`, 'limit'],
      [`/v1/errors/frequency?${W}&limit=ten`, 'limit'],
      [`/v1/errors/frequency?${W}&limit=1.5`, 'limit'],
      [`/v1/errors/frequency?${W}&limit=1&limit=2`, 'limit'],
      [`/v1/errors/frequency?${W}&interval=1h`, 'interval'],
      [`/v1/errors/trend?${W}&interval=2m`, 'interval'],
      [`/v1/errors/trend?${W}&group_by=region`, 'group_by'],
      [`/v1/errors/trend?${W}&limit=1001`, 'limit'],
      ['/v1/errors/trend?from=2026-11-01T00:00:00Z&to=2026-11-08T00:00:00Z&interval=1m', 'interval'],
      ['/v1/errors/trend?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&interval=1m&group_by=code&limit=100', 'limit'],
      [`/v1/errors/rate?${W}&interval=weekly`, 'interval'],
      [`/v1/errors/rate?${W}&group_by=code`, 'group_by'],
      ['/v1/errors/rate?from=2025-11-01T00:00:00Z&to=2026-11-01T00:00:00Z&interval=1h', 'interval'],
      [`/v1/codes?${W}&top=0`, 'top'],
      [`/v1/codes?${W}&top=101`, 'top'],
      [`/v1/codes?${W}&limit=-1`, 'limit'],
      [`/v1/codes/CSBS.9999?${W}&code=CSBS.9999`, 'code'],
      [`/v1/codes/not-a-code?${W}`, 'code'],
      [`/v1/codes/${'A.'.padEnd(130, 'x')}?${W}`, 'code'],
      [`/v1/events?${W}&limit=1001`, 'limit'],
      [`/v1/events?${W}&cursor=`, 'cursor'],
      [`/v1/events?${W}&cursor=%F0%9F%92%A5`, 'cursor'],
      [`/v1/events?${W}&cursor=${'a'.repeat(1025)}`, 'cursor'],
      [`/v1/events?${W}&group_by=code`, 'group_by'],
    ];
    for (const [url, parameter] of cases) await expectProblem(url, 400, parameter);
  });

  test('values that look like SQL are data, never SQL', async () => {
    for (const value of ["'; DROP TABLE events; --", "x' OR '1'='1", '\\', '{f_tenant:String}', 'a\u0000b']) {
      const response = await app.inject({ method: 'GET', url: `/v1/errors/frequency?${W}&tenant=${encodeURIComponent(value)}&operation=${encodeURIComponent(value)}` });
      assert.equal(response.statusCode, 200, value);
      assert.equal((response.json() as { total: number }).total, 0);
    }
    const still = (await app.inject({ method: 'GET', url: `/v1/errors/frequency?${W}` })).json() as { total: number };
    assert.ok(still.total > 0, 'the events are still there');
  });

  test('unknown paths and methods are problems too', async () => {
    await expectProblem('/v1/nothing', 404);
    const post = await app.inject({ method: 'POST', url: '/v1/errors/frequency' });
    assert.equal(post.statusCode, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.match(String(post.headers['content-type']), /problem\+json/);
  });
});

describe('the rest of the surface', () => {
  test('OpenAPI 3 at /openapi.json with every endpoint and its parameters; the UI at /docs', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200);
    const doc = response.json() as { openapi: string; paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string }>; responses?: Record<string, unknown> } }> };
    assert.match(doc.openapi, /^3\./);
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/v1/alerts', '/v1/codes', '/v1/codes/{code}', '/v1/errors/frequency', '/v1/errors/rate', '/v1/errors/trend', '/v1/events', '/v1/reports/postmortem']);
    const names = (path: string) => (doc.paths[path]?.get?.parameters ?? []).map((p) => p.name).sort();
    assert.deepEqual(names('/v1/errors/frequency'), ['code', 'from', 'group_by', 'limit', 'operation', 'status', 'tenant', 'to']);
    assert.deepEqual(names('/v1/events'), ['code', 'cursor', 'from', 'limit', 'operation', 'status', 'tenant', 'to']);
    assert.ok(doc.paths['/v1/errors/trend']?.get?.responses?.['400'], '400 documented');
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  test('/healthz, /readyz and /metrics', async () => {
    assert.deepEqual((await app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', store: true, migrations: true });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /csbs_errors_/);
  });

  test('a failing store: /readyz is 503, queries are 500 problems without details or stack traces', async () => {
    const broken = {
      query: async () => {
        throw new Error('connect ECONNREFUSED 10.1.2.3:8123 secret-detail');
      },
      ping: async () => ({ success: false, error: new Error('down') }),
    } as unknown as ClickHouseClient;
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const failing = await buildApi({ store: broken, registry: createMetricsRegistry(), logger, rateLimit: false });
    try {
      const ready = await failing.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      for (const endpoint of ENDPOINTS) {
        const response = await failing.inject({ method: 'GET', url: `${endpoint}?${W}` });
        assert.equal(response.statusCode, 500, endpoint);
        assert.match(String(response.headers['content-type']), /problem\+json/);
        assert.doesNotMatch(response.body, /ECONNREFUSED|secret-detail|\.ts:\d+|\.js:\d+/);
      }
      assert.ok(lines.some((l) => l.includes('secret-detail')), 'the cause is in the server log');
    } finally {
      await failing.close();
    }
  });

  test('each query has a time limit (503 past it) and a row cap (422 past it)', async () => {
    const options = { store: client, registry: createMetricsRegistry(), logger: createLogger('silent'), rateLimit: false as const, rollups: [] };
    const slow = await buildApi({ ...options, queryLimits: { maxExecutionSeconds: 0.000001, maxResultRows: 100_000 } });
    const capped = await buildApi({ ...options, queryLimits: { maxExecutionSeconds: 10, maxResultRows: 10 } });
    try {
      const url = '/v1/events?from=2026-11-17T00:00:00Z&to=2026-11-21T00:00:00Z&limit=100';
      const timedOut = await slow.inject({ method: 'GET', url });
      assert.equal(timedOut.statusCode, 503, timedOut.body);
      assert.match(String(timedOut.headers['content-type']), /problem\+json/);
      const tooMany = await capped.inject({ method: 'GET', url });
      assert.equal(tooMany.statusCode, 422, tooMany.body);
      assert.match(String(tooMany.headers['content-type']), /problem\+json/);
      assert.equal((await capped.inject({ method: 'GET', url: url.replace('limit=100', 'limit=5') })).statusCode, 200);
      // The limits belong to those queries only: they do not stay on the (embedded) session.
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200);
      assert.equal((await client.query({ query: 'SELECT number FROM numbers(50)', format: 'JSONEachRow' }).then((r) => r.json())).length, 50);
    } finally {
      await slow.close();
      await capped.close();
    }
  });

  test('overload protection answers 503 problems (event loop blocked)', async () => {
    const guarded = await testApi(client, { pressure: { maxEventLoopDelayMs: 50 } });
    try {
      await guarded.ready();
      const until = Date.now() + 1_200;
      while (Date.now() < until) {
        // Block the event loop, as an overloaded process would.
      }
      await new Promise((r) => setTimeout(r, 600));
      const response = await guarded.inject({ method: 'GET', url: `/v1/errors/frequency?${W}` });
      if (response.statusCode === 503) {
        assert.match(String(response.headers['content-type']), /problem\+json/);
        assert.equal(response.headers['retry-after'], '5');
      } else {
        // The sampler may already have recovered on a fast machine; the plugin must at least be there.
        assert.ok(guarded.hasDecorator('isUnderPressure') || 'memoryUsage' in guarded);
      }
      assert.equal((await guarded.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'liveness stays green');
    } finally {
      await guarded.close();
    }
  });
});
