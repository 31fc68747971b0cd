/**
 * The small interface the worker needs from a Kafka client. The worker speaks only this; the
 * kafkajs adapter (kafkajs-source.ts) implements it, so another client could be swapped in.
 */
export interface SourceMessage {
  offset: string;
  value: Buffer | null;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: SourceMessage[];
  /** Offset of the next message the broker has for this partition (for lag). */
  highWatermark: string;
  /** Marks a message as processed so that fetching moves past it; commits are separate. */
  markProcessed(offset: string): void;
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** False once the worker stops or the partition was taken away in a rebalance. */
  isActive(): boolean;
}

export interface CommittedOffset {
  /** Next offset to read, or null when the group has never committed on this partition. */
  offset: string | null;
  metadata: string | null;
}

export interface DeadLetter {
  key: string;
  value: Buffer | string;
  headers: Record<string, string>;
}

export interface LogSource {
  /** Joins the group and calls `onBatch` for each fetched batch; `onAssignment` after every (re)join. */
  start(handlers: { onBatch: (batch: PartitionBatch) => Promise<void>; onAssignment: () => void }): Promise<void>;
  committed(topic: string, partition: number): Promise<CommittedOffset>;
  /**
   * Commits `offset` (the next one to read) with metadata, in a transaction of the epoch that the
   * partition's last `fence` made. After a failed commit (or dead-letter transaction) nothing more
   * can be committed on the partition until it is fenced again.
   */
  commit(topic: string, partition: number, offset: string, metadata: string | null): Promise<void>;
  /**
   * Takes the partition's commits over (a new epoch of its transactional id): a commit or dead-letter
   * transaction of an earlier owner, or of an abandoned attempt of ours, is completed or aborted now
   * and can never land later. Called before reading the committed offset of a partition taken over.
   */
  fence(topic: string, partition: number): Promise<void>;
  /**
   * Publishes dead letters and commits `offset` atomically (one Kafka transaction), unless `due()`
   * says no. `due` is asked once every earlier transaction of the partition is settled, so that the
   * committed offset it reads tells whether the batch is done already.
   */
  commitWithDeadLetters(topic: string, partition: number, offset: string, deadLetters: DeadLetter[], due: () => Promise<boolean>): Promise<void>;
  /** Makes the next fetch of this partition start at `offset` (no-op when not assigned). */
  seek(topic: string, partition: number, offset: string): void;
  stop(): Promise<void>;
}
