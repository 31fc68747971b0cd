/**
 * `csbs-errors catalog import [FILE] [--out PATH]`: regenerate the error catalog data file from the
 * vendor's RST table. Writes only when the content changes, and says which it was.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { catalogDataUrl, importCatalog, vendorTableUrl } from '@csbs-errors/catalog';

const USAGE = `usage: csbs-errors catalog import [FILE] [--out PATH]

Reads the vendor's error-code table (an RST grid table; default: the copy kept in the catalog package,
${fileURLToPath(vendorTableUrl)}) and writes the catalog data file (default: ${fileURLToPath(catalogDataUrl)}).
Importing the same table again leaves the file untouched.
`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    process.stderr.write(`csbs-errors catalog: ${errorMessage(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [subcommand, source, ...extra] = parsed.positionals;
  const problem =
    subcommand === undefined
      ? 'missing subcommand'
      : subcommand !== 'import'
        ? `unknown subcommand '${subcommand}'`
        : extra.length > 0
          ? `unexpected argument '${extra[0]}'`
          : undefined;
  if (problem !== undefined) {
    process.stderr.write(`csbs-errors catalog: ${problem}\n\n${USAGE}`);
    return 2;
  }
  try {
    const result = importCatalog(source ?? vendorTableUrl, parsed.values.out ?? catalogDataUrl);
    const from = source ?? fileURLToPath(vendorTableUrl);
    process.stdout.write(
      `catalog import: ${result.rows} rows (${result.codes} codes) from ${from}: ${result.out} ${result.changed ? 'written' : 'unchanged'}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`csbs-errors catalog import: ${errorMessage(error)}\n`);
    return 1;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
