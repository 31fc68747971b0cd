/**
 * LogSource on kafkajs: a consumer group with eachBatch and manual commits, and one transactional
 * producer per source partition for dead letters (the transactional id is stable per partition, so
 * a worker that lost the partition is fenced off).
 */
import kafkajs from 'kafkajs';
import type { Consumer, Kafka, Producer, EachBatchPayload } from 'kafkajs';
import type { Logger } from '@csbs-errors/observability';
import type { CommittedOffset, DeadLetter, LogSource, PartitionBatch } from './source.js';

const { Kafka: KafkaClient, logLevel } = kafkajs;

export interface KafkaSourceOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topic: string;
  dlqTopic: string;
  partitionsConcurrency: number;
  logger: Logger;
}

function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: number; log: { message: string; broker?: string; error?: string } }) => {
      const fields = { component: 'kafkajs', broker: log.broker, error: log.error };
      if (level <= logLevel.ERROR) logger.warn(fields, log.message);
      else if (level === logLevel.WARN) logger.info(fields, log.message);
      else logger.debug(fields, log.message);
    };
}

export function createKafka(options: { brokers: string[]; clientId: string; logger: Logger }): Kafka {
  return new KafkaClient({
    brokers: options.brokers,
    clientId: options.clientId,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 },
  });
}

export class KafkaJsSource implements LogSource {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly admin;
  private readonly producers = new Map<string, Producer>();
  private running = false;

  constructor(private readonly options: KafkaSourceOptions) {
    this.kafka = createKafka(options);
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      readUncommitted: false,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 20 },
    });
    this.admin = this.kafka.admin();
  }

  async start(handlers: { onBatch: (batch: PartitionBatch) => Promise<void>; onAssignment: () => void }): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => handlers.onAssignment());
    this.consumer.on(this.consumer.events.REBALANCING, () => handlers.onAssignment());
    this.consumer.on(this.consumer.events.CRASH, (event) =>
      this.options.logger.warn({ error: String(event.payload.error), restart: event.payload.restart }, 'kafka consumer crashed'),
    );
    await this.admin.connect();
    await this.consumer.connect();
    // A new group starts from the earliest offset; an existing one from its commits.
    await this.consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrency,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        await handlers.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages.map((m) => ({ offset: m.offset, value: m.value })),
          highWatermark: batch.highWatermark,
          markProcessed: (offset) => payload.resolveOffset(offset),
          heartbeat: () => payload.heartbeat(),
          isActive: () => this.running && payload.isRunning() && !payload.isStale(),
        });
      },
    });
  }

  async committed(topic: string, partition: number): Promise<CommittedOffset> {
    const [entry] = await this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const found = entry?.partitions.find((p) => p.partition === partition);
    if (!found || found.offset === '-1') return { offset: null, metadata: found?.metadata ?? null };
    return { offset: found.offset, metadata: found.metadata ?? null };
  }

  async commit(topic: string, partition: number, offset: string, metadata: string | null): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset, metadata }]);
  }

  private async producerFor(topic: string, partition: number): Promise<Producer> {
    const transactionalId = `${this.options.groupId}.${topic}.${partition}`;
    let producer = this.producers.get(transactionalId);
    if (!producer) {
      producer = this.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      this.producers.set(transactionalId, producer);
    }
    return producer;
  }

  async commitWithDeadLetters(topic: string, partition: number, offset: string, deadLetters: DeadLetter[]): Promise<void> {
    const producer = await this.producerFor(topic, partition);
    const transaction = await producer.transaction();
    try {
      await transaction.send({ topic: this.options.dlqTopic, messages: deadLetters });
      await transaction.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic, partitions: [{ partition, offset }] }] });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // A failed transactional producer may be fenced or in a bad state: start a fresh one next time.
      this.producers.delete(`${this.options.groupId}.${topic}.${partition}`);
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer.disconnect();
    await Promise.allSettled([...this.producers.values()].map((p) => p.disconnect()));
    await this.admin.disconnect();
  }
}
