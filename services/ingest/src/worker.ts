/**
 * The ingest worker: extract every consumed record, store each partition's batch with a
 * deduplication token, then commit. See docs/exactly-once.md for why this stores every event once:
 *
 *   1. commit the batch's first offset with the intent "batch FIRST-LAST" as metadata;
 *   2. insert (token FIRST-LAST), retried with backoff until it succeeds or the partition is lost;
 *   3. commit LAST+1 (with the batch's dead letters, in one Kafka transaction when it has any).
 *
 * Every commit of a partition is a transaction of the partition's transactional id. A worker that
 * takes a partition over first fences that id (no earlier owner can commit anything after that),
 * then reads the commit: it skips records below it, and when it finds an intent it rebuilds exactly
 * that batch, so a re-insert carries the same token and the store skips what it already has.
 * A commit that fails is never retried in place: the partition is taken over again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { writeBatch, type ClickHouseClient, type StoredEvent, type WriteResult } from '@csbs-errors/store';
import type { Logger } from '@csbs-errors/observability';
import { PartitionBatchBuilder, decodeIntent, encodeIntent, refusedEventLetter, type BatchPart, type Intent, type OffsetRange } from './batch.js';
import type { TimeWindow } from './admission.js';
import { inlineExtraction, type MessageExtractor, type RunExtractor } from './extraction.js';
import type { IngestMetrics } from './metrics.js';
import type { LogSource, PartitionBatch, SourceMessage } from './source.js';

export interface WorkerOptions {
  batchMaxRows: number;
  batchMaxMs: number;
  /** Bound on the time `stop()` spends storing what is pending before it leaves the group. */
  shutdownTimeoutMs?: number;
  /** Record times that are stored (default: no bounds). */
  timeWindow?: TimeWindow;
  /** Cap of a stored event's message (default 8 KiB). */
  maxStoredMessageBytes?: number;
}

/** Writes a batch to the store and tells which rows it refused for good; a seam so tests can make the store fail. */
export type BatchWriter = (client: ClickHouseClient, batch: Parameters<typeof writeBatch>[1]) => Promise<WriteResult | void>;

interface PartitionState {
  topic: string;
  partition: number;
  generation: number;
  pending: PartitionBatchBuilder;
  /**
   * Records below it are committed (the offset found at the take-over) or in a batch of this state
   * already (one past the last record taken): a fetch handed over again is never taken twice.
   */
  skipBelow: bigint | null;
  /** The last hand-over of this state, settled or not: the next one waits for it (see onBatch). */
  taking: Promise<void>;
  /**
   * The committed offset found at the take-over, until the first record is taken. A fetch that
   * begins past it is read again from it, once: after a rejoin the client can resume from a
   * position it fetched before (records it would skip). Seen a second time the gap is real (offsets
   * gone to retention, or aborted and control records a read_committed fetch does not show).
   */
  readFrom: bigint | null;
  /** Set after a take-over that found an intent: the first batch must end exactly here. */
  recoverUntil: Intent | null;
  /** Flushes of this partition run one after another. */
  flushing: Promise<void>;
  /** First offsets of the batches handed to `flushing` and not yet committed, oldest first. */
  unstored: string[];
  inFlight: boolean;
  /** A run of this partition is being extracted: its batch must not be stored meanwhile. */
  extracting: boolean;
  /** Given up after a failed commit: the partition is taken over again (see `takeOverAgain`). */
  lost: boolean;
  /** Offset after the broker's last message of the partition, as of its latest fetch. */
  highWatermark: bigint;
}

/**
 * An aged batch of a partition that is behind (at its latest fetch the broker held at least this
 * many more messages, or enough to fill the batch) is filled instead of stored, so that a backlog
 * goes in full batches: every insert into `events` costs the store a few milliseconds per
 * materialized view whatever its size (docs/performance.md). A few messages are not "behind": a
 * transaction's commit marker takes an offset that no fetch returns. An aged batch is stored anyway
 * once it is BEHIND_MAX_AGE_FACTOR times `batchMaxMs` old (a fetch that stalls).
 */
const BEHIND_MIN_MESSAGES = 100n;
const BEHIND_MAX_AGE_FACTOR = 10;

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class IngestWorker {
  private generation = 0;
  private readonly states = new Map<string, PartitionState>();
  private readonly loading = new Map<string, Promise<PartitionState>>();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly extraction: RunExtractor;

  /** `extractor`: an extraction pool (extract-pool.ts), or an extractor that then runs on this thread. */
  constructor(
    private readonly source: LogSource,
    private readonly store: ClickHouseClient,
    extractor: MessageExtractor | RunExtractor,
    private readonly options: WorkerOptions,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    private readonly write: BatchWriter = writeBatch,
  ) {
    this.extraction =
      'extractMessage' in extractor ? inlineExtraction(extractor, { timeWindow: options.timeWindow, maxStoredMessageBytes: options.maxStoredMessageBytes }) : extractor;
  }

  async start(): Promise<void> {
    const tick = Math.max(20, Math.min(250, Math.floor(this.options.batchMaxMs / 4)));
    clearInterval(this.timer); // start() is called again after a failed start
    this.timer = setInterval(() => this.flushAged(), tick);
    await this.source.start({ onBatch: (batch) => this.onBatch(batch), onAssignment: () => this.onAssignment() });
  }

  /** Store what is pending (bounded in time), then leave the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    const deadline = sleep(this.options.shutdownTimeoutMs ?? 10_000).then(() => 'timeout' as const);
    const flushes = Promise.all([...this.states.values()].map((state) => this.flush(state)));
    if ((await Promise.race([flushes.then(() => 'done' as const), deadline])) === 'timeout') {
      this.logger.warn('shutdown: pending batches not stored in time; they will be read again from the last commit');
    }
    // Any flush still retrying sees a new generation and gives up.
    this.generation += 1;
    await this.source.stop();
    await this.extraction.close();
  }

  private onAssignment(): void {
    // After a rebalance the client reads again from the committed offsets: drop what is pending.
    this.generation += 1;
    this.states.clear();
    this.loading.clear();
  }

  /**
   * Gives up every partition's unstored data without a rejoin: the client is told to fetch again
   * from the oldest offset not yet committed, so nothing is skipped if it keeps the partitions.
   */
  private abandonAll(): void {
    for (const state of this.states.values()) {
      const oldest = state.unstored[0] ?? state.pending.first;
      if (oldest !== null) this.source.seek(state.topic, state.partition, oldest);
    }
    this.onAssignment();
  }

  private async stateFor(topic: string, partition: number): Promise<PartitionState> {
    const k = key(topic, partition);
    const existing = this.states.get(k);
    if (existing) return existing;
    let loading = this.loading.get(k);
    if (!loading) {
      const generation = this.generation;
      // Fence first: after that no earlier owner's transaction can still change the commit.
      loading = this.source.fence(topic, partition).then(() => this.source.committed(topic, partition)).then((committed) => {
        const intent = decodeIntent(committed.metadata);
        const state: PartitionState = {
          topic,
          partition,
          generation,
          pending: this.newBuilder(topic, partition),
          skipBelow: committed.offset === null ? null : BigInt(committed.offset),
          taking: Promise.resolve(),
          readFrom: committed.offset === null ? null : BigInt(committed.offset),
          recoverUntil: intent !== null && committed.offset === intent.first ? intent : null,
          flushing: Promise.resolve(),
          unstored: [],
          inFlight: false,
          extracting: false,
          lost: false,
          highWatermark: 0n,
        };
        // A rebuilt batch judges record times by the clock of its first attempt.
        if (state.recoverUntil) state.pending.referenceMs = state.recoverUntil.referenceMs;
        if (state.recoverUntil) this.logger.info({ topic, partition, batch: committed.metadata }, 'rebuilding a batch that may have been stored before');
        if (generation === this.generation) this.states.set(k, state);
        return state;
      });
      this.loading.set(k, loading);
      loading.catch(() => this.loading.delete(k));
    }
    return loading;
  }

  private newBuilder(topic: string, partition: number): PartitionBatchBuilder {
    return new PartitionBatchBuilder(topic, partition, this.options.maxStoredMessageBytes);
  }

  /**
   * Takes a fetched batch in runs of consecutive messages: each run is extracted as a whole (in the
   * extraction threads) and absorbed into the pending batch, which is stored when it is full or, when
   * it is being rebuilt, exactly at the intent's last offset.
   */
  private async onBatch(batch: PartitionBatch): Promise<void> {
    if (this.stopping || !batch.isActive()) return;
    const state = await this.stateFor(batch.topic, batch.partition);
    // One hand-over of a partition state at a time: the client may hand a partition's fetches over
    // at once (fetches from an old and a new leader may overlap), and records must be taken in
    // order, once (`skipBelow`). A state of an earlier generation does not hold a newer one up.
    const previous = state.taking;
    let done = (): void => undefined;
    state.taking = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await previous;
      await this.takeBatch(state, batch);
    } finally {
      done();
    }
  }

  private async takeBatch(state: PartitionState, batch: PartitionBatch): Promise<void> {
    state.highWatermark = BigInt(batch.highWatermark);
    const { messages } = batch;
    let at = 0;
    while (at < messages.length) {
      if (this.stopping || !batch.isActive() || !this.owns(state)) return;
      if (state.skipBelow !== null) {
        // The client may fetch from before the commit (a seek of abandonAll that outlived a
        // rebalance, a commit that landed after the client read its position): stored already.
        // Or it hands records over again that this state has taken: they are in a batch already.
        const skipBelow = state.skipBelow;
        const from = at;
        while (at < messages.length && BigInt(messages[at]!.offset) < skipBelow) at += 1;
        if (at > from) {
          batch.markProcessed(messages[at - 1]!.offset);
          // Past the first record (`readFrom` is gone), what lies below was taken by this state.
          if (state.readFrom === null) this.logger.warn({ topic: batch.topic, partition: batch.partition, from: messages[from]!.offset, to: messages[at - 1]!.offset }, 'records handed over again; skipping what is in a batch already');
        }
        if (at === messages.length) break;
      }
      if (state.readFrom !== null) {
        const readFrom = state.readFrom;
        state.readFrom = null;
        if (BigInt(messages[at]!.offset) > readFrom) {
          this.logger.warn({ topic: batch.topic, partition: batch.partition, committed: readFrom.toString(), fetched: messages[at]!.offset }, 'the fetch began past the committed offset; reading again from it');
          this.source.seek(batch.topic, batch.partition, readFrom.toString());
          return;
        }
      }
      const end = this.runEnd(state, messages, at);
      if (end === at) {
        // The intended batch had offsets that are gone now (retention): store what is left of it.
        await this.flushWithHeartbeat(state, batch, { short: true });
        continue;
      }
      const run = messages.slice(at, end);
      // Record times are judged by the pending batch's clock; the batch is not stored before the
      // run is in it (see flushAged), so the run lands in the batch whose clock it was judged by.
      const referenceMs = this.options.timeWindow === undefined ? null : state.pending.reference();
      let parts: BatchPart[];
      state.extracting = true;
      try {
        parts = await this.extraction.extract(batch.topic, batch.partition, run, referenceMs);
      } catch (error) {
        // Nothing of the run was added: read every partition again from what is stored.
        this.logger.error({ err: error, topic: batch.topic, partition: batch.partition }, 'extraction failed; reading again from the last commits');
        this.abandonAll();
        return;
      } finally {
        state.extracting = false;
      }
      if (this.stopping || !batch.isActive() || !this.owns(state)) return;
      for (const part of parts) state.pending.absorb(part);
      const lastTaken = run[run.length - 1]!.offset;
      batch.markProcessed(lastTaken);
      state.skipBelow = BigInt(lastTaken) + 1n;
      at = end;
      if (state.recoverUntil !== null) {
        if (state.pending.last === state.recoverUntil.last) await this.flushWithHeartbeat(state, batch);
      } else if (state.pending.records >= this.options.batchMaxRows) {
        await this.handOver(state, batch);
      }
    }
  }

  /**
   * End (exclusive) of the next run from `at`: up to the intent's last offset while a batch is being
   * rebuilt (`at` itself when the message at `at` is past it), else as many messages as the pending
   * batch has rows left (a message holds at least one record).
   */
  private runEnd(state: PartitionState, messages: SourceMessage[], at: number): number {
    if (state.recoverUntil === null) return Math.min(messages.length, at + Math.max(1, this.options.batchMaxRows - state.pending.records));
    const last = BigInt(state.recoverUntil.last);
    let end = at;
    while (end < messages.length && BigInt(messages[end]!.offset) <= last) end += 1;
    return end;
  }

  /** Stores the pending batch and waits until it is committed (see withHeartbeat). */
  private flushWithHeartbeat(state: PartitionState, batch: PartitionBatch, options: { short?: boolean } = {}): Promise<void> {
    return this.withHeartbeat(batch, this.flush(state, options));
  }

  /**
   * Hands the full pending batch to the partition's flush queue and goes on reading while it is
   * stored, so that reading and extracting overlap with storing. A partition has at most one batch
   * queued behind the one being stored: first wait (with heartbeats) until the queue is empty. The
   * queue stores and commits one batch after the other, so the commits keep their order.
   */
  private async handOver(state: PartitionState, batch: PartitionBatch): Promise<void> {
    if (state.unstored.length > 0) await this.withHeartbeat(batch, state.flushing);
    if (this.owns(state)) void this.flush(state);
  }

  /**
   * Waits for a flush while keeping the membership alive. When a heartbeat fails (a rebalance began,
   * or the group dropped us) ownership is in doubt: stop waiting and let the client rejoin. The
   * flush gives up at its next step, and whoever owns the partition next rebuilds it from the intent.
   */
  private async withHeartbeat(batch: PartitionBatch, work: Promise<void>): Promise<void> {
    let beat: NodeJS.Timeout | undefined;
    const membershipLost = new Promise<void>((resolve) => {
      beat = setInterval(() => {
        batch.heartbeat().catch(() => {
          this.abandonAll();
          resolve();
        });
      }, 1_000);
    });
    try {
      await Promise.race([work, membershipLost]);
    } finally {
      clearInterval(beat);
    }
  }

  private flushAged(): void {
    const now = Date.now();
    const { batchMaxMs, batchMaxRows } = this.options;
    for (const state of this.states.values()) {
      if (state.inFlight || state.extracting || state.recoverUntil !== null || state.pending.records === 0) continue;
      const age = now - state.pending.startedAt;
      if (age < batchMaxMs) continue;
      // A message holds at least one record, so `room` waiting messages fill the batch.
      const waiting = state.highWatermark - BigInt(state.pending.last ?? '0') - 1n;
      const room = BigInt(batchMaxRows - state.pending.records);
      const behind = waiting >= (room < BEHIND_MIN_MESSAGES ? room : BEHIND_MIN_MESSAGES);
      if (behind && age < batchMaxMs * BEHIND_MAX_AGE_FACTOR) continue;
      void this.flush(state);
    }
  }

  /**
   * Hands the pending batch to the partition's flush queue and waits for it. A batch being rebuilt
   * from an intent is only flushed once complete, or `short` when its missing offsets are gone.
   */
  private flush(state: PartitionState, options: { short?: boolean } = {}): Promise<void> {
    const builder = state.pending;
    if (state.recoverUntil !== null && builder.last !== state.recoverUntil.last && options.short !== true) return state.flushing;
    const range = state.recoverUntil ?? builder.range();
    state.pending = this.newBuilder(state.topic, state.partition);
    state.recoverUntil = null;
    if (range === null) return state.flushing;
    state.unstored.push(range.first);
    state.flushing = state.flushing.then(async () => {
      state.inFlight = true;
      try {
        await this.storeAndCommit(state, builder, range);
      } catch (error) {
        this.logger.error({ err: error, topic: state.topic, partition: state.partition }, 'batch abandoned');
      } finally {
        state.unstored.shift();
        state.inFlight = false;
      }
    });
    return state.flushing;
  }

  private owns(state: PartitionState): boolean {
    return state.generation === this.generation && !state.lost;
  }

  /**
   * Gives the partition up after a failed commit and takes it over again, as after a rebalance. A
   * failed transaction may have been settled either way, and only a new epoch of the partition's
   * transactional id can tell; but a new epoch fences whoever owns the partition now, and that may
   * be another member already (this one has not heard of the rebalance yet). Committing in place
   * after such a fence overwrote the new owner's intent with an older offset, and the owner after
   * it formed other batches over rows stored already: events stored twice. A take-over reads the
   * commit after its fence, so it goes on from whatever was committed last: an intent is rebuilt.
   * Unstored data is dropped and read again from the oldest unstored offset.
   */
  private takeOverAgain(state: PartitionState): void {
    if (!this.owns(state)) return;
    state.lost = true;
    const k = key(state.topic, state.partition);
    if (this.states.get(k) === state) this.states.delete(k);
    this.loading.delete(k);
    const oldest = state.unstored[0] ?? state.pending.first;
    if (oldest !== null) this.source.seek(state.topic, state.partition, oldest);
  }

  /** One attempt at a commit; a failure gives the partition up to be taken over again (`takeOverAgain`). */
  private async commitOnce(state: PartitionState, what: string, action: () => Promise<void>): Promise<boolean> {
    if (!this.owns(state)) return false;
    try {
      await action();
      return true;
    } catch (error) {
      if (!this.owns(state)) return false;
      this.metrics.commitRetries.inc();
      this.logger.warn({ err: error, topic: state.topic, partition: state.partition }, `${what} failed; taking the partition over again`);
      this.takeOverAgain(state);
      return false;
    }
  }

  /** Retries `action` with exponential backoff while this worker still owns the partition. */
  private async retry(state: PartitionState, what: string, onRetry: () => void, action: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      if (!this.owns(state)) return false;
      try {
        await action();
        return true;
      } catch (error) {
        if (!this.owns(state)) return false;
        onRetry();
        const delay = Math.min(10_000, 100 * 2 ** Math.min(attempt, 7));
        this.logger.warn({ err: error, topic: state.topic, partition: state.partition, attempt, delay_ms: delay }, `${what} failed; retrying`);
        await sleep(delay);
      }
    }
  }

  private async storeAndCommit(state: PartitionState, builder: PartitionBatchBuilder, range: OffsetRange): Promise<void> {
    const { topic, partition } = state;
    if (!(await this.commitOnce(state, 'intent commit', () => this.source.commit(topic, partition, range.first, encodeIntent(range, builder.referenceMs))))) return;

    const stored = builder.toStoredBatch(range);
    const started = performance.now();
    let result: WriteResult | void = undefined;
    const written = await this.retry(state, 'store', () => this.metrics.storeRetries.inc(), async () => {
      result = await this.write(this.store, stored);
    });
    if (!written) return;
    this.metrics.insertSeconds.observe((performance.now() - started) / 1000);
    const refusedEvents = this.takeRefused(state, builder, result);

    const next = (BigInt(range.last) + 1n).toString();
    let lost = false;
    const committed =
      builder.deadLetters.length > 0
        ? await this.commitOnce(state, 'dead letters and commit', () =>
            this.source.commitWithDeadLetters(topic, partition, next, builder.deadLetters, async () => {
              // Never publish twice: not after losing the partition, nor when the batch is committed
              // already (by an attempt of ours whose answer was lost, or by an earlier owner).
              if (!this.owns(state)) {
                lost = true;
                return false;
              }
              const current = await this.source.committed(topic, partition);
              return current.offset === null || BigInt(current.offset) <= BigInt(range.first);
            }),
          )
        : await this.commitOnce(state, 'commit', () => this.source.commit(topic, partition, next, null));
    if (!committed || lost) return;

    this.metrics.batchRecords.observe(builder.records);
    for (const [outcome, count] of builder.outcomeCounts) {
      const [kind = outcome, reason = ''] = outcome.split(':');
      this.metrics.records.inc({ outcome: kind, reason }, count);
      if (kind === 'dead') this.metrics.deadLetters.inc({ reason }, count);
    }
    for (const event of stored.events) if (!refusedEvents.has(event)) this.metrics.events.inc({ code: this.metrics.codeLabel(event.code, event.known) });
    if (refusedEvents.size > 0) {
      this.metrics.deadLetters.inc({ reason: 'store_rejected' }, refusedEvents.size);
      this.metrics.storeRefusedRows.inc({ table: 'events' }, refusedEvents.size);
    }
  }

  /**
   * Rows the store refused for good (bad data, not an outage: retrying would never end): refused
   * events join the batch's dead letters (reason `store_rejected`), refused request counts are
   * counted and logged. Returns the refused events.
   */
  private takeRefused(state: PartitionState, builder: PartitionBatchBuilder, result: WriteResult | void): Set<StoredEvent> {
    const refused = new Set<StoredEvent>();
    if (!result) return refused;
    for (const part of result.refusedEvents) {
      this.logger.error({ topic: state.topic, partition: state.partition, rows: part.rows.length, error: part.error }, 'the store refused events; dead-lettering them');
      for (const event of part.rows) {
        refused.add(event);
        builder.deadLetters.push(refusedEventLetter(event, part.error));
      }
    }
    for (const part of result.refusedRequestCounts) {
      this.logger.error({ topic: state.topic, partition: state.partition, rows: part.rows.length, error: part.error }, 'the store refused request counts; they are not stored');
      this.metrics.storeRefusedRows.inc({ table: 'request_counts_1m' }, part.rows.length);
    }
    return refused;
  }
}
