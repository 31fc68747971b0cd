/**
 * /metrics is read across tenants: the ingest worker's per-code counter names catalog codes only,
 * and counts every code outside the catalog (which may be one tenant's own) under `unknown`. A real
 * worker reads the shared samples from the broker into a real store; its registry is then what the
 * API's /metrics serves.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildApi } from '@csbs-errors/api';
import { createExtractor } from '@csbs-errors/extract';
import { IngestMetrics, IngestWorker, KafkaJsSource } from '@csbs-errors/ingest';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import type { ClickHouseClient } from '@csbs-errors/store';
import { kafkaForTests, uniqueTopic, createTopic } from './support/kafka.js';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { produce, sampleLines, waitUntilDone } from './support/faults.js';

let brokers: string[];
let store: TestStore;
let client: ClickHouseClient;
let stopKafka: () => Promise<void>;

before(async () => {
  const kafka = await kafkaForTests();
  brokers = kafka.brokers;
  stopKafka = kafka.stop;
  store = await storeForTests();
  client = await openTestStore(store);
});

after(async () => {
  await client?.close();
  await store?.dispose();
  await stopKafka?.();
});

test('/metrics counts events by catalog code; codes outside the catalog only as "unknown"', { timeout: 90_000 }, async () => {
  const topic = uniqueTopic('metrics-labels');
  const group = `${topic}-group`;
  await createTopic(brokers, topic, 1);
  const lines = sampleLines();
  const events = lines.flatMap((line) => line.expected.events as Array<{ code: string; known?: boolean }>);
  const unknownCodes = new Set(events.filter((e) => e.known === false).map((e) => e.code));
  const knownCodes = new Set(events.filter((e) => e.known === true).map((e) => e.code));
  assert.ok(unknownCodes.size > 0 && knownCodes.size > 0, 'the samples hold codes in and outside the catalog');

  const registry = createMetricsRegistry();
  const logger = createLogger('silent');
  const source = new KafkaJsSource({ brokers, clientId: 'csbs-test-metrics', groupId: group, topic, dlqTopic: `${topic}.dlq`, partitionsConcurrency: 1, logger });
  const worker = new IngestWorker(source, client, createExtractor(), { batchMaxRows: 1_000, batchMaxMs: 200 }, new IngestMetrics(registry), logger);
  await worker.start();
  try {
    assert.equal(await produce(brokers, topic, lines.map((l) => l.value)).done, lines.length);
    await waitUntilDone(brokers, group, topic, 60_000);
  } finally {
    await worker.stop();
  }

  const app = await buildApi({ store: client, registry, logger, rateLimit: false });
  try {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const byCode = new Map<string, number>();
    for (const match of text.matchAll(/^csbs_errors_ingest_events_total\{code="([^"]*)"\} (\d+)$/gm)) byCode.set(match[1]!, Number(match[2]));
    for (const code of unknownCodes) assert.ok(!text.includes(code), `/metrics names ${code}, a code outside the catalog`);
    assert.equal(byCode.get('unknown'), events.filter((e) => e.known === false).length, 'events of codes outside the catalog');
    for (const code of knownCodes) assert.equal(byCode.get(code), events.filter((e) => e.code === code).length, code);
    assert.deepEqual(new Set(byCode.keys()), new Set([...knownCodes, 'unknown']));
  } finally {
    await app.close();
  }
});
