/** `csbs-errors produce FILE... --topic T`: publish gateway records (one message per line) to Kafka. */
import { parseArgs } from 'node:util';
import { loadConfig } from '@csbs-errors/config';
import { createLogger } from '@csbs-errors/observability';
import { createKafka } from '@csbs-errors/ingest';
import { readLines } from '../lines.js';

const BATCH = 1_000;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      topic: { type: 'string' },
      brokers: { type: 'string' },
      partitions: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write('usage: csbs-errors produce FILE... [--topic T] [--brokers host:port,...] [--partitions N]\n  one Kafka message per input line; .gz files and - (stdin) accepted\n');
    return values.help ? 0 : 2;
  }
  const config = loadConfig({ ...process.env, ...(values.brokers ? { KAFKA_BROKERS: values.brokers } : {}) });
  const topic = values.topic ?? config.kafka.topic;
  const logger = createLogger('warn');
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-produce`, logger });
  if (values.partitions !== undefined) {
    const partitions = Number(values.partitions);
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error('--partitions: expected a positive integer');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let sent = 0;
  try {
    for (const file of positionals) {
      let messages: Array<{ value: Buffer }> = [];
      for await (const line of readLines(file)) {
        messages.push({ value: line });
        if (messages.length >= BATCH) {
          await producer.send({ topic, messages, acks: -1 });
          sent += messages.length;
          messages = [];
        }
      }
      if (messages.length > 0) {
        await producer.send({ topic, messages, acks: -1 });
        sent += messages.length;
      }
    }
  } finally {
    await producer.disconnect();
  }
  process.stderr.write(`produced ${sent} messages to ${topic}\n`);
  return 0;
}
