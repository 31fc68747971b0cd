/**
 * `csbs-errors` command line: dispatches to one module per command.
 * Each command module exports `run(args)` and resolves to the process exit code.
 */
export interface Command {
  summary: string;
  load: () => Promise<{ run: (args: string[]) => Promise<number> }>;
}

export const commands: Record<string, Command> = {
  serve: { summary: 'all-in-one: ingest + API + alerter (embedded ClickHouse unless CLICKHOUSE_URL is set)', load: () => import('./commands/serve.js') },
  ingest: { summary: 'run the ingest worker only', load: () => import('./commands/ingest.js') },
  api: { summary: 'run the query API only', load: () => import('./commands/api.js') },
  alerter: { summary: 'run the alert evaluator only (one active at a time)', load: () => import('./commands/alerter.js') },
  alerts: { summary: 'alerts backtest [--rules FILE] --from --to [--format json|table]: would-be alerts over stored history', load: () => import('./commands/alerts.js') },
  replay: { summary: 'replay FILE...: put archived gateway logs through the pipeline into the store (idempotent)', load: () => import('./commands/replay.js') },
  demo: { summary: 'generate realistic gateway traffic into Kafka, with an optional CSBS.9999 spike', load: () => import('./commands/demo.js') },
  report: { summary: 'report --from --to [--tenant] [--format md|json]: a postmortem report', load: () => import('./commands/report.js') },
  extract: { summary: 'read gateway records (files, .gz or - for stdin) and print enriched error events as NDJSON', load: () => import('./commands/extract.js') },
  produce: { summary: 'publish gateway records from files to Kafka: produce FILE... --topic T', load: () => import('./commands/produce.js') },
  migrate: { summary: 'apply pending ClickHouse migrations', load: () => import('./commands/migrate.js') },
  catalog: { summary: 'catalog import FILE: regenerate the error catalog from the vendor RST table', load: () => import('./commands/catalog.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: csbs-errors <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`csbs-errors: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}
