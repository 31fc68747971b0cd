/**
 * `csbs-errors alerts backtest [--rules FILE] --from T --to T [--format json|table]`: the alert rules
 * run over stored history as the evaluator would have run them live (same steps, same state
 * machine), printing the alerts that would have paged: for tuning a rule, and for postmortems ("would
 * we have been paged, and when?"). Without --rules: ALERT_RULES_FILE, else the built-in rules.
 */
import { InvalidParameter, parseTimeParameter } from '@csbs-errors/query';
import { parseArgs } from 'node:util';
import { RulesError, backtest, loadRules, type Rule, type WouldBeAlert } from '@csbs-errors/alerter';
import { commandRuntime, openCommandStore } from '../store-command.js';

const USAGE = `usage: csbs-errors alerts backtest --from T --to T [options]

Runs the alert rules over the stored per-minute counts of [from, to) and prints the alerts that would
have fired: [{rule, labels, starts_at, ends_at, peak, baseline, factor}] (starts_at: when it would
have paged; ends_at: when it would have resolved, null if still firing at --to; peak: the most
errors in one window, with the baseline and factor of that moment). Times are ISO-8601 (UTC unless
an offset is given) or relative (now-2h). History before --from that the baselines need is read too.

options:
  --from T, --to T      the window (required)
  --rules FILE          JSON rules file (default ALERT_RULES_FILE, else the built-in rules)
  --format json|table   json (default) or a table
  -h, --help            this text
`;

function usageError(message: string): number {
  process.stderr.write(`csbs-errors alerts: ${message}\n\n${USAGE}`);
  return 2;
}

export async function run(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help' || subcommand === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (subcommand !== 'backtest') return usageError(subcommand === undefined ? 'a subcommand is required' : `unknown subcommand '${subcommand}'`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        rules: { type: 'string' },
        format: { type: 'string', default: 'json' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.format !== 'json' && values.format !== 'table') return usageError('--format: expected json or table');
  if (values.from === undefined || values.to === undefined) return usageError('--from and --to are required');
  const now = Date.now();
  let from: number;
  let to: number;
  try {
    from = parseTimeParameter('from', values.from, now);
    to = parseTimeParameter('to', values.to, now);
  } catch (error) {
    if (error instanceof InvalidParameter) return usageError(`--${error.message}`);
    throw error;
  }
  if (to <= from) return usageError('--to must be after --from');
  let rules: Rule[];
  try {
    rules = loadRules(values.rules ?? process.env.ALERT_RULES_FILE);
  } catch (error) {
    if (error instanceof RulesError) {
      process.stderr.write(`csbs-errors alerts: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const runtime = commandRuntime();
  const store = await openCommandStore(runtime, 'alerts');
  if (store === undefined) return 1;
  try {
    const alerts = await backtest(store, rules, from, to);
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(alerts, null, 2)}\n` : renderTable(alerts));
    return 0;
  } finally {
    await store.close();
  }
}

export function renderTable(alerts: readonly WouldBeAlert[]): string {
  if (alerts.length === 0) return 'no alerts would have fired\n';
  const header = ['rule', 'labels', 'starts_at', 'ends_at', 'peak', 'baseline', 'factor'];
  const rows = alerts.map((a) => [
    a.rule,
    Object.entries(a.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '-',
    a.starts_at,
    a.ends_at ?? '(firing)',
    String(a.peak),
    a.baseline.toFixed(1),
    `${a.factor.toFixed(1)}x`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
