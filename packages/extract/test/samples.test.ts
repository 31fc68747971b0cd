/**
 * The shared samples (the contract's `../shared/samples/`): for each of the 400
 * input lines, the events must equal the expected ones field by field (the samples carry no
 * description / solution; `latency_ms` may differ by less than 1 ms), and the dead and request counts
 * must match.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import { createExtractor, type ErrorEvent } from '@csbs-errors/extract';

const input = readFileSync(new URL('../../../../shared/samples/gateway-records.ndjson', import.meta.url));
const expectedLines = readFileSync(new URL('../../../../shared/samples/expected-events.ndjson', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as { line: number; events: Array<Record<string, unknown>>; dead: number; requests: number });

/** Input lines as bytes, as the CLI and Kafka hand them over. */
function byteLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let newline = bytes.indexOf(0x0a); newline >= 0; newline = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, newline));
    start = newline + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

const extractor = createExtractor();
const catalog = loadDefaultCatalog();
const lines = byteLines(input);

describe('shared samples', () => {
  it('has 400 input lines and 400 expectations', () => {
    assert.equal(lines.length, 400);
    assert.deepEqual(
      expectedLines.map((expected) => expected.line),
      Array.from({ length: 400 }, (_, i) => i + 1),
    );
  });

  it('reproduces every line: events field by field, dead and request counts', () => {
    const problems: string[] = [];
    let events = 0;
    for (const expected of expectedLines) {
      const outcomes = extractor.extractMessage(lines[expected.line - 1] ?? Buffer.alloc(0));
      const actualEvents = outcomes.flatMap((outcome) => (outcome.kind === 'event' ? [outcome.event] : []));
      const dead = outcomes.filter((outcome) => outcome.kind === 'dead').length;
      const requests = outcomes.filter((outcome) => outcome.kind === 'event' || outcome.kind === 'request').length;
      const where = `line ${expected.line}`;
      if (dead !== expected.dead) problems.push(`${where}: dead ${dead}, expected ${expected.dead}`);
      if (requests !== expected.requests) problems.push(`${where}: requests ${requests}, expected ${expected.requests}`);
      if (actualEvents.length !== expected.events.length) {
        problems.push(`${where}: ${actualEvents.length} events, expected ${expected.events.length}`);
        continue;
      }
      expected.events.forEach((want, index) => {
        const got = actualEvents[index] as ErrorEvent;
        problems.push(...compareEvent(got, want, `${where} event ${index + 1}`));
        events++;
      });
    }
    assert.deepEqual(problems, []);
    assert.equal(events, 208);
  });

  it('fills description and solution from the catalog row of known codes, "" for unknown ones', () => {
    let known = 0;
    for (const line of lines) {
      for (const outcome of extractor.extractMessage(line)) {
        if (outcome.kind !== 'event') continue;
        const { event } = outcome;
        const row = catalog.lookup(event.code, event.message, event.status)?.row;
        assert.equal(event.description, row?.description ?? '');
        assert.equal(event.solution, row?.solution ?? '');
        if (row) {
          known++;
          assert.notEqual(event.description, '');
        }
      }
    }
    assert.equal(known, 143); // the events with "known": true in the expectations
  });
});

function compareEvent(got: ErrorEvent, want: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  const { description: _description, solution: _solution, ...comparable } = got;
  const expectedKeys = Object.keys(want);
  if (JSON.stringify(Object.keys(comparable)) !== JSON.stringify(expectedKeys)) {
    problems.push(`${where}: fields ${Object.keys(comparable).join(',')} instead of ${expectedKeys.join(',')}`);
  }
  for (const key of expectedKeys) {
    const actual: unknown = comparable[key as keyof typeof comparable];
    const expected = want[key];
    if (key === 'latency_ms' && typeof actual === 'number' && typeof expected === 'number') {
      if (Math.abs(actual - expected) >= 1) problems.push(`${where}: latency_ms ${actual}, expected ${expected}`);
    } else if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`${where}: ${key} ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  }
  return problems;
}
