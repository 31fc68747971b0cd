import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Catalog, CatalogLoadError, loadDefaultCatalog, type CatalogRow } from '@csbs-errors/catalog';

const catalog = loadDefaultCatalog();
const PLACEHOLDER = /%s|\{[A-Za-z_][A-Za-z0-9_]*\}/g;

/** Values that cannot recreate a template's literal text, so the capture must give them back as is. */
const placeholderValue = fc.stringMatching(/^[0-9a-zA-Z_:,-]{1,40}$/);

function fill(template: string, values: string[]): string {
  let index = 0;
  return template.replace(PLACEHOLDER, () => values[index++] ?? '');
}

function placeholderCount(template: string): number {
  return template.match(PLACEHOLDER)?.length ?? 0;
}

describe('Catalog from the data file', () => {
  it('has the 52 rows and 51 codes of the vendor table', () => {
    assert.equal(catalog.rows.length, 52);
    assert.equal(catalog.codes.length, 51);
    assert.equal(catalog.codes[0], 'CSBS.0001');
    assert.equal(catalog.codes.filter((code) => code === 'CSBS.9009').length, 1);
    assert.ok(catalog.has('CSBS.9999'));
    assert.ok(!catalog.has('CSBS.0000'));
    assert.ok(Object.isFrozen(catalog.rows) && Object.isFrozen(catalog.rows[0]));
  });

  it('finds every row from a message built from its template, with the placeholder values', () => {
    for (const row of catalog.rows) {
      const count = placeholderCount(row.template);
      fc.assert(
        fc.property(fc.array(placeholderValue, { minLength: count, maxLength: count }), (values) => {
          const found = catalog.lookup(row.code, fill(row.template, values), row.status);
          assert.equal(found?.row, row, `${row.code}: ${row.template}`);
          assert.equal(found.row.status, row.status);
          assert.deepEqual(found.params, values);
        }),
        { numRuns: 25 },
      );
    }
  });

  it('decides shared templates by code: CSBS.6004 / 6005 and CSBS.6010 / 6021', () => {
    const server = 'Server (b7b19032-f0f7-4331-9d7c-27a0aec9cb21) is already in service.';
    const bound = catalog.lookup('CSBS.6004', server, 400);
    const inService = catalog.lookup('CSBS.6005', server, 400);
    assert.equal(bound?.row.description, 'The server has been bound to a backup policy and cannot be bound again.');
    assert.equal(inService?.row.description, 'The current server status does not allow backup.');
    assert.deepEqual(bound?.params, ['b7b19032-f0f7-4331-9d7c-27a0aec9cb21']);
    assert.deepEqual(inService?.params, ['b7b19032-f0f7-4331-9d7c-27a0aec9cb21']);

    const shared = 'Volume (v1) attached to server (s1) is shareable volume.';
    assert.equal(catalog.lookup('CSBS.6010', shared, 400)?.row.solution, 'Remove the shared disk and perform the backup again.');
    assert.equal(catalog.lookup('CSBS.6021', shared, 400)?.row.solution, 'Restore the backup to a non-shared EVS disk of the server.');
    assert.deepEqual(catalog.lookup('CSBS.6021', shared, 400)?.params, ['v1', 's1']);
  });

  describe('CSBS.9009 (two rows)', () => {
    const unverified = 'User is unverified.';
    const space = 'The backup or replication space after reduction cannot be less than the used space.';

    it('picks the row whose template matches the message, whatever the status', () => {
      assert.equal(catalog.lookup('CSBS.9009', unverified, 400)?.row.status, 403);
      assert.equal(catalog.lookup('CSBS.9009', space, 403)?.row.status, 400);
      assert.equal(catalog.lookup('CSBS.9009', space, 403)?.row.template, space);
    });

    it('else the row whose status equals the observed one', () => {
      assert.equal(catalog.lookup('CSBS.9009', 'something else', 400)?.row.template, space);
      assert.equal(catalog.lookup('CSBS.9009', 'something else', 403)?.row.template, unverified);
      assert.deepEqual(catalog.lookup('CSBS.9009', 'something else', 400)?.params, []);
    });

    it('else the first row', () => {
      const found = catalog.lookup('CSBS.9009', '', 500);
      assert.equal(found?.row.template, unverified);
      assert.deepEqual(found?.params, []);
    });
  });

  it('returns the row with no params when the message does not fit the template', () => {
    const found = catalog.lookup('CSBS.6020', 'No volume attached to the server (01762741-bab9-487f', 400);
    assert.equal(found?.row.code, 'CSBS.6020');
    assert.deepEqual(found?.params, []);
  });

  it('returns undefined for an unknown code', () => {
    assert.equal(catalog.lookup('APIG.0101', 'The API does not exist', 404), undefined);
    assert.equal(catalog.lookup('HTTP.500', '', 500), undefined);
  });

  it('hands out a fresh params array each time', () => {
    const first = catalog.lookup('CSBS.9999', 'x failed', 500);
    first?.params.push('mutated');
    assert.deepEqual(catalog.lookup('CSBS.9999', 'x failed', 500)?.params, ['x']);
  });
});

describe('Catalog.load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-load-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const row: CatalogRow = { status: 400, code: 'CSBS.1', template: 'x %s', description: 'd', solution: 's', unused: false };

  it('loads a valid file', () => {
    const loaded = Catalog.load(write('ok.json', JSON.stringify({ source: 't.rst', rows: [row] })));
    assert.deepEqual(loaded.lookup('CSBS.1', 'x 7', 400)?.params, ['7']);
  });

  it('refuses a bad file with a message naming the file and the field', () => {
    const badStatus = write('bad.json', JSON.stringify({ source: 't.rst', rows: [{ ...row, status: '400' }] }));
    assert.throws(
      () => Catalog.load(badStatus),
      (error: unknown) => error instanceof CatalogLoadError && error.message.includes(badStatus) && /rows\.0\.status/.test(error.message),
    );
    assert.throws(() => Catalog.load(write('extra.json', JSON.stringify({ source: 't', rows: [{ ...row, extra: 1 }] }))), /rows\.0: Unrecognized key/);
    assert.throws(() => Catalog.load(write('empty.json', JSON.stringify({ source: 't', rows: [] }))), /rows: Too small/);
    assert.throws(() => Catalog.load(write('text.json', 'not json')), /is not valid JSON/);
    assert.throws(() => Catalog.load(join(dir, 'missing.json')), (error: unknown) => error instanceof CatalogLoadError && /cannot read catalog file/.test(error.message));
  });
});
