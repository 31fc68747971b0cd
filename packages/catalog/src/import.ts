/**
 * `catalog import`: the vendor's RST error-code table → the project's catalog data file.
 * The output depends only on the table's content, so importing the same page again is byte-identical.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogDataUrl } from './catalog.js';
import { parseGridTable, RstTableError } from './rst.js';
import { catalogFileSchema, describeIssues, type CatalogFile, type CatalogRow } from './schema.js';

/** The copy of the vendor page kept in the package, the default import source. */
export const vendorTableUrl = new URL('../data/csbs-error-codes.rst', import.meta.url);

/** Header texts of the vendor table, matched case-insensitively so a reordered table still imports. */
const COLUMNS = {
  status: 'status code',
  code: 'error code',
  template: 'error message',
  description: 'description',
  solution: 'solution',
} as const;

const NOT_USED = /\(not used currently\.?\)/i;

/** Reads the vendor's table into validated catalog data. Throws `RstTableError` on a malformed table. */
export function catalogFromRst(rst: string, source: string): CatalogFile {
  const table = parseGridTable(rst);
  const headerIndex = new Map(table.header.map((text, index) => [text.toLowerCase(), index]));
  const columnIndex = (name: string): number => {
    const index = headerIndex.get(name);
    if (index === undefined) throw new RstTableError(`the table has no '${name}' column (found: ${table.header.join(', ')})`);
    return index;
  };
  const column = {
    status: columnIndex(COLUMNS.status),
    code: columnIndex(COLUMNS.code),
    template: columnIndex(COLUMNS.template),
    description: columnIndex(COLUMNS.description),
    solution: columnIndex(COLUMNS.solution),
  };

  const rows = table.rows.map((gridRow): CatalogRow => {
    const cell = (index: number): string => gridRow.cells[index] ?? '';
    const statusText = cell(column.status);
    if (!/^\d{3}$/.test(statusText)) throw new RstTableError(`line ${gridRow.line}: status '${statusText}' is not an HTTP status`);
    // The message template stays exactly as the vendor wrote it: it is matched against what the
    // service emits. Description and solution are prose for people: `**bold**` markup is dropped.
    const description = stripBold(cell(column.description));
    return {
      status: Number(statusText),
      code: cell(column.code),
      template: cell(column.template),
      description,
      solution: stripBold(cell(column.solution)),
      unused: NOT_USED.test(description),
    };
  });

  const parsed = catalogFileSchema.safeParse({ source, rows });
  if (!parsed.success) throw new RstTableError(`the table does not make a valid catalog: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function stripBold(text: string): string {
  return text.replace(/\*\*(.+?)\*\*/g, '$1');
}

/** The data file's exact text: stable key order, two-space indent, final newline. */
export function renderCatalogFile(file: CatalogFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

export interface ImportResult {
  rows: number;
  codes: number;
  /** Where the catalog was written (or found unchanged). */
  out: string;
  /** False when the data file already had exactly this content (it is then left untouched). */
  changed: boolean;
}

/** Imports the vendor table at `from` into the data file `to`, writing only when the content differs. */
export function importCatalog(from: string | URL = vendorTableUrl, to: string | URL = catalogDataUrl): ImportResult {
  const sourcePath = typeof from === 'string' ? from : fileURLToPath(from);
  const outPath = typeof to === 'string' ? to : fileURLToPath(to);
  const file = catalogFromRst(readFileSync(sourcePath, 'utf8'), basename(sourcePath));
  const text = renderCatalogFile(file);
  const changed = readIfExists(outPath) !== text;
  if (changed) writeFileSync(outPath, text);
  return { rows: file.rows.length, codes: new Set(file.rows.map((row) => row.code)).size, out: outPath, changed };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
