/**
 * LogSource on kafkajs: a consumer group with eachBatch for reading and assignments, and one
 * transactional producer per source partition for everything the worker commits on that partition:
 * offsets (intent and final) and dead letters. Its transactional id is stable per partition, and a
 * worker that takes the partition over gets a new epoch for it, which fences the earlier owner.
 *
 * Offsets are not committed through the consumer: kafkajs retries a consumer commit internally and
 * sends the retry with the member's *current* generation, so a commit of a flush that lost its
 * partition can land after a rejoin; and while the consumer is down after a crash, its commit
 * resolves without committing anything. A fenced transactional producer can do neither.
 */
import kafkajs from 'kafkajs';
import type { Consumer, Kafka, Producer, EachBatchPayload, PartitionOffset, Transaction } from 'kafkajs';
import type { Logger } from '@csbs-errors/observability';
import type { CommittedOffset, DeadLetter, LogSource } from './source.js';
import { ensureTopics } from './topics.js';
import { registerCompressionCodecs } from './codecs.js';
import type { IngestHealth } from './health.js';
import type { IngestMetrics } from './metrics.js';
import type { PartitionProgress } from './progress.js';

type SourceHandlers = Parameters<LogSource['start']>[0];

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

export interface KafkaSourceOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topic: string;
  dlqTopic: string;
  partitionsConcurrency: number;
  /** How long the group waits for a silent member before giving its partitions to others (KAFKA_SESSION_TIMEOUT_MS). */
  sessionTimeoutMs?: number;
  /** How long the group waits for the live members to rejoin in a rebalance (KAFKA_REBALANCE_TIMEOUT_MS). */
  rebalanceTimeoutMs?: number;
  logger: Logger;
  /** Told about start-up, joins and crashes (for /readyz). */
  health?: IngestHealth;
  metrics?: IngestMetrics;
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

/**
 * The transactional id of a partition's commits (offsets, dead letters): stable per group and
 * partition, so that whoever takes the partition over fences the producers of its earlier owners.
 */
export function partitionTransactionalId(groupId: string, topic: string, partition: number): string {
  return `${groupId}.${topic}.${partition}`;
}

/** Bytes of dead letters (values, keys, headers) per send of a transaction; a letter is at most 256 KiB. */
const DEAD_LETTERS_PER_SEND_BYTES = 512 * 1024;

function letterBytes(letter: DeadLetter): number {
  let bytes = Buffer.byteLength(letter.key) + (typeof letter.value === 'string' ? Buffer.byteLength(letter.value) : letter.value.length) + 64;
  for (const [name, value] of Object.entries(letter.headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 8;
  return bytes;
}

/** Consecutive parts of `letters` of at most `budget` bytes each (a larger letter goes alone). */
function* byBytes(letters: DeadLetter[], budget: number): Generator<DeadLetter[]> {
  let part: DeadLetter[] = [];
  let bytes = 0;
  for (const letter of letters) {
    const size = letterBytes(letter);
    if (part.length > 0 && bytes + size > budget) {
      yield part;
      part = [];
      bytes = 0;
    }
    part.push(letter);
    bytes += size;
  }
  if (part.length > 0) yield part;
}

export class KafkaJsSource implements LogSource {
  private readonly kafka: Kafka;
  private consumer: Consumer;
  private readonly admin;
  /** The partitions' transactional producers by transactional id, each made by the partition's last fence. */
  private readonly producers = new Map<string, Promise<Producer>>();
  private running = false;
  /** Partitions of the last join, by topic. */
  private assignment: Record<string, number[]> = {};
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;

  constructor(private readonly options: KafkaSourceOptions) {
    registerCompressionCodecs();
    this.kafka = createKafka(options);
    this.consumer = this.createConsumer();
    this.admin = this.kafka.admin();
  }

  private createConsumer(): Consumer {
    const sessionTimeout = this.options.sessionTimeoutMs ?? 10_000;
    return this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 30_000,
      // A third of the session at most, as the Kafka protocol recommends.
      heartbeatInterval: Math.max(500, Math.min(3_000, Math.floor(sessionTimeout / 3))),
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      readUncommitted: false,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 20 },
    });
  }

  /**
   * Connects, makes sure the topics exist, joins the group and starts consuming. A failure leaves
   * nothing connected, so that `start` can simply be called again.
   */
  async start(handlers: SourceHandlers): Promise<void> {
    const { health, logger } = this.options;
    try {
      health?.starting('connecting to Kafka');
      await this.admin.connect();
      await ensureTopics(this.admin, [this.options.topic, this.options.dlqTopic], logger);
      this.running = true;
      health?.starting('joining the consumer group');
      await this.runConsumer(handlers);
    } catch (error) {
      this.running = false;
      await this.consumer.disconnect().catch(() => undefined);
      await this.admin.disconnect().catch(() => undefined);
      this.consumer = this.createConsumer();
      throw error;
    }
  }

  /**
   * A crash that kafkajs does not restart from (a record batch it cannot decode, a non-retriable
   * error) would leave the process up and consuming nothing: it is logged as an error, /readyz
   * turns unhealthy, and a fresh consumer is started after a backoff (1 s doubling to 60 s).
   */
  private onCrash(handlers: SourceHandlers, error: unknown, restart: boolean): void {
    const { health, logger, metrics } = this.options;
    metrics?.consumerCrashes.inc();
    health?.crashed(String(error));
    this.assignment = {};
    handlers.onAssignment();
    if (restart || !this.running) {
      logger.warn({ err: error, restart }, 'kafka consumer crashed; kafkajs restarts it');
      return;
    }
    const delay = Math.min(60_000, 1_000 * 2 ** Math.min(this.restarts, 6));
    this.restarts += 1;
    logger.error({ err: error, restart_in_ms: delay }, 'kafka consumer crashed and stopped; starting a new one');
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (!this.running) return;
      this.consumer = this.createConsumer();
      this.runConsumer(handlers).catch((failure: unknown) => this.onCrash(handlers, failure, false));
    }, delay);
  }

  private async runConsumer(handlers: SourceHandlers): Promise<void> {
    const consumer = this.consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.assignment = event.payload.memberAssignment;
      this.options.health?.consuming();
      handlers.onAssignment();
    });
    consumer.on(consumer.events.REBALANCING, () => handlers.onAssignment());
    consumer.on(consumer.events.CRASH, (event) => {
      if (consumer === this.consumer) this.onCrash(handlers, event.payload.error, event.payload.restart);
    });
    await consumer.connect();
    // A new group starts from the earliest offset; an existing one from its commits.
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({
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

  /** Committed progress of the partitions this member owns (for the lag gauge and stall detection). */
  async progress(): Promise<PartitionProgress[]> {
    const owned = Object.entries(this.assignment).filter(([, partitions]) => partitions.length > 0);
    const result: PartitionProgress[] = [];
    for (const [topic, partitions] of owned) {
      const [offsets, [committed]] = await Promise.all([
        this.admin.fetchTopicOffsets(topic),
        this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] }),
      ]);
      for (const partition of partitions) {
        const ends = offsets.find((o) => o.partition === partition);
        const commit = committed?.partitions.find((p) => p.partition === partition);
        if (!ends) continue;
        result.push({ topic, partition, high: ends.high, low: ends.low, committed: commit === undefined || commit.offset === '-1' ? null : commit.offset });
      }
    }
    return result;
  }

  async committed(topic: string, partition: number): Promise<CommittedOffset> {
    const [entry] = await this.admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
    const found = entry?.partitions.find((p) => p.partition === partition);
    if (!found || found.offset === '-1') return { offset: null, metadata: found?.metadata ?? null };
    return { offset: found.offset, metadata: found.metadata ?? null };
  }

  async commit(topic: string, partition: number, offset: string, metadata: string | null): Promise<void> {
    await this.transact(topic, partition, async () => true, (transaction) => this.sendOffsets(transaction, topic, partition, offset, metadata));
  }

  private sendOffsets(transaction: Transaction, topic: string, partition: number, offset: string, metadata: string | null): Promise<void> {
    // kafkajs' types lack it, but it sends the metadata of each partition offset.
    const entry: PartitionOffset & { metadata: string | null } = { partition, offset, metadata };
    return transaction.sendOffsets({ consumerGroupId: this.options.groupId, topics: [{ topic, partitions: [entry] }] });
  }

  /**
   * A new producer for the partition's transactional id, which gets the id's next epoch: its first
   * transaction() sends InitProducerId (connect() alone does not), which completes or aborts any
   * transaction of an earlier producer with this id and fences that producer. Aborting the empty
   * transaction sends nothing.
   */
  private newEpoch(topic: string, partition: number): Promise<Producer> {
    const transactionalId = partitionTransactionalId(this.options.groupId, topic, partition);
    const created = this.kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    const producer = created
      .connect()
      .then(() => created.transaction())
      .then((transaction) => transaction.abort())
      .then(
        () => created,
        async (error: unknown) => {
          await created.disconnect().catch(() => undefined);
          throw error;
        },
      );
    this.producers.set(transactionalId, producer);
    producer.catch(() => void this.dropProducer(topic, partition, producer));
    return producer;
  }

  /** Forgets and disconnects the partition's producer (only `which`, when given). */
  private async dropProducer(topic: string, partition: number, which?: Promise<Producer>): Promise<void> {
    const transactionalId = partitionTransactionalId(this.options.groupId, topic, partition);
    const producer = this.producers.get(transactionalId);
    if (producer === undefined || (which !== undefined && producer !== which)) return;
    this.producers.delete(transactionalId);
    await producer.then((p) => p.disconnect()).catch(() => undefined);
  }

  async fence(topic: string, partition: number): Promise<void> {
    await this.dropProducer(topic, partition);
    await this.newEpoch(topic, partition);
  }

  async commitWithDeadLetters(topic: string, partition: number, offset: string, deadLetters: DeadLetter[], due: () => Promise<boolean>): Promise<void> {
    const byPartition = await this.deadLettersByPartition(deadLetters);
    await this.transact(topic, partition, due, async (transaction) => {
      // One send per dead-letter partition. kafkajs sends one produce request per leader and, when
      // one fails, retries the send without waiting for the others: a request still in flight is
      // sent again (under the next sequence number, so the broker appends it twice in this
      // transaction), and a partition whose leader moved to a broker that has answered is not sent
      // at all. A send to one partition is one request at a time, retried with the same sequence
      // number, which the broker recognises as a duplicate. kafkajs sends a partition's messages
      // as one record batch, which the broker refuses above the topic's max.message.bytes (1 MB by
      // default): send them in parts.
      for (const [dlqPartition, letters] of byPartition) {
        for (const part of byBytes(letters, DEAD_LETTERS_PER_SEND_BYTES)) {
          await transaction.send({ topic: this.options.dlqTopic, messages: part.map((letter) => ({ ...letter, partition: dlqPartition })) });
        }
      }
      await this.sendOffsets(transaction, topic, partition, offset, null);
    });
  }

  /** The letters by dead-letter partition, placed by the key as the producer's own partitioner would. */
  private async deadLettersByPartition(deadLetters: DeadLetter[]): Promise<Map<number, DeadLetter[]>> {
    const topic = this.options.dlqTopic;
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitionMetadata = topics.find((t) => t.name === topic)?.partitions ?? [];
    if (partitionMetadata.length === 0) throw new Error(`no partitions known for ${topic}`);
    const partitionOf = Partitioners.DefaultPartitioner();
    const byPartition = new Map<number, DeadLetter[]>();
    for (const letter of deadLetters) {
      const dlqPartition = partitionOf({ topic, partitionMetadata, message: letter });
      const letters = byPartition.get(dlqPartition);
      if (letters) letters.push(letter);
      else byPartition.set(dlqPartition, [letter]);
    }
    return byPartition;
  }

  /**
   * One transaction of the producer that the last fence of the partition made, unless `due()` says
   * no. There is no new producer here: a new epoch fences whoever owns the partition now, which only
   * a take-over may do (it reads the commit after its fence). After a failure the partition has no
   * producer until it is fenced again.
   */
  private async transact(topic: string, partition: number, due: () => Promise<boolean>, work: (transaction: Transaction) => Promise<void>): Promise<void> {
    const pending = this.producers.get(partitionTransactionalId(this.options.groupId, topic, partition));
    if (pending === undefined) throw new Error(`no producer of the current epoch for ${topic}[${partition}]: the partition must be taken over (fenced) again`);
    const producer = await pending;
    if (!(await due())) return;
    const transaction = await producer.transaction();
    try {
      await work(transaction);
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // Fenced, or in a state only a new epoch settles: the next take-over's fence completes or aborts this transaction.
      await this.dropProducer(topic, partition, pending);
      throw error;
    }
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    await this.consumer.disconnect();
    await Promise.allSettled([...this.producers.values()].map((p) => p.then((producer) => producer.disconnect())));
    await this.admin.disconnect();
  }
}
