import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { catalogFileSchema, describeIssues, type CatalogRow } from './schema.js';
import { compileTemplate, type TemplateMatcher } from './template.js';

/**
 * The project's catalog data file. Resolved relative to this module so that it is found both from the
 * TypeScript sources (`src/`, tests) and from the compiled package (`dist/`): both sit next to `data/`.
 */
export const catalogDataUrl = new URL('../data/catalog.json', import.meta.url);

export interface CatalogMatch {
  row: CatalogRow;
  /** Values of the template's placeholders in order; `[]` when the message does not fit the template. */
  params: string[];
}

export class CatalogLoadError extends Error {
  override name = 'CatalogLoadError';
}

interface CompiledRow {
  row: CatalogRow;
  matcher: TemplateMatcher;
}

/** The vendor's error codes with compiled message templates. Immutable once built. */
export class Catalog {
  /** All rows in table order (a code may have several). */
  readonly rows: readonly CatalogRow[];
  /** Distinct codes in order of first appearance. */
  readonly codes: readonly string[];
  readonly #rowsByCode = new Map<string, CompiledRow[]>();

  constructor(rows: readonly CatalogRow[]) {
    this.rows = Object.freeze(rows.map((row) => Object.freeze({ ...row })));
    for (const row of this.rows) {
      const compiled = { row, matcher: compileTemplate(row.template) };
      const existing = this.#rowsByCode.get(row.code);
      if (existing) existing.push(compiled);
      else this.#rowsByCode.set(row.code, [compiled]);
    }
    this.codes = Object.freeze([...this.#rowsByCode.keys()]);
  }

  /** Reads and validates a catalog data file (default: the package's `data/catalog.json`). */
  static load(file: URL | string = catalogDataUrl): Catalog {
    const path = typeof file === 'string' ? file : fileURLToPath(file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new CatalogLoadError(`cannot read catalog file ${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new CatalogLoadError(`catalog file ${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    return Catalog.fromJson(json, path);
  }

  /** Validates parsed catalog data; `source` names it in error messages. */
  static fromJson(json: unknown, source: string): Catalog {
    const parsed = catalogFileSchema.safeParse(json);
    if (!parsed.success) throw new CatalogLoadError(`catalog file ${source} is invalid: ${describeIssues(parsed.error)}`);
    return new Catalog(parsed.data.rows);
  }

  has(code: string): boolean {
    return this.#rowsByCode.has(code);
  }

  /**
   * The row for a code seen in traffic, with the placeholder values. Where a code has several rows,
   * the row whose template matches the message wins, else the row whose status equals the observed
   * one, else the first row. `undefined` for an unknown code.
   */
  lookup(code: string, message: string, status: number): CatalogMatch | undefined {
    const candidates = this.#rowsByCode.get(code);
    if (candidates === undefined) return undefined;
    for (const { row, matcher } of candidates) {
      const params = matcher.match(message);
      if (params !== undefined) return { row, params };
    }
    const byStatus = candidates.find((candidate) => candidate.row.status === status) ?? candidates[0];
    return byStatus && { row: byStatus.row, params: [] };
  }
}

let defaultCatalog: Catalog | undefined;

/** The catalog of the package's data file, loaded once. */
export function loadDefaultCatalog(): Catalog {
  defaultCatalog ??= Catalog.load();
  return defaultCatalog;
}
