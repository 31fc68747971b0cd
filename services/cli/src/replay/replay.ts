/**
 * One file through the worker's path: each line is a Kafka message value for the extractor, lines
 * are grouped into fixed chunks of CHUNK_LINES, and each chunk is built by the worker's
 * PartitionBatchBuilder under a synthetic topic named after the file's content hash, the line
 * numbers standing in for offsets. A chunk's deduplication token is therefore a function of the
 * content and the line range alone: replaying the file again (whole, or after a crash half-way)
 * stores nothing twice.
 */
import { PartitionBatchBuilder, type BatchWriter, type MessageExtractor } from '@csbs-errors/ingest';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { readLines } from '../lines.js';

/** Fixed: a different chunking would give other tokens, and the same lines would be stored again. */
export const CHUNK_LINES = 10_000;

/** Stored as the events' source_topic: replayed events can be told apart from consumed ones. */
export function replayTopic(sha256: string): string {
  return `replay:${sha256.slice(0, 16)}`;
}

export interface ReplayCounts {
  lines: number;
  events: number;
  /** Records of the backup service, errors included (the denominator of error rates). */
  requests: number;
  skipped: Map<string, number>;
  dead: Map<string, number>;
  /** The first dead records: line and reason. */
  deadLines: Array<{ line: number; reason: string }>;
  chunks: number;
  /** Events of this file in the store before and after the replay (the difference is what this run stored). */
  storedBefore: number;
  storedAfter: number;
  /** Events older than `expiresBefore`: the store's retention will drop them. */
  expiring: number;
}

export interface ReplayOptions {
  file: string;
  sha256: string;
  store: ClickHouseClient;
  extractor: MessageExtractor;
  maxLineBytes: number;
  /** Cap of a stored event's message (MAX_STORED_MESSAGE_BYTES; default 8 KiB). */
  maxStoredMessageBytes?: number;
  /** Epoch ms; events before it are counted in `expiring` (undefined: retention keeps everything). */
  expiresBefore?: number;
  onProgress?: (lines: number) => void;
  write?: BatchWriter;
}

const MAX_DEAD_LINES = 10;
const PROGRESS_EVERY_LINES = 256;

export async function replayFile(options: ReplayOptions): Promise<ReplayCounts> {
  const { store, extractor } = options;
  const write = options.write ?? writeBatch;
  const topic = replayTopic(options.sha256);
  const counts: ReplayCounts = { lines: 0, events: 0, requests: 0, skipped: new Map(), dead: new Map(), deadLines: [], chunks: 0, storedBefore: 0, storedAfter: 0, expiring: 0 };
  counts.storedBefore = await storedEvents(store, topic);

  const flush = async (builder: PartitionBatchBuilder) => {
    const range = builder.range();
    if (range === null) return;
    tally(counts, builder, options.expiresBefore);
    const result = await write(store, builder.toStoredBatch(range));
    // Rows the store refused for good are not stored: they count as dead, with the store's reason.
    const refused = result ? result.refusedEvents.reduce((n, part) => n + part.rows.length, 0) : 0;
    if (refused > 0) {
      counts.events -= refused;
      counts.dead.set('store_rejected', (counts.dead.get('store_rejected') ?? 0) + refused);
    }
    counts.chunks++;
  };

  let builder = new PartitionBatchBuilder(topic, 0, options.maxStoredMessageBytes);
  for await (const line of readLines(options.file, options.maxLineBytes)) {
    counts.lines++;
    builder.add(String(counts.lines), extractor.extractMessage(line));
    if (counts.lines % CHUNK_LINES === 0) {
      await flush(builder);
      builder = new PartitionBatchBuilder(topic, 0, options.maxStoredMessageBytes);
    }
    if (counts.lines % PROGRESS_EVERY_LINES === 0) options.onProgress?.(counts.lines);
  }
  await flush(builder);
  options.onProgress?.(counts.lines);
  counts.storedAfter = await storedEvents(store, topic);
  return counts;
}

/** Events stored from the file (its synthetic topic); one column of the events is scanned. */
async function storedEvents(store: ClickHouseClient, topic: string): Promise<number> {
  const result = await store.query({ query: 'SELECT count() AS n FROM events WHERE source_topic = {topic:String}', query_params: { topic }, format: 'JSONEachRow' });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

/** Adds a chunk's outcomes (the builder counts them as `event`, `request`, `skip:<reason>`, `dead:<reason>`). */
function tally(counts: ReplayCounts, builder: PartitionBatchBuilder, expiresBefore: number | undefined): void {
  for (const [key, n] of builder.outcomeCounts) {
    const [kind, reason = ''] = key.split(':');
    if (kind === 'event') {
      counts.events += n;
      counts.requests += n;
    } else if (kind === 'request') counts.requests += n;
    else if (kind === 'skip') counts.skipped.set(reason, (counts.skipped.get(reason) ?? 0) + n);
    else if (kind === 'dead') counts.dead.set(reason, (counts.dead.get(reason) ?? 0) + n);
  }
  for (const letter of builder.deadLetters) {
    if (counts.deadLines.length >= MAX_DEAD_LINES) break;
    counts.deadLines.push({ line: Number(letter.headers['csbs-source-offset']), reason: letter.headers['csbs-reason'] ?? '' });
  }
  if (expiresBefore !== undefined) for (const event of builder.events) if (Date.parse(event.ts) < expiresBefore) counts.expiring++;
}
