/**
 * Extraction throughput, single core, in process: `npm run bench -- extract [--json]`.
 *
 * - `ok_records_per_s`: 2xx backup-service records (APISIX, Kong and flat in equal parts), one record
 *   per message as Kafka delivers them (bytes), through envelope, format detection, route match and
 *   request sample.
 * - `error_records_per_s`: 4xx/5xx records through the whole path: body parse, catalog match with
 *   placeholder capture, event build.
 *
 * Each figure is the best of three timed rounds of at least `--seconds` (default 2) after a warm-up.
 */
import { Buffer } from 'node:buffer';
import { parseArgs } from 'node:util';
import { createExtractor, type Extractor } from '@csbs-errors/extract';
import { seeded, type Random } from './random.js';

const DISTINCT_MESSAGES = 3_000;
const ROUNDS = 3;

export async function run(args: string[]): Promise<Record<string, number>> {
  const { values } = parseArgs({ args, options: { seconds: { type: 'string', default: '2' } }, strict: false });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error('--seconds must be a positive number');
  const extractor = createExtractor();

  const okMessages = generate(DISTINCT_MESSAGES, 1, () => 200);
  const errorMessages = generate(DISTINCT_MESSAGES, 2, (random) => (random() < 0.7 ? 400 : 500));
  assertOutcomes(extractor, okMessages, 'request');
  assertOutcomes(extractor, errorMessages, 'event');

  return {
    ok_records_per_s: Math.round(measure(extractor, okMessages, seconds)),
    error_records_per_s: Math.round(measure(extractor, errorMessages, seconds)),
  };
}

/** Records per second: best of the timed rounds, after a warm-up that lets the JIT settle. */
function measure(extractor: Extractor, messages: Buffer[], seconds: number): number {
  runFor(extractor, messages, Math.min(1, seconds / 2));
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) best = Math.max(best, runFor(extractor, messages, seconds));
  return best;
}

function runFor(extractor: Extractor, messages: Buffer[], seconds: number): number {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let records = 0;
  let elapsed = 0n;
  let sink = 0;
  do {
    for (const message of messages) sink += extractor.extractMessage(message).length;
    records += messages.length;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  if (sink !== records) throw new Error(`expected one outcome per record, got ${sink} for ${records}`);
  return records / (Number(elapsed) / 1e9);
}

function assertOutcomes(extractor: Extractor, messages: Buffer[], kind: 'request' | 'event'): void {
  for (const message of messages) {
    const [outcome] = extractor.extractMessage(message);
    if (outcome?.kind !== kind) throw new Error(`bench input read as ${outcome?.kind ?? 'nothing'}, expected ${kind}: ${message.toString()}`);
  }
}

// --- a deterministic mix of realistic records -------------------------------------------------

const hex = (random: Random, length: number) => Array.from({ length }, () => Math.floor(random() * 16).toString(16)).join('');
const uuid = (random: Random) => `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const REQUESTS: ReadonlyArray<(random: Random) => [method: string, rest: string]> = [
  (r) => ['GET', `checkpoint_items/${uuid(r)}`],
  () => ['GET', 'checkpoint_items?limit=50&status=available'],
  (r) => ['POST', `providers/${uuid(r)}/resources/${uuid(r)}/action`],
  (r) => ['GET', `policies/${uuid(r)}`],
  (r) => ['PUT', `policies/${uuid(r)}`],
  () => ['POST', 'restores'],
  (r) => ['GET', `csbs_backup/${uuid(r)}/tags`],
  (r) => ['DELETE', `providers/${uuid(r)}/checkpoints/${uuid(r)}`],
  (r) => ['GET', `providers/${uuid(r)}/checkpoints`],
  () => ['GET', 'quotas'],
];

const ERROR_BODIES: ReadonlyArray<(random: Random) => object> = [
  (r) => ({ error_code: 'CSBS.6006', error_msg: `Server (${uuid(r)}) status (SHUTOFF) is not allowed to protect.` }),
  (r) => ({ error_code: 'CSBS.6024', error_msg: `Target volume (${uuid(r)}) size (40) small than volume backup (${uuid(r)}) size (80).` }),
  (r) => ({ error_code: 'CSBS.9999', error_msg: `${pick(r, ['Create backup', 'Restore server', 'Delete checkpoint'])} failed` }),
  (r) => ({ error_code: 'CSBS.3001', error_msg: `Checkpoint_item (${uuid(r)}) is not found.` }),
  () => ({ error_code: 'CSBS.9006', error_msg: 'Quota exceeded for resources: backups' }),
  () => ({ itemNotFound: { code: 404, message: 'Checkpoint could not be found.' } }),
];

function generate(count: number, seed: number, status: (random: Random) => number): Buffer[] {
  const random = seeded(seed);
  const messages: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const [method, rest] = pick(random, REQUESTS)(random);
    const code = status(random);
    const body = code >= 400 ? JSON.stringify(pick(random, ERROR_BODIES)(random)) : undefined;
    const record = [apisixRecord, kongRecord, flatRecord][i % 3]?.(random, method, `/v1/${hex(random, 32)}/${rest}`, code, body);
    messages.push(Buffer.from(JSON.stringify(record)));
  }
  return messages;
}

const START = 1_795_827_353_132;

function apisixRecord(random: Random, method: string, uri: string, status: number, body: string | undefined): object {
  return {
    request: {
      url: `https://csbs.eu-de.example.com:443${uri}`,
      uri,
      method,
      querystring: {},
      size: 600 + Math.floor(random() * 900),
      headers: { host: 'csbs.eu-de.example.com', 'x-auth-token': `MIIZ${hex(random, 32)}`, 'user-agent': 'python-openstackclient' },
    },
    response: { status, size: 400, headers: { 'content-type': 'application/json', 'x-openstack-request-id': `req-${uuid(random)}` }, body },
    server: { hostname: 'apigw-1', version: '3.11.0' },
    upstream: '10.20.0.36:8799',
    service_id: 'csbs',
    route_id: 'csbs-v1',
    client_ip: '203.0.113.139',
    start_time: START + Math.floor(random() * 1e7) + 0.4,
    latency: 519.25,
    upstream_latency: 517,
    apisix_latency: 2.25,
  };
}

function kongRecord(random: Random, method: string, uri: string, status: number, body: string | undefined): object {
  return {
    request: {
      id: hex(random, 32),
      method,
      uri: `/csbs${uri}`,
      url: `https://api.example.com:443/csbs${uri}`,
      querystring: {},
      size: 528,
      headers: { host: 'csbs.eu-de.example.com', 'x-auth-token': `MIIZ${hex(random, 32)}`, 'user-agent': 'python-openstackclient' },
    },
    response: { status, size: 556, headers: { 'content-type': 'application/json', 'X-OpenStack-Request-Id': `req-${uuid(random)}` }, body },
    latencies: { kong: 2, proxy: 21, request: 24 },
    tries: [{ ip: '10.20.0.15', port: 443, balancer_latency: 0 }],
    service: { id: uuid(random), name: 'csbs', host: 'csbs.internal', path: '/' },
    route: { id: uuid(random), name: 'csbs-v1', paths: ['/csbs'], strip_path: true },
    consumer: null,
    client_ip: '203.0.113.250',
    started_at: START + Math.floor(random() * 1e7),
    source: 'service',
    workspace_name: 'default',
    upstream_uri: uri,
  };
}

function flatRecord(random: Random, method: string, uri: string, status: number, body: string | undefined): object {
  return {
    timestamp: new Date(START + Math.floor(random() * 1e7)).toISOString(),
    method,
    path: uri,
    status,
    request_id: hex(random, 32),
    duration: Math.floor(random() * 900),
    authority: 'csbs.eu-de.example.com',
    upstream_cluster: 'csbs',
    user_agent: 'python-openstackclient',
    resp_body: body,
  };
}
