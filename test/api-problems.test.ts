/**
 * Every error answer of the API is a problem of the catalogued types: the catalog itself (unique
 * codes and type URIs, documented in docs/api-problems.md and in the OpenAPI description), each
 * type's answer through the app, the HTTP layer's own answers on a real socket (bad percent-encoding,
 * an over-long path parameter, headers too large, a malformed request line, a request arriving while
 * the server closes), and cursors whose check value is right but whose body the server never wrote.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { PROBLEM_TYPES, problemTypeUri, type ProblemBody, type ProblemCode } from '@csbs-errors/api';
import type { ClickHouseClient } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { loadFixture, testApi } from './support/fixture.js';
import { repoRoot } from './support/cli.js';

let store: TestStore;
let client: ClickHouseClient;
let app: FastifyInstance;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
  await loadFixture(client);
  app = await testApi(client, { pressure: false });
});
after(async () => {
  await app?.close();
  await client?.close();
  await store?.dispose();
});

const CODES = Object.keys(PROBLEM_TYPES) as ProblemCode[];
const W = 'from=2026-11-19T11:00:00Z&to=2026-11-19T13:00:00Z';

/** The answer is the problem `code` in every field the catalog decides. */
function assertProblem(status: number, contentType: unknown, text: string, code: ProblemCode): ProblemBody {
  assert.equal(status, PROBLEM_TYPES[code].status, text);
  assert.match(String(contentType), /^application\/problem\+json/);
  const body = JSON.parse(text) as ProblemBody;
  assert.equal(body.code, code, text);
  assert.equal(body.type, problemTypeUri(code));
  assert.equal(body.title, PROBLEM_TYPES[code].title);
  assert.equal(body.status, status);
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.length > 0);
  return body;
}

async function expectInjected(request: InjectOptions, code: ProblemCode, on: FastifyInstance = app): Promise<ProblemBody> {
  const response = await on.inject(request);
  const body = assertProblem(response.statusCode, response.headers['content-type'], response.body, code);
  assert.match(body.instance ?? '', /^urn:csbs-errors:request:\S+$/, 'the occurrence is named by its request id');
  return body;
}

describe('the catalog', () => {
  test('codes, statuses and type URIs are unique, never about:blank', () => {
    const types = CODES.map(problemTypeUri);
    assert.equal(new Set(types).size, CODES.length);
    for (const code of CODES) {
      assert.match(code, /^ERR_[A-Z_]+$/);
      assert.match(problemTypeUri(code), /^urn:csbs-errors:problem:[a-z-]+$/);
      const { status, title, description } = PROBLEM_TYPES[code];
      assert.ok(status >= 400 && status < 600, code);
      assert.ok(title.length > 0 && description.length > 0, code);
    }
  });

  test('docs/api-problems.md and the OpenAPI description list every code with its status and type', async () => {
    const docs = readFileSync(new URL('docs/api-problems.md', `file://${repoRoot}`), 'utf8');
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      info: { description: string };
      paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema: { properties: { code: { enum: string[] } } } }> }> } }>;
    };
    for (const code of CODES) {
      const { status } = PROBLEM_TYPES[code];
      assert.match(docs, new RegExp(`\\| ${status} \\| \`${code}\` \\| \`${problemTypeUri(code)}\` \\|`), `docs: ${code}`);
      assert.match(spec.info.description, new RegExp(`\\| ${status} \\| \`${code}\` \\|`), `openapi: ${code}`);
    }
    const bad = spec.paths['/v1/errors/frequency']?.get.responses['400']?.content?.['application/problem+json'];
    assert.deepEqual(bad?.schema.properties.code.enum, CODES);
  });
});

describe('each problem type, through the app', () => {
  test('validation names every invalid parameter', async () => {
    const body = await expectInjected({ method: 'GET', url: `/v1/errors/frequency?${W}&bogus=1&limit=0&status=abc` }, 'ERR_INVALID_PARAMETER');
    assert.deepEqual(body.invalid_params?.map((p) => p.name).sort(), ['bogus', 'limit', 'status']);
    assert.equal(body.parameter, body.invalid_params?.[0]?.name);
    assert.ok(body.detail.startsWith(`${body.parameter}: `));
    const window = await expectInjected({ method: 'GET', url: `/v1/errors/trend?from=now-1h&to=yesterday` }, 'ERR_INVALID_PARAMETER');
    assert.deepEqual(window.invalid_params, [{ name: 'to', reason: 'expected an ISO-8601 instant or a relative time such as now-1h' }]);
  });

  test('unknown code, unknown route, another method', async () => {
    const unknown = await expectInjected({ method: 'GET', url: `/v1/codes/CSBS.4242?${W}` }, 'ERR_UNKNOWN_CODE');
    assert.equal(unknown.parameter, 'code');
    await expectInjected({ method: 'GET', url: '/v1/nothing' }, 'ERR_NOT_FOUND');
    await expectInjected({ method: 'GET', url: '/nothing/at/all?x=1' }, 'ERR_NOT_FOUND');
    const response = await app.inject({ method: 'DELETE', url: '/v1/codes/CSBS.9999' });
    assertProblem(response.statusCode, response.headers['content-type'], response.body, 'ERR_METHOD_NOT_ALLOWED');
    assert.equal(response.headers.allow, 'GET, HEAD');
  });

  test('bodies: too large, of a media type it cannot read, unreadable', async () => {
    const url = '/v1/errors/frequency';
    await expectInjected({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(1_100_000)}"` }, 'ERR_BODY_TOO_LARGE');
    await expectInjected({ method: 'POST', url, headers: { 'content-type': ';;' }, payload: 'x' }, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    await expectInjected({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{oops' }, 'ERR_BAD_REQUEST');
  });

  test('tokens: 401 with WWW-Authenticate, 403 naming tenant', async () => {
    const guarded = await testApi(client, { pressure: false, tokens: [{ token: 'tenant-token-0123456789', tenant: 't-beta' }] });
    try {
      const response = await guarded.inject({ method: 'GET', url: `/v1/errors/frequency?${W}` });
      assertProblem(response.statusCode, response.headers['content-type'], response.body, 'ERR_UNAUTHORIZED');
      assert.match(String(response.headers['www-authenticate']), /^Bearer /);
      const other = await expectInjected({ method: 'GET', url: `/v1/errors/frequency?${W}&tenant=t-alpha`, headers: { authorization: 'Bearer tenant-token-0123456789' } }, 'ERR_FORBIDDEN_TENANT', guarded);
      assert.equal(other.parameter, 'tenant');
    } finally {
      await guarded.close();
    }
  });

  test('the row cap, the query time limit and a failing store', async () => {
    const capped = await testApi(client, { pressure: false, rollups: [], queryLimits: { maxExecutionSeconds: 10, maxResultRows: 3 } });
    const broken = await testApi({ query: async () => Promise.reject(new Error('store down')), ping: async () => ({ success: false }) } as unknown as ClickHouseClient, { pressure: false });
    try {
      await expectInjected({ method: 'GET', url: `/v1/events?${W}&limit=50` }, 'ERR_ANSWER_TOO_LARGE', capped);
      const failed = await expectInjected({ method: 'GET', url: `/v1/events?${W}` }, 'ERR_INTERNAL', broken);
      assert.doesNotMatch(failed.detail, /store down/);
    } finally {
      await capped.close();
      await broken.close();
    }
  });
});

describe('the HTTP layer, on a real socket', () => {
  /** One raw request; the status line's code, headers and body of the answer. */
  async function raw(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
      socket.write(request);
    });
    const [head = '', body = ''] = text.split('\r\n\r\n', 2);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body };
  }
  const contentType = (headers: string) => /^content-type: (.+)$/im.exec(headers)?.[1];

  test('bad percent-encoding, over-long path parameter, headers too large, malformed request line', async () => {
    const served = await testApi(client, { pressure: false });
    try {
      await served.listen({ host: '127.0.0.1', port: 0 });
      const { port } = served.server.address() as { port: number };
      const get = (target: string, extra = '') => raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`);
      const cases: Array<[string, ProblemCode, string?]> = [
        ['/v1/codes/%zz', 'ERR_INVALID_URL'],
        ['/v1/codes/CSBS.%E0%A4%A', 'ERR_INVALID_URL'],
        [`/v1/codes/${'A'.repeat(2_100)}`, 'ERR_URI_TOO_LONG'],
        [`/v1/codes/CSBS.9999?${W}`, 'ERR_HEADERS_TOO_LARGE', `X-Filler: ${'f'.repeat(20_000)}\r\n`],
      ];
      for (const [target, code, extra] of cases) {
        const answer = await get(target, extra);
        const body = assertProblem(answer.status, contentType(answer.headers), answer.body, code);
        assert.doesNotMatch(answer.body, /%zz|AAAAAAAAAA/, 'the detail does not repeat the URL');
        if (code !== 'ERR_HEADERS_TOO_LARGE') assert.match(body.instance ?? '', /^urn:csbs-errors:request:/);
      }
      const garbage = await raw(port, 'NOT AN HTTP REQUEST\r\n\r\n');
      assertProblem(garbage.status, contentType(garbage.headers), garbage.body, 'ERR_BAD_REQUEST');
      // The same server still answers good requests.
      assert.equal((await get(`/v1/codes/CSBS.9999?${W}`)).status, 200);
    } finally {
      await served.close();
    }
  });

  test('a request that arrives while the server closes is a 503 problem, Connection: close', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowStore = {
      query: async (...args: Parameters<ClickHouseClient['query']>) => {
        await gate;
        return client.query(...args);
      },
      ping: async () => ({ success: true }),
    } as unknown as ClickHouseClient;
    const served = await testApi(slowStore, { pressure: false, cache: false });
    await served.listen({ host: '127.0.0.1', port: 0 });
    const { port } = served.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let firstAnswered!: () => void;
    const first = new Promise<void>((resolve) => (firstAnswered = resolve));
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      if (/\r\n\r\n\{/.test(received) && received.trimEnd().endsWith('}')) firstAnswered();
    });
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const request = `GET /v1/errors/frequency?${W} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    socket.write(request);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closing = served.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await first;
    assert.match(received, /^HTTP\/1\.1 200 /, 'the request in flight is answered');
    const answered = received.length;
    socket.write(request);
    await Promise.all([closing, ended]);
    const second = received.slice(answered);
    const [head = '', body = ''] = second.split('\r\n\r\n', 2);
    assertProblem(Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), contentType(head), body, 'ERR_SHUTTING_DOWN');
    assert.match(head, /^connection: close$/im);
    assert.match(head, /^retry-after: \d+$/im);
  });
});

describe('cursors', () => {
  /** A cursor with a valid check value around any body, made the way the server seals its own. */
  const seal = (body: string) => {
    const check = createHash('sha256').update(`csbs-errors/cursor/v1\n${body}`).digest('base64url').slice(0, 16);
    return Buffer.from(JSON.stringify([body, check]), 'utf8').toString('base64url');
  };

  test('a body the server never wrote is a 400 naming cursor, even with a valid check value', async () => {
    const page = await app.inject({ method: 'GET', url: `/v1/events?${W}&limit=2` });
    assert.equal(page.statusCode, 200);
    const cursor = (page.json() as { next_cursor: string | null }).next_cursor;
    assert.ok(cursor, 'the fixture has more than one page');
    const [body] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    // Sealing the server's own body again gives a cursor it accepts: the forgeries below differ only in the body.
    assert.equal(seal(body), cursor);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/events?${W}&limit=2&cursor=${seal(body)}` })).statusCode, 200);
    const fields = JSON.parse(body) as unknown[];
    const variant = (index: number, value: unknown) => JSON.stringify(fields.map((v, i) => (i === index ? value : v)));
    const forged = [
      'null',
      '[]',
      '{}',
      '"text"',
      '42',
      'not json',
      JSON.stringify(fields.slice(0, -1)),
      JSON.stringify([...fields, 'extra']),
      variant(0, 2),
      variant(1, '2026-11-19T12:00:00Z'),
      variant(1, -1),
      variant(1, 1.5),
      variant(2, null),
      variant(3, -1),
      variant(3, 2 ** 32),
      variant(4, 12),
      variant(4, 'abc'),
      variant(4, '99999999999999999999'),
      variant(5, null),
      variant(6, { digest: 1 }),
    ];
    for (const text of forged) {
      const response = await app.inject({ method: 'GET', url: `/v1/events?${W}&limit=2&cursor=${seal(text)}` });
      assert.equal(response.statusCode, 400, `${text}: ${response.body}`);
      const problem = assertProblem(response.statusCode, response.headers['content-type'], response.body, 'ERR_INVALID_PARAMETER');
      assert.equal(problem.parameter, 'cursor', text);
    }
  });
});
