/**
 * Property-based: random parameter values (valid, borderline and garbage, repeated, unknown names,
 * odd characters) thrown at every /v1 endpoint through the real app on the fixture store. The answer
 * is never a 5xx; a 4xx is always a problem document; a 200 always has the documented top-level
 * shape. (scripts/schemathesis.sh does the same from the OpenAPI document, over HTTP.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { loadFixture, TENANTS, OPERATIONS, testApi } from './support/fixture.js';

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  app = await testApi(client, { now: () => Date.UTC(2026, 10, 19, 12) });
});
after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

const instant = fc.oneof(
  fc.date({ min: new Date('1960-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('2026-11-17'), max: new Date('2026-11-21'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('now', 'now-1h', 'now-24h', 'now-7d', 'now-400d', 'now-1w', 'now-0m', '2026-11-19', '2026-11-19 12:00', '2026-11-19T12:00:00+05:30', 'now+1h', ''),
  fc.string({ maxLength: 30 }),
);
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom("'", '"', '\\', '%', '{x:String}', '\u0000'));
const status = fc.oneof(fc.integer({ min: 0, max: 1000 }).map(String), fc.constantFrom('404', '500', '4e2', '-1', '1.5', 'x', ''));
const smallInt = fc.oneof(fc.integer({ min: -5, max: 20_000 }).map(String), fc.constantFrom('0', '1', 'abc', '1e3', '', '99999999999999999999'));
const groupBy = fc.oneof(
  fc.subarray(['code', 'status', 'tenant', 'operation']).map((a) => a.join(',')),
  fc.constantFrom('', ',', 'code,,tenant', 'CODE', 'code, status', 'colour'),
  fc.string({ maxLength: 20 }),
);
const interval = fc.oneof(fc.constantFrom('1m', '5m', '15m', '1h', '6h', '1d', 'auto'), fc.string({ maxLength: 5 }));

const param = fc.oneof(
  fc.tuple(fc.constant('from'), instant),
  fc.tuple(fc.constant('to'), instant),
  fc.tuple(fc.constant('tenant'), fc.oneof(fc.constantFrom(...TENANTS), anyText)),
  fc.tuple(fc.constant('code'), fc.oneof(fc.constantFrom('CSBS.9999', 'CSBS.9009', 'HTTP.502', 'NOPE.1'), anyText)),
  fc.tuple(fc.constant('status'), status),
  fc.tuple(fc.constant('operation'), fc.oneof(fc.constantFrom(...OPERATIONS), anyText)),
  fc.tuple(fc.constant('group_by'), groupBy),
  fc.tuple(fc.constant('limit'), smallInt),
  fc.tuple(fc.constant('top'), smallInt),
  fc.tuple(fc.constant('interval'), interval),
  fc.tuple(fc.constant('cursor'), fc.oneof(anyText, fc.base64String({ maxLength: 200 }))),
  fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), anyText),
);

const path = fc.oneof(
  fc.constantFrom('/v1/errors/frequency', '/v1/errors/trend', '/v1/errors/rate', '/v1/codes', '/v1/events'),
  fc.oneof(fc.constantFrom('CSBS.9999', 'CSBS.9009', 'CSBS.6040', 'HTTP.502', 'X.1', 'CSBS.', '..'), anyText).map((code) => `/v1/codes/${encodeURIComponent(code)}`),
);

const TOP_LEVEL: Record<string, string[]> = {
  '/v1/errors/frequency': ['from', 'to', 'total', 'previous_total', 'groups'],
  '/v1/errors/trend': ['from', 'to', 'interval', 'series'],
  '/v1/errors/rate': ['from', 'to', 'interval', 'requests', 'errors', 'rate', 'points'],
  '/v1/codes': ['from', 'to', 'codes'],
  '/v1/events': ['from', 'to', 'events', 'next_cursor'],
};

test('no parameter values make a 5xx; every error is a problem document', async () => {
  let answered = 0;
  let ok = 0;
  await fc.assert(
    fc.asyncProperty(path, fc.array(param, { maxLength: 6 }), async (p, params) => {
      const query = new URLSearchParams();
      for (const [k, v] of params) query.append(k, v);
      const response = await app.inject({ method: 'GET', url: `${p}?${query}` });
      answered += 1;
      assert.ok(response.statusCode < 500, `${p}?${query} -> ${response.statusCode} ${response.body}`);
      if (response.statusCode >= 400) {
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/, `${p}?${query}`);
        const body = response.json() as { status: number; detail: string };
        assert.equal(body.status, response.statusCode);
        if (response.statusCode === 400) assert.equal(typeof (body as { parameter?: string }).parameter, 'string', `${p}?${query}: ${response.body}`);
      } else {
        ok += 1;
        // The request URL is resolved first, so dot segments ('/v1/codes/.') name the parent route.
        const route = new URL(p, 'http://api').pathname.replace(/\/$/, '');
        const expected = TOP_LEVEL[route] ?? ['code', 'known', 'rows', 'count', 'from', 'to'];
        const body = response.json() as Record<string, unknown>;
        for (const key of expected) assert.ok(key in body, `${p}: ${key} missing`);
      }
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 400), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
  );
  assert.ok(answered > 0);
  assert.ok(ok > 0, 'some random requests were valid');
});
