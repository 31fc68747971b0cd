/**
 * A reader for reStructuredText grid tables (the `+---+---+` kind), enough for the vendor's error-code
 * page: fixed column boundaries, multi-line cells, header rows above a `+===+` line. Cells that span
 * columns or rows are refused with the line number rather than read wrongly.
 */

export interface GridTable {
  /** Header cell texts, left to right. */
  header: string[];
  /** Body rows in table order. */
  rows: GridRow[];
}

export interface GridRow {
  /** One text per column: the cell's lines trimmed and joined by one space. */
  cells: string[];
  /** 1-based line number of the row's first text line, for error messages. */
  line: number;
}

export class RstTableError extends Error {
  override name = 'RstTableError';
}

interface RawRow {
  /** Per column, the cell's text lines as sliced between the boundaries. */
  columns: string[][];
  line: number;
  /** The border below the row is `+===+`: the rows up to here are the header. */
  endsHeader: boolean;
}

const BORDER = /^\+(?:[-=]+\+)+$/;

/** Reads the first grid table of an RST document. */
export function parseGridTable(text: string): GridTable {
  const rawRows = readRawRows(text.split(/\r?\n/));
  const headerEnd = rawRows.findIndex((row) => row.endsHeader);
  if (rawRows.slice(headerEnd + 1).some((row) => row.endsHeader)) {
    throw new RstTableError('the table has more than one header separator (+===+)');
  }
  // Without a `+===+` line the first row is the header.
  const headerRowCount = headerEnd >= 0 ? headerEnd + 1 : 1;
  const headerRows = rawRows.slice(0, headerRowCount);
  const columnCount = rawRows[0]?.columns.length ?? 0;
  const header = Array.from({ length: columnCount }, (_, column) =>
    joinCellLines(headerRows.flatMap((row) => row.columns[column] ?? [])),
  );
  const rows = rawRows.slice(headerRowCount).map((row) => ({ cells: row.columns.map(joinCellLines), line: row.line }));
  return { header, rows };
}

function readRawRows(lines: string[]): RawRow[] {
  const start = lines.findIndex((line) => BORDER.test(line.trim()));
  if (start < 0) throw new RstTableError('no grid table (+---+ borders) found');
  const firstBorder = lines[start] ?? '';
  const indent = firstBorder.length - firstBorder.trimStart().length;
  const boundaries = columnBoundaries(firstBorder.trim());

  const rows: RawRow[] = [];
  let current: { columns: string[][]; line: number } | undefined;
  for (let index = start + 1; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = (lines[index] ?? '').slice(indent).trimEnd();
    if (line.startsWith('+')) {
      if (!BORDER.test(line) || !sameBoundaries(columnBoundaries(line), boundaries)) {
        throw new RstTableError(`line ${lineNumber}: border does not match the table's columns (spanning cells are not supported)`);
      }
      if (current === undefined) throw new RstTableError(`line ${lineNumber}: a row without text`);
      rows.push({ ...current, endsHeader: line.includes('=') });
      current = undefined;
    } else if (line.startsWith('|')) {
      current ??= { columns: boundaries.slice(1).map(() => []), line: lineNumber };
      sliceCells(current.columns, line, boundaries, lineNumber);
    } else {
      if (current !== undefined) throw new RstTableError(`line ${lineNumber}: the table ends inside a row`);
      break;
    }
  }
  if (current !== undefined) throw new RstTableError(`line ${current.line}: the table ends inside a row`);
  if (rows.length === 0) throw new RstTableError(`line ${start + 1}: the table has no rows`);
  return rows;
}

function columnBoundaries(border: string): number[] {
  const positions: number[] = [];
  for (let i = 0; i < border.length; i++) if (border[i] === '+') positions.push(i);
  return positions;
}

function sameBoundaries(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** Slices one text line of a row at the column boundaries; every boundary must hold a `|`. */
function sliceCells(columns: string[][], line: string, boundaries: number[], lineNumber: number): void {
  for (let column = 0; column < columns.length; column++) {
    const left = boundaries[column] ?? 0;
    const right = boundaries[column + 1] ?? line.length;
    if (line[left] !== '|' || line[right] !== '|') {
      const position = line[left] !== '|' ? left : right;
      throw new RstTableError(`line ${lineNumber}: expected '|' at column ${position + 1} (spanning cells are not supported)`);
    }
    columns[column]?.push(line.slice(left + 1, right));
  }
}

function joinCellLines(lines: string[]): string {
  return lines
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .join(' ');
}
