/**
 * Benchmark entry: `npm run bench -- [NAME...] [--json]`.
 * Each benchmark module exports `run(): Promise<Record<string, number>>`; its figures are printed
 * under its name (`extract.ok_records_per_s`, ...). `--json` prints one JSON object on stdout.
 */

type BenchModule = { run: (args: string[]) => Promise<Record<string, number | string>> };

const benchmarks: Record<string, () => Promise<BenchModule>> = {
  extract: () => import('./extract.js'),
  api: () => import('./api.js'),
  alerts: () => import('./alerts.js'),
  ingest: () => import('./ingest.js'),
};

// Bare words name benchmarks; options (`--events 1000`, `--seconds=3`) go to every selected
// benchmark, which parses its own. A bare word right after `--name` is that option's value.
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const isOptionValue = (index: number) => {
  const previous = argv[index - 1] ?? '';
  return previous !== '--json' && /^--[^=]+$/.test(previous);
};
const words = argv.map((word, index) => ({ word, isName: !word.startsWith('-') && !isOptionValue(index) }));
const selected = words.filter((w) => w.isName).map((w) => w.word);
const unknown = selected.find((name) => !(name in benchmarks));
if (unknown !== undefined) {
  console.error(`unknown benchmark '${unknown}'; known: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}
const names = selected.length > 0 ? selected : Object.keys(benchmarks);
const benchArgs = words.filter((w) => !w.isName && w.word !== '--json').map((w) => w.word);
const summary: Record<string, number | string> = {};
for (const name of names) {
  const load = benchmarks[name];
  if (!load) continue;
  const figures = await (await load()).run(benchArgs);
  for (const [key, value] of Object.entries(figures)) summary[`${name}.${key}`] = value;
  if (!json) for (const [key, value] of Object.entries(figures)) console.log(`${name}.${key}\t${value}`);
}
if (json) console.log(JSON.stringify(summary, null, 2));
