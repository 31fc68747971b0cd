/**
 * Watches the committed progress of the worker's partitions with the admin client, every
 * INGEST_LAG_POLL_MS, whether or not anything is consumed: the lag gauge is the committed lag (high
 * watermark minus the group's committed offset), and a partition with records to read whose
 * committed offset has not moved for INGEST_STALL_AFTER_MS is reported stalled (metric and /readyz).
 */
import type { Logger } from '@csbs-errors/observability';
import type { IngestHealth, StalledPartition } from './health.js';
import type { IngestMetrics } from './metrics.js';

export interface PartitionProgress {
  topic: string;
  partition: number;
  /** Offset of the next record the broker will have. */
  high: string;
  /** Offset of the earliest record still kept. */
  low: string;
  /** The group's committed offset (next to read), null when it never committed there. */
  committed: string | null;
}

export interface ProgressOptions {
  pollMs: number;
  stallAfterMs: number;
}

interface Seen {
  committed: string | null;
  /** When the committed offset last moved, the partition was last caught up, or was assigned. */
  progressAt: number;
  stalled: boolean;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class ProgressWatcher {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<string, Seen>();
  private lastRead = Date.now();
  private polling = false;

  constructor(
    /** The progress of the partitions this worker owns now. */
    private readonly read: () => Promise<PartitionProgress[]>,
    private readonly metrics: IngestMetrics,
    private readonly health: IngestHealth,
    private readonly logger: Logger,
    private readonly options: ProgressOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look at the partitions (also called by the timer). */
  async poll(now = Date.now()): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const partitions = await this.read();
      this.lastRead = now;
      this.health.setProgressUnknown(null);
      this.update(partitions, now);
    } catch (error) {
      this.logger.debug({ err: error }, 'could not read the committed progress');
      if (now - this.lastRead >= this.options.stallAfterMs) {
        this.health.setProgressUnknown(`committed progress not readable since ${new Date(this.lastRead).toISOString()}: ${String(error)}`);
      }
    } finally {
      this.polling = false;
    }
  }

  private update(partitions: PartitionProgress[], now: number): void {
    const current = new Set<string>();
    const stalled: StalledPartition[] = [];
    let moved = false;
    let behind = false;
    for (const p of partitions) {
      const k = key(p.topic, p.partition);
      current.add(k);
      const labels = { topic: p.topic, partition: String(p.partition) };
      const position = BigInt(p.committed ?? p.low);
      const lag = BigInt(p.high) > position ? Number(BigInt(p.high) - position) : 0;
      this.metrics.lag.set(labels, lag);
      const before = this.seen.get(k);
      const seen: Seen = before ?? { committed: p.committed, progressAt: now, stalled: false };
      if (before !== undefined && before.committed !== p.committed) moved = true;
      if (lag === 0 || (before !== undefined && before.committed !== p.committed)) seen.progressAt = now;
      seen.committed = p.committed;
      this.seen.set(k, seen);
      if (lag > 0) behind = true;
      const isStalled = lag > 0 && now - seen.progressAt >= this.options.stallAfterMs;
      this.metrics.stalled.set(labels, isStalled ? 1 : 0);
      if (isStalled && !seen.stalled) this.logger.error({ topic: p.topic, partition: p.partition, lag, since: new Date(seen.progressAt).toISOString() }, 'partition stalled: records to read and no committed progress');
      if (!isStalled && seen.stalled) this.logger.info({ topic: p.topic, partition: p.partition }, 'partition moves again');
      seen.stalled = isStalled;
      if (isStalled) stalled.push({ topic: p.topic, partition: p.partition, lag, since: new Date(seen.progressAt).toISOString() });
    }
    // Partitions given away: their gauges belong to their new owner.
    for (const k of [...this.seen.keys()]) {
      if (current.has(k)) continue;
      this.seen.delete(k);
      const [topic = '', partition = ''] = k.split('\u0000');
      this.metrics.lag.remove({ topic, partition });
      this.metrics.stalled.remove({ topic, partition });
    }
    this.health.setStalled(stalled);
    if (moved || (partitions.length > 0 && !behind)) this.health.progressed();
  }
}
