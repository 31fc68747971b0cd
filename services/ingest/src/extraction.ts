/**
 * Extraction of a run of one partition's messages into a BatchPart: on the main thread (an
 * extractor given directly, as tests do) or in a pool of worker threads (extract-pool.ts). Both run
 * `extractRun`, so a batch holds the same rows whichever way it was built.
 */
import type { RecordOutcome } from '@csbs-errors/extract';
import { PartitionBatchBuilder, type BatchPart } from './batch.js';
import type { SourceMessage } from './source.js';

/** What the worker needs of the extraction package. */
export interface MessageExtractor {
  extractMessage(value: Uint8Array): RecordOutcome[];
}

/** Turns consecutive messages of a partition into parts, in offset order (more than one when split across threads). */
export interface RunExtractor {
  extract(topic: string, partition: number, messages: SourceMessage[]): Promise<BatchPart[]>;
  close(): Promise<void>;
}

const EMPTY = new Uint8Array(0);

/** Extracts messages `0..count-1` (offset and value by index) as one part. */
export function extractRun(extractor: MessageExtractor, topic: string, partition: number, count: number, offsetAt: (index: number) => string, valueAt: (index: number) => Uint8Array): BatchPart {
  const builder = new PartitionBatchBuilder(topic, partition);
  for (let index = 0; index < count; index += 1) builder.add(offsetAt(index), extractor.extractMessage(valueAt(index)));
  return builder.toPart();
}

/** Extraction on the calling thread. */
export function inlineExtraction(extractor: MessageExtractor): RunExtractor {
  return {
    extract: async (topic, partition, messages) => [
      extractRun(extractor, topic, partition, messages.length, (i) => messages[i]!.offset, (i) => messages[i]!.value ?? EMPTY),
    ],
    close: async () => undefined,
  };
}
