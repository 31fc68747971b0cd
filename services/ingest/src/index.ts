import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@csbs-errors/config';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import { ExtractPool } from './extract-pool.js';
import { KafkaJsSource } from './kafkajs-source.js';
import { IngestMetrics } from './metrics.js';
import { IngestWorker, type BatchWriter } from './worker.js';
import { IngestHealth } from './health.js';
import { ProgressWatcher } from './progress.js';

export { IngestWorker, type BatchWriter, type WorkerOptions } from './worker.js';
export { inlineExtraction, type MessageExtractor, type RunExtractor } from './extraction.js';
export { ExtractPool, type ExtractPoolOptions } from './extract-pool.js';
export { KafkaJsSource, createKafka, partitionTransactionalId } from './kafkajs-source.js';
export { IngestMetrics } from './metrics.js';
export { IngestHealth, type IngestStatus, type StalledPartition } from './health.js';
export { ProgressWatcher, type PartitionProgress } from './progress.js';
export { registerCompressionCodecs } from './codecs.js';
export { PartitionBatchBuilder, batchToken, encodeIntent, decodeIntent, capMessage, DEFAULT_MAX_STORED_MESSAGE_BYTES, type BatchPart, type OffsetRange, type Intent } from './batch.js';
export { admitRecordTimes, type TimeWindow } from './admission.js';
export type { LogSource, PartitionBatch, SourceMessage, CommittedOffset, DeadLetter } from './source.js';

export interface RunningIngest {
  /** What /readyz says about ingest. */
  health: IngestHealth;
  stop(): Promise<void>;
}

/** Backoff between start-up attempts (broker down, topics not creatable yet). */
const START_RETRY_MS = 5_000;

/**
 * Starts the ingest worker: a member of the consumer group that stores what it reads. Returns at
 * once: connecting and joining the group go on in the background, retried until they succeed (a
 * broker that is down at start-up is waited for), while `health` says where it stands.
 */
export function startIngest(deps: {
  config: Config;
  store: ClickHouseClient;
  logger: Logger;
  registry: Registry;
  write?: BatchWriter;
}): RunningIngest {
  const { config } = deps;
  const logger = deps.logger.child({ component: 'ingest' });
  const metrics = new IngestMetrics(deps.registry);
  const health = new IngestHealth(metrics);
  const settings = {
    timeWindow: { retentionDays: config.clickhouse.retentionDays, maxFutureMs: config.ingest.maxFutureMs },
    maxStoredMessageBytes: config.ingest.maxStoredMessageBytes,
  };
  const extractor = new ExtractPool({
    ...settings,
    threads: config.ingest.extractThreads,
    maxMessageBytes: config.ingest.maxMessageBytes,
    servicePattern: config.ingest.servicePattern,
    logger: deps.logger.child({ component: 'extract-pool' }),
  });
  const source = new KafkaJsSource({ ...config.kafka, partitionsConcurrency: config.ingest.partitionsConcurrency, logger: deps.logger, health, metrics });
  const worker = new IngestWorker(
    source,
    deps.store,
    extractor,
    { ...settings, batchMaxRows: config.ingest.batchMaxRows, batchMaxMs: config.ingest.batchMaxMs },
    metrics,
    logger,
    deps.write,
  );
  const watcher = new ProgressWatcher(() => source.progress(), metrics, health, logger, { pollMs: config.ingest.lagPollMs, stallAfterMs: config.ingest.stallAfterMs });
  // The threads start while the worker connects and joins; the first run waits for them, and a
  // thread that cannot start (a broken build) is started again with the next run.
  extractor.ready().catch((error: unknown) => logger.error({ err: error }, 'extraction threads could not start'));
  let stopping = false;
  const started = (async () => {
    for (let attempt = 1; !stopping; attempt += 1) {
      try {
        await worker.start();
        logger.info({ extract_threads: config.ingest.extractThreads, topic: config.kafka.topic, group: config.kafka.groupId, brokers: config.kafka.brokers }, 'ingest worker started');
        return;
      } catch (error) {
        if (stopping) return;
        health.starting(`cannot start consuming (attempt ${attempt}, next in ${START_RETRY_MS / 1000} s): ${String(error)}`);
        logger.error({ err: error, attempt, retry_in_ms: START_RETRY_MS }, 'ingest worker could not start; retrying');
        await sleep(START_RETRY_MS);
      }
    }
  })();
  watcher.start();
  return {
    health,
    stop: async () => {
      stopping = true;
      watcher.stop();
      health.stopped();
      // A start still under way gives up: stopping the worker disconnects what it connected.
      await worker.stop();
      await started;
    },
  };
}
