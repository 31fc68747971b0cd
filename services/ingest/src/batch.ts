/**
 * A batch of one partition's records between two commits: the rows to store, the request counts
 * aggregated per minute, and the dead letters. Built in offset order so that the same offset range
 * always gives the same rows (the deduplication of replays depends on it).
 */
import type { RecordOutcome } from '@csbs-errors/extract';
import type { RequestCountRow, StoredBatch, StoredEvent } from '@csbs-errors/store';
import type { DeadLetter } from './source.js';

export interface OffsetRange {
  first: string;
  last: string;
}

/**
 * What a builder holds, as plain data: a run of consecutive records built elsewhere (an extraction
 * thread) and absorbed, in offset order, into the partition's pending batch.
 */
export interface BatchPart {
  first: string | null;
  last: string | null;
  records: number;
  events: StoredEvent[];
  deadLetters: DeadLetter[];
  /**
   * Request counts as parallel arrays of keys (see `requestKey`) and counts: nearly one per record
   * when traffic spreads over many tenants, and strings clone between threads far cheaper than
   * objects (no property names per row).
   */
  requestCounts: { keys: string[]; counts: number[] };
  outcomeCounts: Array<[string, number]>;
}

/** Default cap of a stored event's `message` (MAX_STORED_MESSAGE_BYTES). */
export const DEFAULT_MAX_STORED_MESSAGE_BYTES = 8 * 1024;

export class PartitionBatchBuilder {
  readonly events: StoredEvent[] = [];
  readonly deadLetters: DeadLetter[] = [];
  /** Requests per `requestKey`: a row object is built only when the batch is stored. */
  private readonly requestCounts = new Map<string, number>();
  readonly outcomeCounts = new Map<string, number>();
  first: string | null = null;
  last: string | null = null;
  records = 0;
  /** When the first record arrived: the batch is stored at most INGEST_BATCH_MAX_MS later. */
  startedAt = 0;
  /**
   * The batch's clock for judging record times (too old, too far in the future): taken once per
   * batch and kept in its intent, so that a rebuilt batch judges its records as the first attempt did.
   */
  referenceMs: number | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly maxStoredMessageBytes: number = DEFAULT_MAX_STORED_MESSAGE_BYTES,
  ) {}

  /** The batch's clock (see `referenceMs`), taken now if the batch has none yet. */
  reference(): number {
    this.referenceMs ??= Date.now();
    return this.referenceMs;
  }

  add(offset: string, outcomes: RecordOutcome[]): void {
    if (this.first === null) {
      this.first = offset;
      this.startedAt = Date.now();
    }
    this.last = offset;
    outcomes.forEach((outcome, index) => {
      this.records += 1;
      const countKey = outcome.kind === 'dead' || outcome.kind === 'skip' ? `${outcome.kind}:${outcome.reason}` : outcome.kind;
      this.outcomeCounts.set(countKey, (this.outcomeCounts.get(countKey) ?? 0) + 1);
      switch (outcome.kind) {
        case 'event':
          this.events.push({
            ...outcome.event,
            ...capMessage(outcome.event.message, this.maxStoredMessageBytes),
            source_topic: this.topic,
            source_partition: this.partition,
            source_offset: offset,
            source_index: index,
          });
          this.countRequest(outcome.request.ts, outcome.request.tenant, outcome.request.operation, outcome.request.status);
          break;
        case 'request':
          this.countRequest(outcome.request.ts, outcome.request.tenant, outcome.request.operation, outcome.request.status);
          break;
        case 'dead': {
          const { value, originalBytes } = deadLetterValue(outcome.raw);
          this.deadLetters.push({
            key: `${this.topic}:${this.partition}:${offset}:${index}`,
            value,
            headers: {
              'csbs-reason': outcome.reason,
              'csbs-detail': outcome.detail,
              'csbs-source-topic': this.topic,
              'csbs-source-partition': String(this.partition),
              'csbs-source-offset': offset,
              'csbs-source-index': String(index),
              ...(originalBytes === undefined ? {} : { 'csbs-original-bytes': String(originalBytes) }),
            },
          });
          break;
        }
        case 'skip':
          break;
      }
    });
  }

  private countRequest(ts: string, tenant: string, operation: string, status: number): void {
    this.addRequests(requestKey(`${ts.slice(0, 16)}:00.000Z`, tenant, operation, status), 1);
  }

  private addRequests(key: string, requests: number): void {
    this.requestCounts.set(key, (this.requestCounts.get(key) ?? 0) + requests);
  }

  /** The builder's content as plain data (see BatchPart). */
  toPart(): BatchPart {
    return {
      first: this.first,
      last: this.last,
      records: this.records,
      events: this.events,
      deadLetters: this.deadLetters,
      requestCounts: { keys: [...this.requestCounts.keys()], counts: [...this.requestCounts.values()] },
      outcomeCounts: [...this.outcomeCounts],
    };
  }

  /** Adds the records of `part`, which follow this builder's last offset: as if each was added here. */
  absorb(part: BatchPart): void {
    if (part.first === null) return;
    if (this.first === null) {
      this.first = part.first;
      this.startedAt = Date.now();
    }
    this.last = part.last;
    this.records += part.records;
    for (const event of part.events) this.events.push(event);
    for (const letter of part.deadLetters) this.deadLetters.push(letter);
    const { keys, counts } = part.requestCounts;
    for (let i = 0; i < keys.length; i += 1) this.addRequests(keys[i]!, counts[i]!);
    for (const [outcome, count] of part.outcomeCounts) this.outcomeCounts.set(outcome, (this.outcomeCounts.get(outcome) ?? 0) + count);
  }

  range(): OffsetRange | null {
    return this.first === null || this.last === null ? null : { first: this.first, last: this.last };
  }

  toStoredBatch(range: OffsetRange): StoredBatch {
    const requestCounts = [...this.requestCounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, requests]) => requestRow(key, requests));
    return { token: batchToken(this.topic, this.partition, range), events: this.events, requestCounts };
  }
}

/**
 * A request-count row's identity: minute, tenant, operation and status joined by NUL. The rows of
 * a stored batch are in the order of these keys. Minutes (ISO-8601), operations (the route
 * tables' names) and statuses hold no NUL, so the tenant is what lies between the first and the
 * second-to-last separator, whatever it holds.
 */
function requestKey(minute: string, tenant: string, operation: string, status: number): string {
  return `${minute}\u0000${tenant}\u0000${operation}\u0000${status}`;
}

function requestRow(key: string, requests: number): RequestCountRow {
  const afterMinute = key.indexOf('\u0000');
  const beforeStatus = key.lastIndexOf('\u0000');
  const beforeOperation = key.lastIndexOf('\u0000', beforeStatus - 1);
  return {
    minute: key.slice(0, afterMinute),
    tenant: key.slice(afterMinute + 1, beforeOperation),
    operation: key.slice(beforeOperation + 1, beforeStatus),
    status: Number(key.slice(beforeStatus + 1)),
    requests,
  };
}

/**
 * Largest dead-letter value published. A longer unreadable record (one above MAX_MESSAGE_BYTES, say)
 * is cut to its first bytes and its size goes in `csbs-original-bytes`: a broker takes 1 MB per
 * record batch unless the topic allows more, and a dead letter it refuses would hold its partition
 * back for good.
 */
export const DEAD_LETTER_MAX_BYTES = 256 * 1024;

/** The dead letter of an event the store refused: the refused row as JSON (the record itself stays at its source offset). */
export function refusedEventLetter(event: StoredEvent, error: string): DeadLetter {
  return {
    key: `${event.source_topic}:${event.source_partition}:${event.source_offset}:${event.source_index}`,
    value: JSON.stringify(event),
    headers: {
      'csbs-reason': 'store_rejected',
      'csbs-detail': error,
      'csbs-source-topic': event.source_topic,
      'csbs-source-partition': String(event.source_partition),
      'csbs-source-offset': event.source_offset,
      'csbs-source-index': String(event.source_index),
    },
  };
}

function deadLetterValue(raw: Uint8Array | string): { value: Buffer | string; originalBytes?: number } {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size <= DEAD_LETTER_MAX_BYTES) return { value: typeof raw === 'string' ? raw : Buffer.from(raw) };
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  // A copy, so that the batch does not keep the whole record alive.
  return { value: Buffer.from(bytes.subarray(0, DEAD_LETTER_MAX_BYTES)), originalBytes: size };
}

/**
 * The message cut to at most `maxBytes` bytes of UTF-8, on a character boundary: huge error bodies
 * are kept in Kafka and the dead-letter topic, not in every row and API answer.
 */
export function capMessage(message: string, maxBytes: number): { message: string; message_truncated: boolean } {
  // A string of n UTF-16 units takes at most 3n bytes of UTF-8.
  if (message.length * 3 <= maxBytes || Buffer.byteLength(message) <= maxBytes) return { message, message_truncated: false };
  const bytes = Buffer.from(message);
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { message: bytes.subarray(0, end).toString('utf8'), message_truncated: true };
}

export function batchToken(topic: string, partition: number, range: OffsetRange): string {
  return `${topic}:${partition}:${range.first}-${range.last}`;
}

/** Offset-commit metadata that records a batch about to be stored (see docs/exactly-once.md). */
const INTENT_PREFIX = 'csbs-errors/v1 batch ';

/** A batch about to be stored: its offsets and its clock (null in intents written without one). */
export interface Intent extends OffsetRange {
  referenceMs: number | null;
}

export function encodeIntent(range: OffsetRange, referenceMs: number | null = null): string {
  return `${INTENT_PREFIX}${range.first}-${range.last}${referenceMs === null ? '' : ` at ${referenceMs}`}`;
}

export function decodeIntent(metadata: string | null): Intent | null {
  if (metadata === null || !metadata.startsWith(INTENT_PREFIX)) return null;
  const match = /^(\d+)-(\d+)(?: at (\d+))?$/.exec(metadata.slice(INTENT_PREFIX.length));
  if (!match || match[1] === undefined || match[2] === undefined) return null;
  const referenceMs = match[3] === undefined ? null : Number(match[3]);
  return BigInt(match[1]) <= BigInt(match[2]) ? { first: match[1], last: match[2], referenceMs } : null;
}
