/**
 * `csbs-errors demo`: its traffic model read back through the extractor (every record readable,
 * every operation a real one, catalog codes with their catalog status, the error share in its band,
 * all three formats, Karbor faults and gateway errors), and the command itself on a real broker: a
 * few seconds into a fresh topic, read back with kafkajs, put through `extract`, with no dead
 * letters, the error share in its band and more CSBS.9999 in the spike window than outside it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import { createExtractor, type ErrorEvent } from '@csbs-errors/extract';
import { Random } from '../services/cli/src/demo/random.js';
import { SHAPES } from '../services/cli/src/demo/shapes.js';
import { Traffic } from '../services/cli/src/demo/traffic.js';
import { runCli } from './support/cli.js';
import { createTopic, kafkaForTests, testKafkaClient, uniqueTopic, waitFor } from './support/kafka.js';

test('every demo request shape is a route of the table', () => {
  for (const shape of SHAPES) assert.notEqual(shape.operation, 'unknown', `${shape.method} ${shape.route}`);
  assert.ok(SHAPES.some((s) => s.operation === 'check_protectable'), 'the request body decides the capability check');
});

test('the traffic model reads back as realistic events', () => {
  const extractor = createExtractor();
  const catalog = loadDefaultCatalog();
  const traffic = new Traffic(new Random(42), { catalog, errorShare: 0.08, spike: { fromMs: 10_000, toMs: 20_000, factor: 10 } });
  const start = Date.parse('2026-11-27T10:00:00.000Z');
  const events: ErrorEvent[] = [];
  let requests = 0;
  let skipped = 0;
  let records = 0;
  const systemPerSecond = { in: 0, out: 0 };
  for (let i = 0; i < 6_000; i++) {
    const elapsed = i * 5; // 30 s of traffic at 200 records/s
    const message = traffic.message(start + elapsed, elapsed);
    records += message.records;
    for (const outcome of extractor.extractMessage(Buffer.from(message.value))) {
      assert.notEqual(outcome.kind, 'dead', outcome.kind === 'dead' ? `${outcome.reason}: ${outcome.detail}` : '');
      if (outcome.kind === 'skip') skipped++;
      if (outcome.kind === 'event' || outcome.kind === 'request') requests++;
      if (outcome.kind === 'event') {
        events.push(outcome.event);
        if (outcome.event.code === 'CSBS.9999') systemPerSecond[traffic.spikeActive(elapsed) ? 'in' : 'out'] += 1;
      }
    }
  }
  assert.equal(traffic.stats.records, records);
  assert.ok(skipped > 0 && skipped < records * 0.1, `other services skipped: ${skipped}`);
  assert.ok(events.every((e) => e.operation !== 'unknown'), 'every operation a real one');
  assert.ok(events.every((e) => !e.status_mismatch), 'catalog codes with their catalog status');
  assert.deepEqual(new Set(events.map((e) => e.gateway)), new Set(['apisix', 'kong', 'flat']));
  const codes = new Set(events.map((e) => e.code));
  for (const code of ['CSBS.9999', 'CSBS.3001', 'APIG.0101', 'HTTP.502', 'HTTP.504']) assert.ok(codes.has(code), code);
  assert.ok([...codes].some((c) => c.startsWith('KARBOR.')), 'Karbor faults');
  assert.ok(events.filter((e) => e.known).length > events.length / 2, 'mostly catalog codes');
  assert.ok(events.some((e) => e.params.length > 0 && /^[0-9a-f-]{36}$/.test(e.params[0] ?? '')), 'templates filled with ids');
  assert.equal(new Set(events.map((e) => e.tenant)).size, 8);
  // Outside the spike (20 of 30 s) 8 % fail; the spike adds CSBS.9999 on top of that.
  const outside = events.filter((e) => !traffic.spikeActive(Date.parse(e.ts) - start));
  assert.ok(Math.abs(outside.length / (requests * (2 / 3)) - 0.08) < 0.02, `error share ${outside.length / (requests * (2 / 3))}`);
  assert.ok(systemPerSecond.in / 10 > 5 * (systemPerSecond.out / 20), JSON.stringify(systemPerSecond));
});

let brokers: string[];
let stopKafka: () => Promise<void>;
let dir: string;

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  dir = mkdtempSync(join(tmpdir(), 'csbs-demo-'));
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stopKafka?.();
});

async function readAll(topic: string, count: number): Promise<Array<{ value: Buffer; timestamp: number }>> {
  const consumer = testKafkaClient(brokers).consumer({ groupId: `${topic}-reader` });
  const messages: Array<{ value: Buffer; timestamp: number }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push({ value: message.value ?? Buffer.alloc(0), timestamp: Number(message.timestamp) }) });
    await waitFor(() => messages.length >= count, 30_000, `${count} messages from ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

test('demo produces readable traffic with a CSBS.9999 spike', async () => {
  const topic = uniqueTopic('demo');
  await createTopic(brokers, topic, 2);
  const demo = await runCli(['demo', '--rate', '150', '--duration', '6s', '--spike-at', '2s', '--spike-for', '2s', '--spike-factor', '30', '--topic', topic, '--seed', '7'], {
    KAFKA_BROKERS: brokers.join(','),
  });
  assert.equal(demo.code, 0, demo.stderr);
  const produced = /produced (\d+) records in (\d+) messages/.exec(demo.stderr);
  const spike = /CSBS\.9999 spike x30 from (\S+) to (\S+)/.exec(demo.stderr);
  assert.ok(produced?.[1] && produced[2] && spike?.[1] && spike[2], demo.stderr);
  const records = Number(produced[1]);
  assert.ok(Math.abs(records - 900) <= 3, `about 150/s for 6 s: ${records}`);

  const messages = await readAll(topic, Number(produced[2]));
  assert.equal(messages.length, Number(produced[2]));
  const file = join(dir, 'demo.ndjson');
  writeFileSync(file, Buffer.concat(messages.flatMap((m) => [m.value, Buffer.from('\n')])));

  const extracted = await runCli(['extract', file]);
  assert.equal(extracted.code, 0, extracted.stderr);
  assert.match(extracted.stderr, /dead\s+0\n/, 'every record readable');
  const requests = Number(/requests\s+(\d+)/.exec(extracted.stderr)?.[1]);
  const events = extracted.stdout.trim().split('\n').map((line) => JSON.parse(line) as ErrorEvent);
  const [from, to] = [Date.parse(spike[1]), Date.parse(spike[2])];
  const inSpike = (e: ErrorEvent) => Date.parse(e.ts) >= from && Date.parse(e.ts) < to;
  const outside = events.filter((e) => !inSpike(e));
  // 4 of the 6 seconds are outside the spike; about 95 % of the records are backup requests.
  const share = outside.length / (requests * (4 / 6));
  assert.ok(share > 0.03 && share < 0.15, `error share outside the spike ${share}`);
  const system = events.filter((e) => e.code === 'CSBS.9999');
  const during = system.filter(inSpike).length;
  assert.ok(during >= 15, `CSBS.9999 during the spike: ${during}`);
  assert.ok(during / 2 > 4 * ((system.length - during) / 4), `per second: ${during / 2} during, ${(system.length - during) / 4} outside`);
});
