/**
 * `csbs-errors report --from T --to T [--tenant ID] [--format md|json]`: the postmortem report of a
 * window, read from the store (the same report as GET /v1/reports/postmortem), on stdout.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { buildReport, renderMarkdown } from '@csbs-errors/report';
import { BATCH_QUERY_LIMITS, InvalidParameter, MAX_REPORT_WINDOW_MS, boundQuery, resolveWindow, type Filters } from '@csbs-errors/query';
import { commandRuntime, openCommandStore } from '../store-command.js';

const USAGE = `usage: csbs-errors report --from T --to T [options]

The postmortem report of the window [from, to): summary, timeline (first error, peak minute, last
error, alerts fired), top codes with the catalog's description and solution, unknown codes, status
mismatches, tenants and operations hit, resources named in the messages, and the comparison with
the previous window of the same length. Times are ISO-8601 (UTC unless an offset is given) or
relative (now-2h). Reads the store of CLICKHOUSE_URL (an embedded one only when no \`serve\` holds it).

options:
  --from T, --to T     the window (required)
  --tenant ID          only this tenant (repeatable); likewise --code, --status, --operation
  --format md|json     markdown (default) or the report object as JSON
  --limit N            codes listed in top codes (default 20)
  -h, --help           this text
`;

const optionsSchema = z.object({
  format: z.enum(['md', 'json'], { error: 'expected md or json' }).default('md'),
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1).max(1_000).default(20),
  status: z.array(z.coerce.number().int().min(100, 'expected an HTTP status').max(599, 'expected an HTTP status')).default([]),
});

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        tenant: { type: 'string', multiple: true, default: [] },
        code: { type: 'string', multiple: true, default: [] },
        status: { type: 'string', multiple: true },
        operation: { type: 'string', multiple: true, default: [] },
        format: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.from === undefined || values.to === undefined) return usageError('--from and --to are required');
  const options = optionsSchema.safeParse({ format: values.format, limit: values.limit, status: values.status });
  if (!options.success) return usageError(options.error.issues.map((issue) => `--${String(issue.path[0])}: ${issue.message}`).join('; '));
  let window;
  try {
    window = resolveWindow({ from: values.from, to: values.to }, Date.now(), MAX_REPORT_WINDOW_MS);
  } catch (error) {
    if (error instanceof InvalidParameter) return usageError(`--${error.message}`);
    throw error;
  }
  const filters: Filters = { tenant: [...new Set(values.tenant)], code: values.code, status: options.data.status, operation: values.operation };

  const runtime = commandRuntime();
  const store = await openCommandStore(runtime, 'report');
  if (store === undefined) return 1;
  try {
    const report = await buildReport({ query: boundQuery(store, BATCH_QUERY_LIMITS), window, filters, limits: { codes: options.data.limit } });
    process.stdout.write(options.data.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report));
    return 0;
  } finally {
    await store.close();
  }
}

function usageError(message: string): number {
  process.stderr.write(`csbs-errors report: ${message}\n\n${USAGE}`);
  return 2;
}
