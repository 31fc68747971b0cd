/** The message envelope (gateway-logs.md §1), through the extractor. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createExtractor, type RecordOutcome } from '@csbs-errors/extract';

const extractor = createExtractor();
const P = '0123456789abcdef0123456789abcdef';

const ok = (status = 200, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ time: 1_795_827_383, method: 'GET', path: `/v1/${P}/plans`, status, upstream_cluster: 'csbs', ...extra });

/** Each outcome as `kind` or `dead:reason`. */
const kinds = (outcomes: RecordOutcome[]) => outcomes.map((outcome) => (outcome.kind === 'dead' ? `dead:${outcome.reason}` : outcome.kind));

function deadOutcome(outcome: RecordOutcome | undefined) {
  if (outcome?.kind !== 'dead') return assert.fail(`expected a dead letter, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('message envelope', () => {
  it('one object is one record; strings and bytes alike', () => {
    assert.deepEqual(kinds(extractor.extractMessage(ok())), ['request']);
    assert.deepEqual(kinds(extractor.extractMessage(Buffer.from(ok(500)))), ['event']);
    assert.deepEqual(kinds(extractor.extractMessage(new TextEncoder().encode(ok(404)))), ['event']);
  });

  it('a JSON array of objects gives one outcome per element, in order', () => {
    assert.deepEqual(kinds(extractor.extractMessage(`[${ok()},${ok(500)},${ok(201)}]`)), ['request', 'event', 'request']);
  });

  it('newline-separated objects (LF or CRLF, blank lines between) give one outcome per object', () => {
    assert.deepEqual(kinds(extractor.extractMessage(`${ok()}\n${ok(503)}\r\n\n${ok()}\n`)), ['request', 'event', 'request']);
    // A line may itself hold an array.
    assert.deepEqual(kinds(extractor.extractMessage(`[${ok()},${ok(500)}]\n${ok()}`)), ['request', 'event', 'request']);
  });

  it('a pretty-printed object over several lines is still one record', () => {
    assert.deepEqual(kinds(extractor.extractMessage(JSON.stringify(JSON.parse(ok(500)), null, 2))), ['event']);
  });

  it('mixed messages keep the good records and dead-letter each bad one with its own raw text', () => {
    const outcomes = extractor.extractMessage(`[${ok()}, 42, "text", null, [1], ${ok(500)}]`);
    assert.deepEqual(kinds(outcomes), ['request', 'dead:not_an_object', 'dead:not_an_object', 'dead:not_an_object', 'dead:not_an_object', 'event']);
    assert.deepEqual(
      outcomes.slice(1, 5).map((outcome) => {
        const dead = deadOutcome(outcome);
        return [dead.raw, dead.detail];
      }),
      [
        ['42', 'element 2 of the message is a number, not an object'],
        ['"text"', 'element 3 of the message is a string, not an object'],
        ['null', 'element 4 of the message is null, not an object'],
        ['[1]', 'element 5 of the message is an array, not an object'],
      ],
    );
    const lines = extractor.extractMessage(`${ok()}\nnot json\n{"half":\n${ok(500)}`);
    assert.deepEqual(kinds(lines), ['request', 'dead:invalid_json', 'dead:invalid_json', 'event']);
    assert.deepEqual([deadOutcome(lines[1]).raw, deadOutcome(lines[1]).detail], ['not json', 'line 2 of the message is not JSON']);
  });

  it('unreadable messages are dead with a reason, the raw message kept as given', () => {
    const cases: Array<[string | Uint8Array, string]> = [
      ['', 'empty'],
      [' \n\t\r\n ', 'empty'],
      [new Uint8Array(0), 'empty'],
      ['[]', 'empty'],
      ['not json at all', 'invalid_json'],
      ['{"truncated": ', 'invalid_json'],
      ['{"a":1}{"b":2}', 'invalid_json'],
      ['"a string"', 'not_an_object'],
      ['42', 'not_an_object'],
      ['null', 'not_an_object'],
      ['true', 'not_an_object'],
      [Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid_utf8'],
      [Uint8Array.from([0xc3]), 'invalid_utf8'],
    ];
    for (const [message, reason] of cases) {
      const outcomes = extractor.extractMessage(message);
      assert.deepEqual(kinds(outcomes), [`dead:${reason}`], JSON.stringify(message));
      assert.equal(deadOutcome(outcomes[0]).raw, message);
    }
  });

  it('details never quote the input', () => {
    const outcome = deadOutcome(extractor.extractMessage('token=MIIZsecret')[0]);
    assert.equal(outcome.detail, 'the message is not JSON');
  });

  it('a multi-line message with bytes that are not UTF-8 keeps its UTF-8 lines', () => {
    const message = Buffer.concat([Buffer.from(`${ok()}\n`), Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), Buffer.from(ok(500))]);
    const outcomes = extractor.extractMessage(message);
    assert.deepEqual(kinds(outcomes), ['request', 'dead:invalid_utf8', 'event']);
    assert.deepEqual(deadOutcome(outcomes[1]).raw, Buffer.from([0x7b, 0xff, 0x7d]));
    assert.equal(deadOutcome(outcomes[1]).detail, 'line 2 of the message is not UTF-8');
  });

  it('ignores a UTF-8 byte order mark', () => {
    assert.deepEqual(kinds(extractor.extractMessage(`\ufeff${ok()}`)), ['request']);
    assert.deepEqual(kinds(extractor.extractMessage(Buffer.from(`\ufeff${ok()}`))), ['request']);
  });

  it('dead-letters a message above the size limit unread (default 8 MiB)', () => {
    const small = createExtractor({ maxMessageBytes: 64 });
    const atLimit = `{"x":"${'a'.repeat(64 - 8)}"}`;
    assert.equal(Buffer.byteLength(atLimit), 64);
    assert.deepEqual(kinds(small.extractMessage(atLimit)), ['dead:unknown_format']); // read: at the limit is allowed
    const above = `${atLimit} `;
    const outcome = deadOutcome(small.extractMessage(above)[0]);
    assert.equal(outcome.reason, 'too_large');
    assert.equal(outcome.detail, 'the message has 65 bytes, above the limit of 64');
    assert.equal(outcome.raw, above);
    // Multi-byte characters count in bytes, not characters.
    assert.equal(deadOutcome(small.extractMessage('é'.repeat(33))[0]).reason, 'too_large');
    assert.equal(deadOutcome(small.extractMessage(Buffer.alloc(65, 0x20))[0]).reason, 'too_large');

    const big = `{"pad":"${'x'.repeat(8 * 1024 * 1024)}"}`;
    assert.deepEqual(kinds(extractor.extractMessage(big)), ['dead:too_large']);
    assert.deepEqual(kinds(extractor.extractMessage(big.slice(0, 8 * 1024 * 1024 - 2) + '"}')), ['dead:unknown_format']);
  });
});
