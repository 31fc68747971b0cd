/**
 * What /readyz says about the ingest worker: whether it consumes, and if not, why. Not ready while
 * it connects or joins its group, after its consumer crashed (until it makes progress again), when
 * a partition of it has records to read and made no committed progress for INGEST_STALL_AFTER_MS,
 * or when its committed progress could not be read for that long.
 */
import type { IngestMetrics } from './metrics.js';

export interface StalledPartition {
  topic: string;
  partition: number;
  lag: number;
  /** ISO time of the last committed progress seen (or of the assignment). */
  since: string;
}

export interface IngestStatus {
  ready: boolean;
  /** starting: connecting or joining the group; consuming; crashed: the consumer stopped and is being restarted; stopped. */
  state: 'starting' | 'consuming' | 'crashed' | 'stopped';
  /** Why it is not ready (absent when ready). */
  reason?: string;
  stalled: StalledPartition[];
}

export class IngestHealth {
  private state: IngestStatus['state'] = 'starting';
  private reason = 'connecting to Kafka';
  private crash: string | null = null;
  private stalled: StalledPartition[] = [];
  private progressUnknown: string | null = null;

  constructor(private readonly metrics?: IngestMetrics) {
    this.publish();
  }

  /** Not consuming yet: `why` says what it waits for (connecting, joining, the last start-up error). */
  starting(why: string): void {
    if (this.state === 'stopped') return;
    this.state = 'starting';
    this.reason = why;
    this.publish();
  }

  /** Joined the group and consuming. A crash before stays on record until `progressed`. */
  consuming(): void {
    if (this.state === 'stopped') return;
    this.state = this.crash === null ? 'consuming' : 'crashed';
    this.publish();
  }

  crashed(error: string): void {
    if (this.state === 'stopped') return;
    this.state = 'crashed';
    this.crash = error;
    this.publish();
  }

  /** Committed progress was seen (or nothing is left to read): a past crash is over. */
  progressed(): void {
    if (this.crash === null) return;
    this.crash = null;
    if (this.state === 'crashed') this.state = 'consuming';
    this.publish();
  }

  setStalled(stalled: StalledPartition[]): void {
    this.stalled = stalled;
    this.publish();
  }

  /** Committed progress could not be read for too long (`why`), or null once it can. */
  setProgressUnknown(why: string | null): void {
    this.progressUnknown = why;
    this.publish();
  }

  stopped(): void {
    this.state = 'stopped';
    this.reason = 'stopped';
    this.publish();
  }

  status(): IngestStatus {
    const stalled = [...this.stalled];
    if (this.state === 'starting' || this.state === 'stopped') return { ready: false, state: this.state, reason: this.reason, stalled };
    const problems: string[] = [];
    if (this.crash !== null) problems.push(`the Kafka consumer crashed (${this.crash}); restarting it`);
    if (stalled.length > 0) problems.push(`no committed progress with records to read: ${stalled.map((p) => `${p.topic}/${p.partition} (lag ${p.lag} since ${p.since})`).join(', ')}`);
    if (this.progressUnknown !== null) problems.push(this.progressUnknown);
    return problems.length === 0 ? { ready: true, state: this.state, stalled } : { ready: false, state: this.state, reason: problems.join('; '), stalled };
  }

  private publish(): void {
    this.metrics?.ready.set(this.status().ready ? 1 : 0);
  }
}
