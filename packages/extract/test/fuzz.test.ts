/**
 * The extractor never throws on input and accounts for every record: random bytes, mutated and
 * truncated sample records, random values in the fields it reads, deep nesting, huge strings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createExtractor, type RecordOutcome } from '@csbs-errors/extract';

const extractor = createExtractor();
const sampleLines = readFileSync(new URL('../../../../shared/samples/gateway-records.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const sampleRecords: Array<Record<string, unknown>> = sampleLines.flatMap((line) => {
  try {
    const value: unknown = JSON.parse(line);
    const items: unknown[] = Array.isArray(value) ? value : [value];
    return items.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item));
  } catch {
    return [];
  }
});

const DEAD_REASONS = new Set(['empty', 'too_large', 'invalid_utf8', 'invalid_json', 'not_an_object', 'unknown_format', 'missing_fields', 'invalid_fields']);
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Outcomes are well-formed; returns them for counting. */
function checked(outcomes: RecordOutcome[]): RecordOutcome[] {
  assert.ok(outcomes.length >= 1, 'at least one outcome per message');
  for (const outcome of outcomes) {
    switch (outcome.kind) {
      case 'event': {
        const { event, request } = outcome;
        assert.match(event.ts, ISO_UTC_MS);
        assert.ok(Number.isInteger(event.status) && event.status >= 400 && event.status <= 599);
        assert.ok(event.code.length > 0 && typeof event.message === 'string');
        assert.ok(event.params.every((param) => typeof param === 'string'));
        assert.ok(event.latency_ms === null || Number.isFinite(event.latency_ms));
        assert.equal(event.status_mismatch, event.known && event.status !== event.catalog_status);
        assert.deepEqual(request, { ts: event.ts, tenant: event.tenant, operation: event.operation, status: event.status });
        break;
      }
      case 'request':
        assert.match(outcome.request.ts, ISO_UTC_MS);
        assert.ok(outcome.request.status >= 100 && outcome.request.status < 400);
        break;
      case 'skip':
        assert.equal(outcome.reason, 'other_service');
        break;
      case 'dead':
        assert.ok(DEAD_REASONS.has(outcome.reason), outcome.reason);
        assert.ok(outcome.detail.length > 0);
        break;
    }
  }
  return outcomes;
}

/** Records of a message that is valid JSON, counted independently: an array counts its elements. */
function recordCountOfJson(value: unknown): number {
  return Array.isArray(value) ? Math.max(1, value.length) : 1;
}

function parsesAsJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

describe('fuzz: the extractor never throws and accounts for every record', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        checked(extractor.extractMessage(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('random JSON values as messages: one outcome per element of an array, else one', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const outcomes = checked(extractor.extractMessage(JSON.stringify(value)));
        assert.equal(outcomes.length, recordCountOfJson(value));
      }),
      { numRuns: 1500 },
    );
  });

  it('sample records with random values in any field: exactly one outcome each', () => {
    const paths = [
      ['request', 'uri'], ['request', 'method'], ['request', 'headers'], ['request', 'headers', 'host'], ['request', 'body'], ['request', 'id'],
      ['response', 'status'], ['response', 'body'], ['response', 'headers'], ['response', 'headers', 'x-request-id'], ['start_time'],
      ['started_at'], ['latency'], ['latencies'], ['latencies', 'request'], ['upstream_uri'], ['service'], ['service', 'name'], ['consumer'],
      ['status'], ['response_code'], ['time'], ['timestamp'], ['path'], ['uri'], ['method'], ['resp_body'], ['duration'], ['upstream_cluster'],
    ];
    const mutation = fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string(), fc.constant(undefined)));
    fc.assert(
      fc.property(fc.constantFrom(...sampleRecords), fc.array(mutation, { minLength: 1, maxLength: 4 }), (record, mutations) => {
        const copy = structuredClone(record);
        for (const [path, value] of mutations) setPath(copy, path, value);
        const outcomes = checked(extractor.extractMessage(JSON.stringify(copy)));
        assert.equal(outcomes.length, 1);
      }),
      { numRuns: 3000 },
    );
  });

  it('byte-mutated sample lines', () => {
    const edit = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), op: fc.constantFrom('flip', 'delete', 'insert') });
    fc.assert(
      fc.property(fc.constantFrom(...sampleLines), fc.array(edit, { minLength: 1, maxLength: 8 }), (line, edits) => {
        const bytes = [...Buffer.from(line)];
        for (const { at, byte, op } of edits) {
          const index = at % (bytes.length + 1);
          if (op === 'flip') bytes[index] = byte;
          else if (op === 'delete') bytes.splice(index, 1);
          else bytes.splice(index, 0, byte);
        }
        const message = Uint8Array.from(bytes);
        const outcomes = checked(extractor.extractMessage(message));
        const text = new TextDecoder('utf-8', { fatal: false }).decode(message);
        const parsed = Buffer.from(text).equals(message) ? parsesAsJson(text) : undefined;
        if (parsed) assert.equal(outcomes.length, recordCountOfJson(parsed.value));
      }),
      { numRuns: 3000 },
    );
  });

  it('truncated sample lines: one dead letter (a prefix of an object or array is never JSON)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sampleLines.filter((line) => /^[[{]/.test(line))), fc.double({ min: 0, max: 1, noNaN: true }), (line, fraction) => {
        const prefix = line.slice(0, Math.floor(line.length * fraction * 0.999999));
        const outcomes = checked(extractor.extractMessage(prefix));
        assert.equal(outcomes.length, 1);
        assert.equal(outcomes[0]?.kind, 'dead');
      }),
      { numRuns: 2000 },
    );
  });

  it('deep nesting: 100 000 levels', () => {
    const depth = 100_000;
    const open = '['.repeat(depth);
    const closed = open + ']'.repeat(depth);
    const kinds = (message: string) => checked(extractor.extractMessage(message)).map((outcome) => (outcome.kind === 'dead' ? outcome.reason : outcome.kind));
    assert.deepEqual(kinds(open), ['invalid_json']);
    assert.deepEqual(kinds(closed), ['not_an_object']);
    assert.deepEqual(kinds(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`), ['unknown_format']);
    const record = sampleLines[0] ?? '';
    // The deep element cannot be serialised again: its dead letter holds the whole message.
    const mixed = `[${record},${closed}]`;
    const outcomes = extractor.extractMessage(mixed);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.kind),
      ['event', 'dead'],
    );
    assert.equal(outcomes[1]?.kind === 'dead' && outcomes[1].raw, mixed);
    // Deep values inside the fields that are read.
    const deepBody = JSON.stringify({ ...JSON.parse(record), response: { status: 500, body: closed } });
    assert.deepEqual(kinds(deepBody), ['event']);
    const deepHeaders = record.replace('"headers":{', `"headers":{"deep":${closed},`);
    assert.deepEqual(kinds(deepHeaders), ['event']);
  });

  it('huge strings: a 6 MiB error message and a 1 MiB path', () => {
    const huge = 'x'.repeat(6 * 1024 * 1024);
    const body = JSON.stringify({ error_code: 'CSBS.9999', error_msg: `${huge} failed` });
    const record = { time: 1_795_827_383, method: 'GET', path: `/v1/p/${'a/'.repeat(512 * 1024)}`, status: 500, upstream_cluster: 'csbs', resp_body: body };
    const [outcome] = checked(extractor.extractMessage(JSON.stringify(record)));
    if (outcome?.kind !== 'event') assert.fail(outcome?.kind);
    assert.equal(outcome.event.message.length, huge.length + ' failed'.length);
    assert.deepEqual(outcome.event.params, [huge]);
    assert.equal(outcome.event.operation, 'unknown');
    // A truncated huge body: the readable part of error_msg.
    const cut = body.slice(0, 5 * 1024 * 1024);
    const [truncated] = checked(extractor.extractMessage(JSON.stringify({ ...record, resp_body: cut })));
    assert.equal(truncated?.kind === 'event' && truncated.event.message.length, cut.length - '{"error_code":"CSBS.9999","error_msg":"'.length);
  });
});

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1) ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
}
