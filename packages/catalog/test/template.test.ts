import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileTemplate } from '@csbs-errors/catalog';

describe('compileTemplate', () => {
  it('captures %s and {name} placeholders in order', () => {
    assert.deepEqual(compileTemplate('Resource (%s) type (%s) is not support protection.').match('Resource (vol-1) type (OS::Cinder::Volume) is not support protection.'), [
      'vol-1',
      'OS::Cinder::Volume',
    ]);
    assert.deepEqual(compileTemplate("The backup {checkpoint_item_id}'s status is not allowed query").match("The backup 70ff678b's status is not allowed query"), ['70ff678b']);
    assert.equal(compileTemplate('Resource (%s) type (%s) x').placeholderCount, 2);
  });

  it('is anchored at both ends', () => {
    const matcher = compileTemplate('%s failed');
    assert.deepEqual(matcher.match('Create backup failed'), ['Create backup']);
    assert.equal(matcher.match('Create backup failed.'), undefined);
    assert.equal(compileTemplate('Quota exceeded for resources: %s').match('Error: Quota exceeded for resources: x'), undefined);
    assert.equal(compileTemplate('server do not exist').match('server do not exist '), undefined);
    assert.deepEqual(compileTemplate('server do not exist').match('server do not exist'), []);
  });

  it('escapes literal text: regex characters in templates match only themselves', () => {
    const matcher = compileTemplate('a.b (%s) c$* [x]+ ^{not a placeholder} \\d');
    assert.deepEqual(matcher.match('a.b (v) c$* [x]+ ^{not a placeholder} \\d'), ['v']);
    assert.equal(matcher.match('aXb (v) c$* [x]+ ^{not a placeholder} \\d'), undefined);
    assert.equal(matcher.match('a.b (v) c$$$ [x]+ ^{not a placeholder} \\d'), undefined);
    assert.deepEqual(compileTemplate('Not assign backup(s) (%s) to volume(s), partial restore is not supported."').match('Not assign backup(s) (b1,b2) to volume(s), partial restore is not supported."'), ['b1,b2']);
  });

  it('gives an earlier placeholder the shortest value that lets the rest match (lazy captures)', () => {
    const matcher = compileTemplate('Resource (%s) type (%s) is not support protection.');
    assert.deepEqual(matcher.match('Resource (a) type (b) type (c) is not support protection.'), ['a', 'b) type (c']);
    assert.deepEqual(compileTemplate('%s failed').match('x failed failed'), ['x failed']);
  });

  it('captures empty values and values across line breaks', () => {
    assert.deepEqual(compileTemplate('Volume(s) (%s) not found in target server.').match('Volume(s) () not found in target server.'), ['']);
    assert.deepEqual(compileTemplate('%s failed').match('line one\nline two failed'), ['line one\nline two']);
  });

  it('agrees with the plain anchored lazy pattern on any message (property)', () => {
    const templates = ['(%s) t (%s).', '%s%s', 'a%sa%sa', '%s', 'x {id} y %s', ') (%s) ) (%s) )'];
    const message = fc.stringMatching(/^[a()t. xy]{0,24}$/);
    fc.assert(
      fc.property(fc.constantFrom(...templates), message, (template, text) => {
        const matcher = compileTemplate(template);
        const plain = matcher.pattern.exec(text);
        assert.deepEqual(matcher.match(text), plain === null ? undefined : plain.slice(1));
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects an adversarial long message in linear time (no catastrophic backtracking)', () => {
    const matcher = compileTemplate('The source server (%s) type (%s) is not the same as the target server (%s) type (%s).');
    const message = `The source server (${') type ('.repeat(20_000)}${') is not the same as the target server ('.repeat(2_000)}) type (x)`; // no final '.'
    const started = performance.now();
    assert.equal(matcher.match(message), undefined);
    assert.equal(matcher.match(`${message}.`)?.length, 4);
    assert.ok(performance.now() - started < 500, 'took too long');
  });
});
