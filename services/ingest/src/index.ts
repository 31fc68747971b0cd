import { createExtractor } from '@csbs-errors/extract';
import type { Config } from '@csbs-errors/config';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import { KafkaJsSource } from './kafkajs-source.js';
import { IngestMetrics } from './metrics.js';
import { IngestWorker, type BatchWriter } from './worker.js';

export { IngestWorker, type BatchWriter, type MessageExtractor, type WorkerOptions } from './worker.js';
export { KafkaJsSource, createKafka, partitionTransactionalId } from './kafkajs-source.js';
export { IngestMetrics } from './metrics.js';
export { PartitionBatchBuilder, batchToken, encodeIntent, decodeIntent, capMessage, DEFAULT_MAX_STORED_MESSAGE_BYTES, type OffsetRange, type Intent } from './batch.js';
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
  const extractor = createExtractor({ maxMessageBytes: config.ingest.maxMessageBytes, servicePattern: config.ingest.servicePattern });
  const source = new KafkaJsSource({ ...config.kafka, partitionsConcurrency: config.ingest.partitionsConcurrency, logger });
  const worker = new IngestWorker(
    source,
    deps.store,
    extractor,
    {
      batchMaxRows: config.ingest.batchMaxRows,
      batchMaxMs: config.ingest.batchMaxMs,
      timeWindow: { retentionDays: config.clickhouse.retentionDays, maxFutureMs: config.ingest.maxFutureMs },
      maxStoredMessageBytes: config.ingest.maxStoredMessageBytes,
    },
    new IngestMetrics(deps.registry),
    logger.child({ component: 'ingest' }),
    deps.write,
  );
  await worker.start();
  logger.info({ topic: config.kafka.topic, group: config.kafka.groupId, brokers: config.kafka.brokers }, 'ingest worker started');
  return { stop: () => worker.stop() };
}
