/**
 * Extraction of a run of one partition's messages into a BatchPart: on the main thread (an
 * extractor given directly, as tests do) or in a pool of worker threads (extract-pool.ts). Both run
 * `extractRun`, so a batch holds the same rows whichever way it was built.
 */
import type { RecordOutcome } from '@csbs-errors/extract';
import { admitRecordTimes, type TimeWindow } from './admission.js';
import { PartitionBatchBuilder, type BatchPart } from './batch.js';
import type { SourceMessage } from './source.js';

/** What the worker needs of the extraction package. */
export interface MessageExtractor {
  extractMessage(value: Uint8Array): RecordOutcome[];
}

/** What a batch keeps of the records, besides extraction (the worker's options of the same names). */
export interface RunSettings {
  /** Record times that are stored (default: no bounds). */
  timeWindow?: TimeWindow | undefined;
  /** Cap of a stored event's message (default 8 KiB). */
  maxStoredMessageBytes?: number | undefined;
}

/**
 * Turns consecutive messages of a partition into parts, in offset order (more than one when split
 * across threads). `referenceMs`: the clock of the batch the run goes into, which record times are
 * judged by (null without a time window).
 */
export interface RunExtractor {
  extract(topic: string, partition: number, messages: SourceMessage[], referenceMs: number | null): Promise<BatchPart[]>;
  close(): Promise<void>;
}

const EMPTY = new Uint8Array(0);

export interface Run {
  topic: string;
  partition: number;
  referenceMs: number | null;
  count: number;
  offsetAt: (index: number) => string;
  valueAt: (index: number) => Uint8Array;
}

/** Extracts messages `0..count-1` of a run (offset and value by index) as one part. */
export function extractRun(extractor: MessageExtractor, settings: RunSettings, run: Run): BatchPart {
  const builder = new PartitionBatchBuilder(run.topic, run.partition, settings.maxStoredMessageBytes);
  const window = settings.timeWindow;
  for (let index = 0; index < run.count; index += 1) {
    const value = run.valueAt(index);
    const outcomes = extractor.extractMessage(value);
    builder.add(run.offsetAt(index), window === undefined || run.referenceMs === null ? outcomes : admitRecordTimes(outcomes, value, window, run.referenceMs));
  }
  return builder.toPart();
}

/** Extraction on the calling thread. */
export function inlineExtraction(extractor: MessageExtractor, settings: RunSettings = {}): RunExtractor {
  return {
    extract: async (topic, partition, messages, referenceMs) => [
      extractRun(extractor, settings, { topic, partition, referenceMs, count: messages.length, offsetAt: (i) => messages[i]!.offset, valueAt: (i) => messages[i]!.value ?? EMPTY }),
    ],
    close: async () => undefined,
  };
}
