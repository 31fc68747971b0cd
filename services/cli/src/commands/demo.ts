/**
 * `csbs-errors demo`: realistic gateway traffic into Kafka at a given rate, now-stamped, in the
 * APISIX, Kong and flat formats: mostly successes, a catalog-shaped error mix, Karbor faults, the
 * gateway's own errors, and optionally a scheduled CSBS.9999 spike, so that the quick start shows a
 * living dashboard and a real alert.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { durationSchema } from '@csbs-errors/alerter';
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import { loadConfig } from '@csbs-errors/config';
import { createKafka } from '@csbs-errors/ingest';
import { createLogger } from '@csbs-errors/observability';
import { Random } from '../demo/random.js';
import { Traffic, type Spike } from '../demo/traffic.js';

const USAGE = `usage: csbs-errors demo [options]

Produces realistic gateway log records (APISIX, Kong and flat JSON; time = now) to Kafka: requests
of a few tenants to the CSBS and Karbor routes, mostly successful, the failures shaped like the
vendor's error catalog, Karbor faults and gateway errors. A CSBS.9999 spike can be scheduled.

options:
  --rate N            records per second (default 50)
  --duration D        how long, e.g. 90s, 10m (default: until Ctrl-C)
  --topic T           Kafka topic (default KAFKA_TOPIC)
  --brokers H:P,...   Kafka brokers (default KAFKA_BROKERS)
  --error-share X     share of failing backup requests, 0 to 1 (default 0.08)
  --spike-at D        start a CSBS.9999 spike this long after the start, e.g. 60s
  --spike-for D       spike length (default 120s)
  --spike-factor F    CSBS.9999 is F times as likely during the spike (default 10)
  --seed N            random seed (default: a random one)
  -h, --help          this text
`;

/** The alerting rules' durations ("90s", "10m", "1h"); a bare number is seconds. */
const duration = z
  .string()
  .transform((text) => (/^\d+(?:\.\d+)?$/.test(text) ? Number(text) : text))
  .pipe(durationSchema);

const optionsSchema = z.object({
  rate: z.coerce.number().positive().max(100_000).default(50),
  duration: duration.optional(),
  'error-share': z.coerce.number().min(0).max(1).default(0.08),
  'spike-at': duration.optional(),
  'spike-for': duration.default(120_000),
  'spike-factor': z.coerce.number().min(1).max(1_000).default(10),
  seed: z.coerce.number().int().min(0).optional(),
});

const TICK_MS = 100;
const STATUS_EVERY_MS = 10_000;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        rate: { type: 'string' },
        duration: { type: 'string' },
        topic: { type: 'string' },
        brokers: { type: 'string' },
        'error-share': { type: 'string' },
        'spike-at': { type: 'string' },
        'spike-for': { type: 'string' },
        'spike-factor': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`csbs-errors demo: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const { topic: topicOption, brokers, help, ...numbers } = parsed.values;
  if (help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const options = optionsSchema.safeParse(numbers);
  if (!options.success) {
    process.stderr.write(`csbs-errors demo: ${options.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const o = options.data;
  const config = loadConfig({ ...process.env, ...(brokers ? { KAFKA_BROKERS: brokers } : {}) });
  const topic = topicOption ?? config.kafka.topic;
  const spike: Spike | undefined = o['spike-at'] === undefined ? undefined : { fromMs: o['spike-at'], toMs: o['spike-at'] + o['spike-for'], factor: o['spike-factor'] };
  const traffic = new Traffic(new Random(o.seed ?? Math.floor(Math.random() * 2 ** 32)), { catalog: loadDefaultCatalog(), errorShare: o['error-share'], ...(spike ? { spike } : {}) });

  // kafkajs reports a topic created on first use as an error it then retries; a real failure fails the send.
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: `${config.kafka.clientId}-demo`, logger: createLogger('error') });
  const producer = kafka.producer();
  await producer.connect();
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const start = Date.now();
  const end = o.duration === undefined ? Number.POSITIVE_INFINITY : start + o.duration;
  const say = (text: string) => process.stderr.write(`demo: ${text}\n`);
  say(`${o.rate} records/s to ${topic} on ${config.kafka.brokers.join(',')}${o.duration === undefined ? ' until Ctrl-C' : ` for ${o.duration / 1000} s`}, ${(o['error-share'] * 100).toFixed(1)} % failing`);
  if (spike) say(`CSBS.9999 spike x${spike.factor} from ${new Date(start + spike.fromMs).toISOString()} to ${new Date(start + spike.toMs).toISOString()}`);

  let messages = 0;
  let lastStatus = start;
  try {
    for (;;) {
      const now = Math.min(Date.now(), end);
      const elapsed = now - start;
      // Records due by now; a slow send is caught up, at most a second's worth at a time.
      const due = Math.min(Math.floor((o.rate * elapsed) / 1000) - traffic.stats.records, Math.ceil(o.rate));
      const batch: Array<{ value: string }> = [];
      for (let made = 0; made < due; ) {
        const message = traffic.message(now, elapsed);
        batch.push({ value: message.value });
        made += message.records;
      }
      if (batch.length > 0) {
        await producer.send({ topic, messages: batch, acks: -1 });
        messages += batch.length;
      }
      if (now - lastStatus >= STATUS_EVERY_MS) {
        lastStatus = now;
        say(`${Math.round(elapsed / 1000)} s: ${traffic.stats.records} records, ${traffic.stats.errors} errors${traffic.spikeActive(elapsed) ? ', CSBS.9999 spike on' : ''}`);
      }
      if (stopping || now >= end) break;
      await sleep(TICK_MS);
    }
  } finally {
    await producer.disconnect();
  }
  const { records, errors, system, systemInSpike } = traffic.stats;
  say(
    `produced ${records} records in ${messages} messages to ${topic} in ${((Math.min(Date.now(), end) - start) / 1000).toFixed(1)} s: ` +
      `${errors} errors, ${system} CSBS.9999${spike ? ` (${systemInSpike} during the spike)` : ''}`,
  );
  return 0;
}
