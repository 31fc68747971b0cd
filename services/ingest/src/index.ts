import type { Config } from '@csbs-errors/config';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import { ExtractPool } from './extract-pool.js';
import { KafkaJsSource } from './kafkajs-source.js';
import { IngestMetrics } from './metrics.js';
import { IngestWorker, type BatchWriter } from './worker.js';

export { IngestWorker, type BatchWriter, type WorkerOptions } from './worker.js';
export { inlineExtraction, type MessageExtractor, type RunExtractor } from './extraction.js';
export { ExtractPool, type ExtractPoolOptions } from './extract-pool.js';
export { KafkaJsSource, createKafka, partitionTransactionalId } from './kafkajs-source.js';
export { IngestMetrics } from './metrics.js';
export { PartitionBatchBuilder, batchToken, encodeIntent, decodeIntent, capMessage, DEFAULT_MAX_STORED_MESSAGE_BYTES, type BatchPart, type OffsetRange, type Intent } from './batch.js';
export { admitRecordTimes, type TimeWindow } from './admission.js';
export type { LogSource, PartitionBatch, SourceMessage, CommittedOffset, DeadLetter } from './source.js';

export interface RunningIngest {
  stop(): Promise<void>;
}

/** Starts the ingest worker: a member of the consumer group that stores what it reads. */
export async function startIngest(deps: {
  config: Config;
  store: ClickHouseClient;
  logger: Logger;
  registry: Registry;
  write?: BatchWriter;
}): Promise<RunningIngest> {
  const { config, logger } = deps;
  const settings = {
    timeWindow: { retentionDays: config.clickhouse.retentionDays, maxFutureMs: config.ingest.maxFutureMs },
    maxStoredMessageBytes: config.ingest.maxStoredMessageBytes,
  };
  const extractor = await ExtractPool.start({
    ...settings,
    threads: config.ingest.extractThreads,
    maxMessageBytes: config.ingest.maxMessageBytes,
    servicePattern: config.ingest.servicePattern,
    logger: logger.child({ component: 'extract-pool' }),
  });
  const source = new KafkaJsSource({ ...config.kafka, partitionsConcurrency: config.ingest.partitionsConcurrency, logger });
  const worker = new IngestWorker(
    source,
    deps.store,
    extractor,
    { ...settings, batchMaxRows: config.ingest.batchMaxRows, batchMaxMs: config.ingest.batchMaxMs },
    new IngestMetrics(deps.registry),
    logger.child({ component: 'ingest' }),
    deps.write,
  );
  try {
    await worker.start();
  } catch (error) {
    await extractor.close();
    throw error;
  }
  logger.info({ extract_threads: extractor.threads, topic: config.kafka.topic, group: config.kafka.groupId, brokers: config.kafka.brokers }, 'ingest worker started');
  return { stop: () => worker.stop() };
}
