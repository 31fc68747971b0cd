/** Every body shape of the body table (gateway-logs.md §3), through the extractor. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExtractor, type ErrorEvent } from '@csbs-errors/extract';

const extractor = createExtractor();
const PATH = '/v1/0123456789abcdef0123456789abcdef/checkpoint_items/5c47577b-3f12-468e-b2ff-d03d4eac98d6';

/** The event of a flat record with this status and body (`undefined` leaves the body out). */
function eventFor(status: number, body: unknown, bodyKey = 'resp_body'): ErrorEvent {
  const record: Record<string, unknown> = { time: 1_795_827_383_152, method: 'GET', path: PATH, status, upstream_cluster: 'csbs' };
  if (body !== undefined) record[bodyKey] = body;
  const outcomes = extractor.extractMessage(JSON.stringify(record));
  assert.equal(outcomes.length, 1);
  const [outcome] = outcomes;
  assert.equal(outcome?.kind, 'event', JSON.stringify(outcome));
  return outcome.event;
}

const codeAndMessage = (event: ErrorEvent) => [event.code, event.message];

describe('error bodies', () => {
  it('{"error_code", "error_msg"}: any string code, trimmed; the message as sent', () => {
    const message = 'Server (0c2dcdc1-a9a9-4f10-9f07-a303002b2069) status (SUSPENDED) is not allowed to protect.';
    assert.deepEqual(codeAndMessage(eventFor(400, JSON.stringify({ error_code: 'CSBS.6006', error_msg: message }))), ['CSBS.6006', message]);
    assert.deepEqual(codeAndMessage(eventFor(404, JSON.stringify({ error_code: ' APIG.0101 ', error_msg: 'not published ' }))), ['APIG.0101', 'not published ']);
    assert.deepEqual(codeAndMessage(eventFor(400, JSON.stringify({ error_code: 'BackupService.4008', error_msg: 'x', request_id: 'r' }))), ['BackupService.4008', 'x']);
    assert.deepEqual(codeAndMessage(eventFor(400, JSON.stringify({ error_code: 'CSBS.6006' }))), ['CSBS.6006', '']);
  });

  it('the body may already be an object', () => {
    assert.deepEqual(codeAndMessage(eventFor(400, { error_code: 'CSBS.6033', error_msg: 'dss' })), ['CSBS.6033', 'dss']);
    assert.deepEqual(codeAndMessage(eventFor(404, { itemNotFound: { code: 404, message: 'gone' } })), ['KARBOR.itemNotFound', 'gone']);
  });

  it('a non-string message is kept as its JSON text', () => {
    assert.deepEqual(codeAndMessage(eventFor(400, { error_code: 'CSBS.9999', error_msg: { step: 'backup', n: [1, 2] } })), ['CSBS.9999', '{"step":"backup","n":[1,2]}']);
    assert.deepEqual(codeAndMessage(eventFor(400, JSON.stringify({ error_code: 'CSBS.9999', error_msg: 42 }))), ['CSBS.9999', '42']);
    assert.deepEqual(codeAndMessage(eventFor(400, JSON.stringify({ error_code: 'CSBS.9999', error_msg: null }))), ['CSBS.9999', 'null']);
  });

  it('{"error": {"code": "X", "message": M}} with a string code', () => {
    assert.deepEqual(codeAndMessage(eventFor(409, JSON.stringify({ error: { code: 'CSBS.2003', message: 'item in executing' } }))), ['CSBS.2003', 'item in executing']);
  });

  it('Karbor faults: one root key holding an integer code → KARBOR.<faultName>', () => {
    for (const fault of ['badRequest', 'itemNotFound', 'forbidden', 'conflictingRequest', 'computeFault']) {
      assert.deepEqual(codeAndMessage(eventFor(400, JSON.stringify({ [fault]: { code: 400, message: `m ${fault}` } }))), [`KARBOR.${fault}`, `m ${fault}`]);
    }
  });

  it('Keystone {"error": {"code": <int>, "title", "message"}} → HTTP.<status>', () => {
    const body = JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    assert.deepEqual(codeAndMessage(eventFor(401, body)), ['HTTP.401', 'The request you have made requires authentication.']);
  });

  it('webob {"message", "code": "404 Not Found", "title"} → HTTP.<status>', () => {
    const body = JSON.stringify({ message: 'The resource could not be found.', code: '404 Not Found', title: 'Not Found' });
    assert.deepEqual(codeAndMessage(eventFor(404, body)), ['HTTP.404', 'The resource could not be found.']);
  });

  it("the gateway's own {\"error_msg\"} (APISIX) and {\"message\"} (Kong) → HTTP.<status>", () => {
    assert.deepEqual(codeAndMessage(eventFor(404, '{"error_msg":"404 Route Not Found"}')), ['HTTP.404', '404 Route Not Found']);
    assert.deepEqual(codeAndMessage(eventFor(429, '{"message":"API rate limit exceeded"}')), ['HTTP.429', 'API rate limit exceeded']);
    assert.deepEqual(codeAndMessage(eventFor(503, '{"message":"name resolution failed","request_id":"abc"}')), ['HTTP.503', 'name resolution failed']);
    // Not alone: some other JSON.
    assert.deepEqual(codeAndMessage(eventFor(400, '{"message":"x","detail":"y"}')), ['HTTP.400', '']);
  });

  it('JSON cut short with a readable error_code: the readable part of error_msg', () => {
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code":"CSBS.6020","error_msg":"No volume attached to the server (01762741-bab9-487f')), [
      'CSBS.6020',
      'No volume attached to the server (01762741-bab9-487f',
    ]);
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code":"CSBS.7000","error_msg":"')), ['CSBS.7000', '']);
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code" : "CSBS.7000" , "error_msg')), ['CSBS.7000', '']);
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_msg":"a \\"quoted\\" \\u00e9 \\ud83d\\ude00 b\\n","error_code":"CSBS.9999","x":')), ['CSBS.9999', 'a "quoted" é 😀 b\n']);
    // Cut inside an escape: the incomplete escape is dropped.
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code":"CSBS.9999","error_msg":"abc\\u00')), ['CSBS.9999', 'abc']);
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code":"CSBS.9999","error_msg":"abc\\')), ['CSBS.9999', 'abc']);
  });

  it('JSON cut short without a complete error_code → HTTP.<status>', () => {
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code":"CSBS.60')), ['HTTP.400', '']);
    assert.deepEqual(codeAndMessage(eventFor(400, '{"result":"failed","det')), ['HTTP.400', '']);
    assert.deepEqual(codeAndMessage(eventFor(400, '{"error_code":"  ","error_msg":"x')), ['HTTP.400', '']);
  });

  it('empty, HTML, text, undecodable bytes and other JSON → HTTP.<status> with ""', () => {
    const others: unknown[] = [
      '',
      '   ',
      '<html><head><title>502 Bad Gateway</title></head><body></body></html>',
      'upstream connect error or disconnect/reset before headers',
      '\u001f\ufffd\b\u0000\u0000\u0000\u0000\u0000\u0000\u0003\ufffdV*\ufffd\ufffd',
      '{"result":"failed","detail":null}',
      '[{"error_code":"CSBS.1"}]',
      '"a string"',
      '42',
      'null',
      42,
      true,
      [{ error_code: 'CSBS.1' }],
      {},
      { error: 'a string' },
      { error: { message: 'no code' } },
      { error_code: 6006, error_msg: 'numeric code' },
    ];
    for (const body of others) assert.deepEqual(codeAndMessage(eventFor(502, body)), ['HTTP.502', ''], JSON.stringify(body));
    assert.deepEqual(codeAndMessage(eventFor(500, null)), ['HTTP.500', '']);
  });

  it('a 4xx or 5xx without any body → HTTP.<status>', () => {
    assert.deepEqual(codeAndMessage(eventFor(504, undefined)), ['HTTP.504', '']);
    assert.deepEqual(codeAndMessage(eventFor(401, undefined)), ['HTTP.401', '']);
  });

  it('flat records take the first present of resp_body, response_body, body', () => {
    assert.equal(eventFor(400, '{"error_code":"CSBS.1","error_msg":"a"}', 'response_body').code, 'CSBS.1');
    assert.equal(eventFor(400, '{"error_code":"CSBS.2","error_msg":"a"}', 'body').code, 'CSBS.2');
  });

  it('a message nested too deep to serialise again becomes "" instead of failing', () => {
    const deep = `{"error_code":"CSBS.9999","error_msg":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    assert.deepEqual(codeAndMessage(eventFor(500, deep)), ['CSBS.9999', '']);
  });
});
