import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseGridTable, RstTableError } from '@csbs-errors/catalog';

const vendorPage = readFileSync(new URL('../data/csbs-error-codes.rst', import.meta.url), 'utf8');

describe('parseGridTable', () => {
  it('reads the vendor page: five columns, 52 body rows in order', () => {
    const table = parseGridTable(vendorPage);
    assert.deepEqual(table.header, ['Status Code', 'Error Code', 'Error Message', 'Description', 'Solution']);
    assert.equal(table.rows.length, 52);
    assert.deepEqual(table.rows[0]?.cells, [
      '400',
      'CSBS.0001',
      'Service over limit',
      'The number of backup policies has reached the upper limit.',
      'Delete an existing backup policy and try again.',
    ]);
    assert.equal(table.rows.at(-1)?.cells[1], 'CSBS.6040');
    // Line numbers point into the source for error messages.
    const firstLine = vendorPage.split('\n')[(table.rows[0]?.line ?? 0) - 1] ?? '';
    assert.match(firstLine, /CSBS\.0001/);
  });

  it('joins the lines of a multi-line cell with one space, trims, and keeps `|` inside a cell', () => {
    const table = parseGridTable(
      [
        'Intro text.',
        '',
        '  +------+-------------+',
        '  | Name | Text        |',
        '  +======+=============+',
        '  | a    | first line  |',
        '  |      |   second    |',
        '  |      |             |',
        '  |      | a | b       |',
        '  +------+-------------+',
        '  | b    | one         |',
        '  +------+-------------+',
        '',
        'After the table.',
      ].join('\n'),
    );
    assert.deepEqual(table.header, ['Name', 'Text']);
    assert.deepEqual(
      table.rows.map((row) => row.cells),
      [
        ['a', 'first line second a | b'],
        ['b', 'one'],
      ],
    );
    assert.deepEqual(
      table.rows.map((row) => row.line),
      [6, 11],
    );
  });

  it('takes the first row as header when the table has no +===+ line, and reads CRLF files', () => {
    const table = parseGridTable(['+---+---+', '| h | i |', '+---+---+', '| 1 | 2 |', '+---+---+'].join('\r\n'));
    assert.deepEqual(table.header, ['h', 'i']);
    assert.deepEqual(table.rows[0]?.cells, ['1', '2']);
  });

  it('refuses what it cannot read correctly, naming the line', () => {
    assert.throws(() => parseGridTable('no table here'), (error: unknown) => error instanceof RstTableError && /no grid table/.test(error.message));
    const spanning = ['+---+---+', '| h | i |', '+===+===+', '| wide  |', '+---+---+'].join('\n');
    assert.throws(() => parseGridTable(spanning), /line 4: expected '\|'/);
    const rowSpan = ['+---+---+', '| h | i |', '+===+===+', '| 1 | 2 |', '+---+   +', '| 3 |   |', '+---+---+'].join('\n');
    assert.throws(() => parseGridTable(rowSpan), /line 5: border does not match/);
    const unfinished = ['+---+---+', '| h | i |', '+===+===+', '| 1 | 2 |', 'text'].join('\n');
    assert.throws(() => parseGridTable(unfinished), /line 5: the table ends inside a row/);
    const twoHeaders = ['+---+', '| h |', '+===+', '| 1 |', '+===+', '| 2 |', '+---+'].join('\n');
    assert.throws(() => parseGridTable(twoHeaders), /more than one header separator/);
  });
});
