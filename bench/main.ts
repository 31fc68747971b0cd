/**
 * Benchmark entry: `npm run bench -- [NAME...] [--json]`.
 * Each benchmark module exports `run(): Promise<Record<string, number>>`; its figures are printed
 * under its name (`extract.ok_records_per_s`, ...). `--json` prints one JSON object on stdout.
 */
import { parseArgs } from 'node:util';

type BenchModule = { run: (args: string[]) => Promise<Record<string, number | string>> };

const benchmarks: Record<string, () => Promise<BenchModule>> = {
  extract: () => import('./extract.js'),
};

const { values, positionals } = parseArgs({
  options: { json: { type: 'boolean', default: false } },
  allowPositionals: true,
  strict: false,
});
const names = positionals.length > 0 ? positionals : Object.keys(benchmarks);
const summary: Record<string, number | string> = {};
for (const name of names) {
  const load = benchmarks[name];
  if (!load) {
    console.error(`unknown benchmark '${name}'; known: ${Object.keys(benchmarks).join(', ')}`);
    process.exit(2);
  }
  const figures = await (await load()).run(positionals.filter((p) => p !== name));
  for (const [key, value] of Object.entries(figures)) summary[`${name}.${key}`] = value;
  if (!values.json) for (const [key, value] of Object.entries(figures)) console.log(`${name}.${key}\t${value}`);
}
if (values.json) console.log(JSON.stringify(summary, null, 2));
