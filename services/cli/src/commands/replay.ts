/**
 * `csbs-errors replay FILE...`: archived gateway logs (NDJSON or a JSON array per line, plain or
 * gzip) through the worker's extraction and storage path into the store, for postmortems.
 * Idempotent: chunks carry deduplication tokens derived from the file's content hash and line range,
 * and a file replayed to the end is recorded by its hash, so replaying it again stores nothing.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createExtractor } from '@csbs-errors/extract';
import { commandRuntime, openCommandStore } from '../store-command.js';
import { fingerprint } from '../replay/fingerprint.js';
import { findReplayed, recordReplayed } from '../replay/ledger.js';
import { Progress } from '../replay/progress.js';
import { replayFile } from '../replay/replay.js';
import { renderRecognised, renderSummary } from '../replay/summary.js';

const USAGE = `usage: csbs-errors replay [--force] FILE...

Puts archived gateway log records (one Kafka message value per line: NDJSON, or a JSON array per
line; plain or gzip) through the ingest worker's extraction and storage into the store given by
CLICKHOUSE_URL. Replaying a file again stores nothing twice. Progress goes to stderr, a summary
per file to stdout.

The embedded store (chdb://DIR) belongs to one process: stop \`serve\` on the same directory first,
or replay into a ClickHouse server. Archives older than RETENTION_DAYS are dropped by the store's
TTL: replay them with RETENTION_DAYS=0.

options:
  --force      replay files recorded as replayed already
  -h, --help   this text
`;

const DAY_MS = 86_400_000;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (error) {
    process.stderr.write(`csbs-errors replay: ${errorMessage(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const files = parsed.positionals;
  if (files.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (files.includes('-')) {
    process.stderr.write('csbs-errors replay: stdin cannot be replayed (a file is read twice: its content hash first); save it to a file\n');
    return 2;
  }

  const runtime = commandRuntime();
  const store = await openCommandStore(runtime, 'replay');
  if (store === undefined) return 1;
  const { ingest, clickhouse } = runtime.config;
  const extractor = createExtractor({ maxMessageBytes: ingest.maxMessageBytes, servicePattern: ingest.servicePattern });
  const expiresBefore = clickhouse.retentionDays > 0 ? Date.now() - clickhouse.retentionDays * DAY_MS : undefined;
  let failed = 0;
  try {
    for (const file of files) {
      let progress: Progress | undefined;
      try {
        const print = await fingerprint(file);
        const prior = await findReplayed(store, print.sha256);
        if (prior !== undefined && !parsed.values.force) {
          process.stdout.write(renderRecognised(file, prior));
          continue;
        }
        const bar = new Progress(process.stderr, `replay ${basename(file)}`, print.lines);
        progress = bar;
        const counts = await replayFile({
          file,
          sha256: print.sha256,
          store,
          extractor,
          maxLineBytes: ingest.maxMessageBytes,
          maxStoredMessageBytes: ingest.maxStoredMessageBytes,
          ...(expiresBefore !== undefined ? { expiresBefore } : {}),
          onProgress: (lines) => bar.update(lines),
        });
        bar.finish();
        await recordReplayed(store, {
          sha256: print.sha256,
          file: basename(file),
          lines: counts.lines,
          events: counts.events,
          requests: counts.requests,
          skipped: [...counts.skipped.values()].reduce((a, b) => a + b, 0),
          dead: [...counts.dead.values()].reduce((a, b) => a + b, 0),
          replayed_at: new Date().toISOString(),
        });
        process.stdout.write(renderSummary(file, print, counts, clickhouse.retentionDays));
      } catch (error) {
        progress?.finish();
        failed++;
        process.stderr.write(`csbs-errors replay: ${file}: ${errorMessage(error)}; what was stored is kept and nothing is stored twice: run the same replay again to finish it\n`);
      }
    }
  } finally {
    await store.close();
  }
  return failed > 0 ? 1 : 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
