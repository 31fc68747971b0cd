/** The files replayed to the end (table `replayed_files`, migration 0006), by content hash. */
import type { ClickHouseClient } from '@csbs-errors/store';

export interface ReplayedFile {
  sha256: string;
  file: string;
  lines: number;
  events: number;
  requests: number;
  skipped: number;
  dead: number;
  /** ISO-8601 UTC. */
  replayed_at: string;
}

interface Row extends Omit<ReplayedFile, 'lines' | 'events' | 'requests' | 'skipped' | 'dead' | 'replayed_at'> {
  lines: string;
  events: string;
  requests: string;
  skipped: string;
  dead: string;
  replayed_ms: string;
}

/** The first complete replay of the content, if any. */
export async function findReplayed(store: ClickHouseClient, sha256: string): Promise<ReplayedFile | undefined> {
  const result = await store.query({
    query: `SELECT sha256, file, lines, events, requests, skipped, dead, toUnixTimestamp64Milli(replayed_at) AS replayed_ms
            FROM replayed_files WHERE sha256 = {sha256:String} ORDER BY replayed_at LIMIT 1`,
    query_params: { sha256 },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<Row>();
  if (row === undefined) return undefined;
  return {
    sha256: row.sha256,
    file: row.file,
    lines: Number(row.lines),
    events: Number(row.events),
    requests: Number(row.requests),
    skipped: Number(row.skipped),
    dead: Number(row.dead),
    replayed_at: new Date(Number(row.replayed_ms)).toISOString(),
  };
}

export async function recordReplayed(store: ClickHouseClient, entry: ReplayedFile): Promise<void> {
  await store.insert({ table: 'replayed_files', values: [entry], format: 'JSONEachRow' });
}
