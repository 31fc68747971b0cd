/**
 * The store of a one-shot command (`replay`, `report`): opened with the schema brought up to date,
 * logs kept to warnings unless LOG_LEVEL asks for more (the command's own output is what counts),
 * and a clear message when the embedded data directory is held by another process: one process
 * owns an embedded directory, so these commands cannot run next to `serve` on the same one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStoreUrl, type ClickHouseClient } from '@csbs-errors/store';
import { loadRuntime, openStore, type Runtime } from './runtime.js';

/** The runtime of a one-shot command: configuration and quiet logs. */
export function commandRuntime(): Runtime {
  const runtime = loadRuntime();
  if (process.env.LOG_LEVEL === undefined) runtime.logger.level = 'warn';
  return runtime;
}

/**
 * Opens the store for `command`. When another process holds the embedded directory it says so on
 * stderr and resolves to undefined: the command then exits 1.
 */
export async function openCommandStore(runtime: Runtime, command: string): Promise<ClickHouseClient | undefined> {
  try {
    return await openStore(runtime);
  } catch (error) {
    const target = parseStoreUrl(runtime.config.clickhouse.url);
    if (target.kind !== 'embedded' || (error as { code?: unknown }).code !== 'CHDB_CONNECTION') throw error;
    const holder = lockHolder(target.location);
    process.stderr.write(
      `csbs-errors ${command}: cannot open the embedded store at ${target.location}: ${holder === undefined ? 'it is in use by another process' : `process ${holder} holds it`} ` +
        '(`csbs-errors serve` on the same CLICKHOUSE_URL?). One process owns an embedded data directory: stop that process first, ' +
        'or run against a ClickHouse server (CLICKHOUSE_URL=http://...) that both can share.\n',
    );
    return undefined;
  }
}

/** The PID in the embedded engine's lock file (`status`), if it names one. */
function lockHolder(dir: string): string | undefined {
  try {
    return /^PID: (\d+)$/m.exec(readFileSync(join(dir, 'status'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
