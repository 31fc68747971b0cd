import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { catalogDataUrl, catalogFromRst, importCatalog, renderCatalogFile, RstTableError, vendorTableUrl } from '@csbs-errors/catalog';

const vendorPage = readFileSync(vendorTableUrl, 'utf8');
const file = catalogFromRst(vendorPage, 'csbs-error-codes.rst');
const rowsOf = (code: string) => file.rows.filter((row) => row.code === code);
const only = (code: string) => {
  const rows = rowsOf(code);
  assert.equal(rows.length, 1, `${code} has one row`);
  return rows[0] ?? assert.fail(code);
};

describe('catalogFromRst on the vendor page', () => {
  it('has 52 rows and 51 codes, in table order', () => {
    assert.equal(file.rows.length, 52);
    assert.equal(new Set(file.rows.map((row) => row.code)).size, 51);
    assert.deepEqual(
      file.rows.slice(0, 4).map((row) => row.code),
      ['CSBS.0001', 'CSBS.6000', 'CSBS.6001', 'CSBS.6003'],
    );
    assert.equal(file.rows.at(-1)?.code, 'CSBS.6040');
    assert.equal(file.source, 'csbs-error-codes.rst');
  });

  it('keeps both CSBS.9009 rows with their own status and template', () => {
    assert.deepEqual(
      rowsOf('CSBS.9009').map((row) => [row.status, row.template]),
      [
        [403, 'User is unverified.'],
        [400, 'The backup or replication space after reduction cannot be less than the used space.'],
      ],
    );
  });

  it('keeps the shared templates under both codes, with different descriptions', () => {
    for (const [a, b] of [
      ['CSBS.6004', 'CSBS.6005'],
      ['CSBS.6010', 'CSBS.6021'],
    ] as const) {
      assert.equal(only(a).template, only(b).template);
      assert.notEqual(only(a).description, only(b).description);
    }
    assert.equal(only('CSBS.6004').template, 'Server (%s) is already in service.');
    assert.equal(only('CSBS.6010').template, 'Volume (%s) attached to server (%s) is shareable volume.');
  });

  it('keeps the literal text exactly as the service emits it', () => {
    assert.equal(only('CSBS.5001').template, "Scheduel operation status can't be set unable");
    assert.equal(only('CSBS.6018').template, 'Not assign backup(s) (%s) to volume(s), partial restore is not supported."');
    assert.equal(only('CSBS.6014').template, 'Volume(s) (%s) not found in target server.');
    assert.equal(only('CSBS.8007').template, "The backup {checkpoint_item_id} has register to image, can't be delete");
    assert.equal(only('CSBS.9999').template, '%s failed');
    assert.equal(only('CSBS.6019').template, 'The source server (%s) type (%s) is not the same as the target server (%s) type (%s).');
  });

  it('flags the "(Not used currently.)" rows and keeps their description as written', () => {
    assert.deepEqual(
      file.rows.filter((row) => row.unused).map((row) => row.code),
      ['CSBS.0002', 'CSBS.1002', 'CSBS.2001'],
    );
    assert.equal(only('CSBS.1002').description, 'The selected server is being backed up. (Not used currently.)');
    assert.equal(only('CSBS.1002').template, 'resource_in_protecting');
  });

  it('strips **bold** markup from description and solution', () => {
    assert.equal(only('CSBS.2003').description, 'The selected backup is in the Backing up, Restoring, or Deleting state.');
    assert.equal(only('CSBS.9008').description, 'Only backups in the Available state can be used to create ECSs.');
    for (const row of file.rows) {
      assert.doesNotMatch(`${row.description} ${row.solution}`, /\*\*/);
      assert.equal(row.description, row.description.trim());
    }
  });

  it('reads every status as a number of the documented set', () => {
    assert.deepEqual([...new Set(file.rows.map((row) => row.status))].sort(), [400, 403, 404, 500]);
  });
});

describe('catalogFromRst on malformed tables', () => {
  it('names a missing column', () => {
    const text = ['+---+', '| x |', '+===+', '| 1 |', '+---+'].join('\n');
    assert.throws(() => catalogFromRst(text, 't.rst'), (error: unknown) => error instanceof RstTableError && /no 'status code' column/.test(error.message));
  });

  it('names the line of a bad status and the field of a bad code', () => {
    const good = '+-------------+------------+---------------+-------------+----------+';
    const headerLine = '| Status Code | Error Code | Error Message | Description | Solution |';
    const sep = '+=============+============+===============+=============+==========+';
    const badStatus = [good, headerLine, sep, '| 4x0         | CSBS.1     | m             | d           | s        |', good].join('\n');
    assert.throws(() => catalogFromRst(badStatus, 't.rst'), /line 4: status '4x0' is not an HTTP status/);
    const badCode = [good, headerLine, sep, '| 400         | not a code | m             | d           | s        |', good].join('\n');
    assert.throws(() => catalogFromRst(badCode, 't.rst'), /rows\.0\.code: expected a code such as CSBS\.6006/);
  });
});

describe('importCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-import-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the committed data file is the import of the committed vendor page', () => {
    assert.equal(readFileSync(catalogDataUrl, 'utf8'), renderCatalogFile(file));
  });

  it('writes once, then leaves the file byte-identical and untouched on re-import', () => {
    const source = join(dir, 'csbs-error-codes.rst');
    copyFileSync(fileURLToPath(vendorTableUrl), source);
    const out = join(dir, 'catalog.json');
    const first = importCatalog(source, out);
    assert.deepEqual(first, { rows: 52, codes: 51, out, changed: true });
    const bytes = readFileSync(out);
    const mtime = statSync(out).mtimeMs;
    const second = importCatalog(source, out);
    assert.equal(second.changed, false);
    assert.deepEqual(readFileSync(out), bytes);
    assert.equal(statSync(out).mtimeMs, mtime);
    // A changed vendor page (same column widths) is written again.
    writeFileSync(source, vendorPage.replace('Service over limit', 'Service over LIMIT'));
    assert.equal(importCatalog(source, out).changed, true);
    assert.match(readFileSync(out, 'utf8'), /"template": "Service over LIMIT"/);
  });

  it('reports an unreadable source', () => {
    assert.throws(() => importCatalog(join(dir, 'missing.rst'), join(dir, 'out.json')), /ENOENT/);
  });
});
