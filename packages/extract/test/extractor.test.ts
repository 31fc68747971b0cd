import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Catalog, loadDefaultCatalog } from '@csbs-errors/catalog';
import { createExtractor, extractorOptionsSchema, type ErrorEvent, type RecordOutcome, type RequestSample } from '@csbs-errors/extract';

const extractor = createExtractor();
const P = '0123456789abcdef0123456789abcdef';
const U = '5c47577b-3f12-468e-b2ff-d03d4eac98d6';
const T = 1_795_827_353_132; // 2026-11-28T00:55:53.132Z
const CSBS_6006 = JSON.stringify({ error_code: 'CSBS.6006', error_msg: `Server (${U}) status (SHUTOFF) is not allowed to protect.` });

function apisix(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request: {
      url: `https://csbs.example.com:443/v1/${P}/policies?limit=1`,
      uri: `/v1/${P}/policies?limit=1`,
      method: 'GET',
      headers: { host: 'csbs.example.com', 'x-auth-token': 'MIIZsecret-token', authorization: 'Bearer secret', cookie: 'session=secret' },
      body: '{"password":"secret-request-body"}',
    },
    response: { status: 400, headers: { 'content-type': 'application/json' }, body: CSBS_6006 },
    service_id: 'csbs',
    route_id: 'csbs-v1',
    client_ip: '203.0.113.139',
    start_time: T + 0.4,
    latency: 519.25,
    ...overrides,
  };
}

function kong(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request: { id: 'kong-request-id', method: 'POST', uri: `/csbs/v1/${P}/restores`, headers: { host: 'api.example.com', 'x-auth-token': 'MIIZsecret-token' } },
    response: { status: 500, headers: {}, body: '{"error_code":"CSBS.9999","error_msg":"Restore server failed"}' },
    latencies: { kong: 2, proxy: 21, request: 24 },
    service: { name: 'csbs', host: 'csbs.internal' },
    route: { name: 'csbs-v1' },
    consumer: null,
    client_ip: '203.0.113.250',
    started_at: T,
    upstream_uri: `/v1/${P}/restores`,
    ...overrides,
  };
}

function flat(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: '2026-11-28T00:55:53.132Z',
    method: 'DELETE',
    path: `/v1/${P}/plans/${U}`,
    status: 404,
    request_id: 'flat-request-id',
    duration: 258,
    upstream_cluster: 'csbs',
    resp_body: '{"error_code":"CSBS.3000","error_msg":"plan not found"}',
    ...overrides,
  };
}

function only(outcomes: RecordOutcome[]): RecordOutcome {
  assert.equal(outcomes.length, 1, JSON.stringify(outcomes));
  return outcomes[0] ?? assert.fail('no outcome');
}

function eventOf(record: unknown, use = extractor): ErrorEvent {
  const outcome = only(use.extractMessage(JSON.stringify(record)));
  if (outcome.kind !== 'event') assert.fail(`expected an event, got ${JSON.stringify(outcome)}`);
  assert.deepEqual(outcome.request, { ts: outcome.event.ts, tenant: outcome.event.tenant, operation: outcome.event.operation, status: outcome.event.status });
  return outcome.event;
}

function requestOf(record: unknown, use = extractor): RequestSample {
  const outcome = only(use.extractMessage(JSON.stringify(record)));
  if (outcome.kind !== 'request') assert.fail(`expected a request, got ${JSON.stringify(outcome)}`);
  return outcome.request;
}

function deadOf(record: unknown, use = extractor): { reason: string; detail: string } {
  const outcome = only(use.extractMessage(JSON.stringify(record)));
  if (outcome.kind !== 'dead') assert.fail(`expected a dead letter, got ${JSON.stringify(outcome)}`);
  return { reason: outcome.reason, detail: outcome.detail };
}

describe('the event', () => {
  it('is built in the contract field order, description and solution right after unused', () => {
    const event = eventOf(apisix());
    assert.deepEqual(Object.keys(event), [
      'code', 'message', 'status', 'tenant', 'method', 'path', 'route', 'operation', 'request_id', 'ts', 'known', 'catalog_status',
      'status_mismatch', 'unused', 'description', 'solution', 'params', 'gateway', 'latency_ms',
    ]);
  });

  it('carries the catalog row: known, status, mismatch, unused, description, solution, params', () => {
    assert.deepEqual(eventOf(apisix()), {
      code: 'CSBS.6006',
      message: `Server (${U}) status (SHUTOFF) is not allowed to protect.`,
      status: 400,
      tenant: P,
      method: 'GET',
      path: `/v1/${P}/policies`,
      route: '/v1/{project_id}/policies',
      operation: 'list_policies',
      request_id: '',
      ts: '2026-11-28T00:55:53.132Z',
      known: true,
      catalog_status: 400,
      status_mismatch: false,
      unused: false,
      description: 'This type of server does not support backup.',
      solution: 'Select servers of a correct type.',
      params: [U, 'SHUTOFF'],
      gateway: 'apisix',
      latency_ms: 519.25,
    });
    const mismatch = eventOf(flat({ status: 503 }));
    assert.deepEqual([mismatch.known, mismatch.catalog_status, mismatch.status_mismatch, mismatch.params], [true, 404, true, []]);
    const unused = eventOf(flat({ resp_body: '{"error_code":"CSBS.1002","error_msg":"resource_in_protecting"}', status: 500 }));
    assert.deepEqual([unused.unused, unused.status_mismatch, unused.description], [true, false, 'The selected server is being backed up. (Not used currently.)']);
  });

  it('an unknown code is kept with known false, status 0, no mismatch, empty description', () => {
    const event = eventOf(flat({ resp_body: '{"error_code":"CSBS.0000","error_msg":"new"}', status: 400 }));
    assert.deepEqual([event.code, event.known, event.catalog_status, event.status_mismatch, event.unused, event.description, event.solution, event.params], [
      'CSBS.0000', false, 0, false, false, '', '', [],
    ]);
  });

  it('uses the catalog it is given', () => {
    const custom = new Catalog([{ status: 418, code: 'CSBS.0000', template: 'new %s', description: 'teapot', solution: 'tea', unused: true }]);
    const event = eventOf(flat({ resp_body: '{"error_code":"CSBS.0000","error_msg":"new kettle"}', status: 400 }), createExtractor({ catalog: custom }));
    assert.deepEqual([event.known, event.catalog_status, event.status_mismatch, event.unused, event.params], [true, 418, true, true, ['kettle']]);
  });

  it('status < 400 gives a request sample and no event', () => {
    assert.deepEqual(requestOf(apisix({ response: { status: 200 } })), { ts: '2026-11-28T00:55:53.132Z', tenant: P, operation: 'list_policies', status: 200 });
    assert.deepEqual(requestOf(flat({ status: 399 })).status, 399);
    assert.equal(eventOf(flat({ status: 400 })).status, 400);
  });

  it('never carries headers, tokens, request bodies or client IPs', () => {
    for (const record of [apisix(), kong(), flat()]) {
      const text = JSON.stringify(extractor.extractMessage(JSON.stringify(record)));
      for (const secret of ['MIIZsecret-token', 'Bearer secret', 'session=secret', 'secret-request-body', '203.0.113', 'x-auth-token', 'limit=1']) {
        assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
      }
    }
  });
});

describe('formats', () => {
  it('apisix: request.uri + response.status + start_time; float epoch ms with the fraction dropped', () => {
    const event = eventOf(apisix({ start_time: 1_795_827_353_132.999 }));
    assert.deepEqual([event.gateway, event.ts, event.latency_ms, event.method], ['apisix', '2026-11-28T00:55:53.132Z', 519.25, 'GET']);
    assert.equal(eventOf(apisix({ start_time: '1795827353132' })).ts, '2026-11-28T00:55:53.132Z');
  });

  it('kong: started_at + response.status + latencies; upstream_uri before request.uri; latencies.request', () => {
    const event = eventOf(kong());
    assert.deepEqual([event.gateway, event.path, event.route, event.operation, event.ts, event.latency_ms, event.request_id], [
      'kong', `/v1/${P}/restores`, '/v1/{project_id}/restores', 'restore_backup', '2026-11-28T00:55:53.132Z', 24, 'kong-request-id',
    ]);
    const { upstream_uri: _dropped, ...withoutUpstream } = kong();
    assert.equal(eventOf(withoutUpstream).path, `/csbs/v1/${P}/restores`);
    assert.equal(eventOf(withoutUpstream).operation, 'restore_backup');
  });

  it('flat: the status key may be status, response_code or status_code, a number or a numeric string', () => {
    for (const key of ['status', 'response_code', 'status_code']) {
      for (const value of [404, '404']) {
        const { status: _dropped, ...record } = flat();
        const event = eventOf({ ...record, [key]: value });
        assert.deepEqual([event.gateway, event.status, event.operation, event.latency_ms, event.request_id], ['flat', 404, 'delete_plan', 258, 'flat-request-id']);
      }
    }
  });

  it('flat: method / request_method; path / uri / request_uri / upstream_uri, first present; latency_ms', () => {
    const { method: _m, path: _p, duration: _d, ...bare } = flat();
    const event = eventOf({ ...bare, request_method: 'DELETE', request_uri: `/v1/${P}/plans/${U}?x=1`, upstream_uri: '/ignored', latency_ms: 7.5 });
    assert.deepEqual([event.method, event.path, event.operation, event.latency_ms], ['DELETE', `/v1/${P}/plans/${U}`, 'delete_plan', 7.5]);
    assert.equal(eventOf({ ...bare, method: 'GET', uri: `/v1/${P}/plans` }).operation, 'list_plans');
    assert.equal(eventOf({ ...bare, method: 'GET', path: `https://csbs.example.com/v1/${P}/plans?q` }).path, `/v1/${P}/plans`);
  });

  it('flat: credentials in a logged URL never reach the path (scheme, userinfo and host are dropped)', () => {
    const { method: _m, path: _p, ...bare } = flat();
    const targets = [
      `//user:s3cret@csbs.example.com/v1/${P}/plans`,
      `//user:s3cret@csbs.example.com:8443/v1/${P}/plans?token=x`,
      `http://user:s3cret@csbs.example.com/v1/${P}/plans`,
      `HTTPS://user:p@ss:w0rd@csbs.example.com/v1/${P}/plans`,
      `//user@csbs.example.com/v1/${P}/plans`,
    ];
    for (const target of targets) {
      const event = eventOf({ ...bare, method: 'GET', path: target });
      assert.deepEqual([event.path, event.operation], [`/v1/${P}/plans`, 'list_plans'], target);
      assert.doesNotMatch(JSON.stringify(event), /s3cret|w0rd|user@|user:/, target);
    }
    // A doubled leading slash without credentials is a path, not a host.
    assert.equal(eventOf({ ...bare, method: 'GET', path: `//v1/${P}/plans` }).path, `//v1/${P}/plans`);
  });

  it('flat times: ISO-8601 with any offset, epoch seconds or milliseconds by magnitude, in any time key', () => {
    const cases: Array<[string, unknown, string]> = [
      ['timestamp', '2026-11-28T00:55:53.132Z', '2026-11-28T00:55:53.132Z'],
      ['time', '2026-11-28T01:55:53.132+01:00', '2026-11-28T00:55:53.132Z'],
      ['start_time', '2026-11-27T19:25:53-0530', '2026-11-28T00:55:53.000Z'],
      ['@timestamp', '2026-11-28 00:55:53.132456789', '2026-11-28T00:55:53.132Z'],
      ['time', '2026-11-28T00:55:53,5Z', '2026-11-28T00:55:53.500Z'],
      ['time', 1_795_827_353, '2026-11-28T00:55:53.000Z'],
      ['time', 1_795_827_353.132, '2026-11-28T00:55:53.132Z'],
      ['time', '1795827353', '2026-11-28T00:55:53.000Z'],
      ['time', 1_795_827_353_132, '2026-11-28T00:55:53.132Z'],
      ['time', 99_999_999_999, '5138-11-16T09:46:39.000Z'],
      ['time', 100_000_000_000, '1973-03-03T09:46:40.000Z'],
      ['time', '2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ];
    for (const [key, value, ts] of cases) {
      const { timestamp: _dropped, ...record } = flat();
      assert.equal(eventOf({ ...record, [key]: value }).ts, ts, `${key}=${JSON.stringify(value)}`);
    }
  });

  it('a record of no known shape is dead (unknown_format) unless a field mapping fits', () => {
    const envoyish = { req: { verb: 'GET', target: `/v1/${P}/plans` }, res: { code: '500' }, at: '2026-11-28T00:55:53.132Z', took: 3 };
    assert.equal(deadOf(envoyish).reason, 'unknown_format');
    const mapped = createExtractor({ fieldMapping: { method: 'req.verb', path: 'req.target', status: 'res.code', time: 'at', latency_ms: 'took' } });
    const event = eventOf(envoyish, mapped);
    assert.deepEqual([event.gateway, event.code, event.operation, event.latency_ms, event.ts], ['mapped', 'HTTP.500', 'list_plans', 3, '2026-11-28T00:55:53.132Z']);
    // Built-in formats still come first in auto mode.
    assert.equal(eventOf(flat(), mapped).gateway, 'flat');
  });

  it('a field mapping reads body, request id, tenant, service and host', () => {
    const mapped = createExtractor({
      format: 'mapped',
      fieldMapping: {
        method: 'm', path: 'p', status: 's', time: 't', body: 'out.body', request_id: 'ids.request', tenant: 'who', service: 'svc', host: 'h',
      },
    });
    const record = { m: 'GET', p: '/internal/jobs/42', s: 400, t: T, out: { body: { error_code: 'CSBS.3000', error_msg: 'plan not found' } }, ids: { request: 'rid' }, who: 'tenant-a', svc: 'karbor-api', h: 'x' };
    const event = eventOf(record, mapped);
    assert.deepEqual([event.code, event.request_id, event.tenant, event.route, event.operation, event.gateway], ['CSBS.3000', 'rid', 'tenant-a', '/internal/jobs/{id}', 'unknown', 'mapped']);
    assert.equal(only(mapped.extractMessage(JSON.stringify({ ...record, svc: 'nova', h: 'compute' }))).kind, 'skip');
  });

  it('a forced format reads every record as that format', () => {
    const forcedFlat = createExtractor({ format: 'flat' });
    assert.equal(deadOf(apisix(), forcedFlat).reason, 'missing_fields');
    assert.equal(eventOf(flat(), forcedFlat).gateway, 'flat');
    const forcedKong = createExtractor({ format: 'kong' });
    const { latencies: _dropped, ...noLatencies } = kong();
    const event = eventOf(noLatencies, forcedKong);
    assert.deepEqual([event.gateway, event.latency_ms], ['kong', null]);
    assert.equal(deadOf(noLatencies).reason, 'unknown_format'); // auto: not kong without latencies
  });
});

describe('dead records name the missing or unusable field, never the content', () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [flat({ method: undefined }), 'missing_fields', /without a method/],
    [flat({ method: 7 }), 'invalid_fields', /method is not a string/],
    [flat({ path: undefined }), 'missing_fields', /without a request path/],
    [flat({ path: 12 }), 'invalid_fields', /path is not a string/],
    [flat({ status: 'oops' }), 'invalid_fields', /status is not an HTTP status/],
    [flat({ status: 99 }), 'invalid_fields', /status is not an HTTP status/],
    [flat({ status: 600 }), 'invalid_fields', /status is not an HTTP status/],
    [flat({ status: 404.5 }), 'invalid_fields', /status is not an HTTP status/],
    [flat({ timestamp: undefined }), 'missing_fields', /without a time/],
    [flat({ timestamp: 'yesterday' }), 'invalid_fields', /time cannot be read/],
    [flat({ timestamp: '2026-02-30T00:00:00Z' }), 'invalid_fields', /time cannot be read/],
    [flat({ timestamp: '2026-11-28T24:00:00Z' }), 'invalid_fields', /time cannot be read/],
    [flat({ timestamp: -5 }), 'invalid_fields', /time cannot be read/],
    [flat({ timestamp: 1e20 }), 'invalid_fields', /time cannot be read/],
    [apisix({ start_time: 'soon' }), 'invalid_fields', /apisix record whose time cannot be read/],
  ];
  for (const [record, reason, detail] of cases) {
    it(`${reason}: ${detail.source}`, () => {
      const outcome = only(extractor.extractMessage(JSON.stringify(record)));
      if (outcome.kind !== 'dead') assert.fail(JSON.stringify(outcome));
      assert.equal(outcome.reason, reason);
      assert.match(outcome.detail, detail);
      assert.equal(outcome.raw, JSON.stringify(record));
      assert.ok(!outcome.detail.includes('csbs'), 'the detail quotes no content');
    });
  }

  it('a record of another service is skipped even with unusable fields', () => {
    assert.deepEqual(only(extractor.extractMessage(JSON.stringify(flat({ path: '/v2/servers', upstream_cluster: 'ecs', status: 'oops' })))), {
      kind: 'skip',
      reason: 'other_service',
    });
  });
});

describe('tenant', () => {
  const headers = (extra: Record<string, string>) => ({ host: 'csbs.example.com', ...extra });
  const withPath = (uri: string, requestHeaders: Record<string, string>, consumer?: unknown) =>
    apisix({ request: { uri, method: 'GET', headers: requestHeaders }, consumer });

  it('the segment after /v1/ wins over header and consumer', () => {
    assert.equal(eventOf(withPath(`/v1/${P}/plans`, headers({ 'X-Project-Id': 'from-header' }), { username: 'from-consumer' })).tenant, P);
  });

  it('else the x-project-id request header (any case), else consumer.username, else "unknown"', () => {
    assert.equal(eventOf(withPath('/healthz', headers({ 'X-PROJECT-ID': 'from-header' }), { username: 'from-consumer' })).tenant, 'from-header');
    assert.equal(eventOf(withPath('/healthz', headers({}), { username: 'from-consumer' })).tenant, 'from-consumer');
    assert.equal(eventOf(withPath('/healthz', headers({}), null)).tenant, 'unknown');
    assert.equal(eventOf(withPath('/healthz', headers({ 'x-project-id': '  ' }), { username: '' })).tenant, 'unknown');
  });
});

describe('request id', () => {
  const withHeaders = (response: Record<string, unknown>, request: Record<string, unknown>) =>
    kong({ request: { id: 'kong-own', method: 'GET', uri: `/v1/${P}/plans`, headers: request }, response: { status: 500, headers: response } });

  it('takes the first present of the response and request headers, then the format id, case-insensitively', () => {
    const all = { 'X-OpenStack-Request-Id': 'openstack', 'x-compute-request-id': 'compute', 'X-Request-Id': 'response' };
    assert.equal(eventOf(withHeaders(all, { 'x-request-id': 'request' })).request_id, 'openstack');
    assert.equal(eventOf(withHeaders({ 'X-Compute-Request-Id': 'compute', 'x-request-id': 'response' }, { 'x-request-id': 'request' })).request_id, 'compute');
    assert.equal(eventOf(withHeaders({ 'X-REQUEST-ID': 'response' }, { 'x-request-id': 'request' })).request_id, 'response');
    assert.equal(eventOf(withHeaders({}, { 'X-Request-ID': 'request' })).request_id, 'request');
    assert.equal(eventOf(withHeaders({}, {})).request_id, 'kong-own');
    assert.equal(eventOf(withHeaders({ 'x-openstack-request-id': ['first', 'second'] }, {})).request_id, 'first');
  });

  it('flat: request_id, then x_request_id; apisix without headers: ""', () => {
    assert.equal(eventOf(flat({ request_id: undefined, x_request_id: 'x-id' })).request_id, 'x-id');
    assert.equal(eventOf(flat({ request_id: undefined })).request_id, '');
    assert.equal(eventOf(apisix()).request_id, '');
  });
});

describe('backup-service filter', () => {
  const other = { host: 'ecs.example.com' };
  it('a path matching a route belongs to the service whatever the names', () => {
    assert.equal(eventOf(apisix({ service_id: 'x', route_id: 'y', request: { uri: `/v1/${P}/plans`, method: 'GET', headers: other } })).operation, 'list_plans');
  });

  it('else service, route name or host must match the pattern (default /csbs|karbor|backup/i)', () => {
    const unknownPath = (labels: Record<string, unknown>, host = 'ecs.example.com') =>
      apisix({ service_id: 'nova', route_id: 'nova-v2', ...labels, request: { uri: `/v2/${P}/servers`, method: 'GET', headers: { Host: host } } });
    assert.equal(only(extractor.extractMessage(JSON.stringify(unknownPath({})))).kind, 'skip');
    assert.equal(eventOf(unknownPath({ service_id: 'KARBOR' })).route, '/v2/{id}/servers');
    assert.equal(eventOf(unknownPath({ route_id: 'backup-route' })).operation, 'unknown');
    assert.equal(eventOf(unknownPath({}, 'CSBS.eu-de.example.com')).tenant, 'unknown');
    assert.equal(only(extractor.extractMessage(JSON.stringify(kong({ upstream_uri: '/v2/servers', service: { name: 'ecs', host: 'ecs.internal' }, route: { name: 'ecs' }, request: { method: 'GET', uri: '/csbs/v2/servers', headers: { host: 'ecs' } } })))).kind, 'skip');
    assert.equal(only(extractor.extractMessage(JSON.stringify(flat({ path: '/v2/servers', upstream_cluster: 'nova', authority: 'karbor.internal' })))).kind, 'event');
  });

  it('the pattern is configurable, and a global flag does not make matching flaky', () => {
    const custom = createExtractor({ servicePattern: /^nova$/g });
    const record = flat({ path: '/v2/servers', upstream_cluster: 'nova' });
    for (let i = 0; i < 3; i++) assert.equal(only(custom.extractMessage(JSON.stringify(record))).kind, 'event');
    assert.equal(only(custom.extractMessage(JSON.stringify(flat({ path: '/v2/servers', upstream_cluster: 'csbs' })))).kind, 'skip');
  });
});

describe('options', () => {
  it('are validated with the zod schema', () => {
    assert.deepEqual(extractorOptionsSchema.parse({}).maxMessageBytes, 8 * 1024 * 1024);
    assert.equal(extractorOptionsSchema.parse({}).format, 'auto');
    assert.throws(() => createExtractor({ maxMessageBytes: 0 }), /maxMessageBytes/);
    assert.throws(() => createExtractor({ format: 'nginx' as 'flat' }), /format/);
    assert.throws(() => createExtractor({ format: 'mapped' }), /format 'mapped' needs a fieldMapping/);
    assert.throws(() => createExtractor({ fieldMapping: { method: 'm', path: 'p', status: 's' } as never }), /time/);
    assert.throws(() => createExtractor({ fieldMapping: { method: 'm', path: 'p..q', status: 's', time: 't' } }), /dotted path/);
    assert.throws(() => createExtractor({ unknownOption: 1 } as never), /unknownOption/);
  });

  it('a fault inside the extractor is caught per record as internal_error', () => {
    class BrokenCatalog extends Catalog {
      override lookup(): never {
        throw new TypeError('boom');
      }
    }
    const broken = createExtractor({ catalog: new BrokenCatalog(loadDefaultCatalog().rows) });
    const outcomes = broken.extractMessage(JSON.stringify([flat(), flat({ status: 200 })]));
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.kind === 'dead' ? `${outcome.reason}: ${outcome.detail}` : outcome.kind)),
      ['internal_error: extractor fault: TypeError', 'request'],
    );
  });
});
