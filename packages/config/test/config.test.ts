import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '@csbs-errors/config';

test('defaults: local broker, gateway-logs, embedded store, loopback API', () => {
  const config = loadConfig({});
  assert.deepEqual(config.kafka, {
    brokers: ['127.0.0.1:9092'],
    topic: 'gateway-logs',
    groupId: 'csbs-errors',
    dlqTopic: 'gateway-logs.dlq',
    clientId: 'csbs-errors',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
  });
  assert.deepEqual(config.clickhouse, { url: 'chdb://./data/clickhouse', cluster: undefined, retentionDays: 90 });
  assert.equal(config.api.host, '127.0.0.1');
  assert.equal(config.api.port, 8080);
  assert.deepEqual(config.api.tokens, []);
  assert.equal(config.ingest.servicePattern.test('CSBS-v1'), true);
  assert.equal(config.ingest.maxStoredMessageBytes, 8 * 1024);
  assert.equal(config.ingest.maxFutureMs, 86_400_000);
  assert.equal(config.ingest.stallAfterMs, 60_000);
  assert.equal(config.ingest.lagPollMs, 5_000);
});

test('values from the environment are parsed and the DLQ follows the topic', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', KAFKA_TOPIC: 'logs', PORT: '9000', RETENTION_DAYS: '0', INGEST_BATCH_MAX_ROWS: '10' });
  assert.deepEqual(config.kafka.brokers, ['a:1', 'b:2']);
  assert.equal(config.kafka.dlqTopic, 'logs.dlq');
  assert.equal(config.api.port, 9000);
  assert.equal(config.clickhouse.retentionDays, 0);
  assert.equal(config.ingest.batchMaxRows, 10);
});

test('API rate limit and answer cache lifetime: defaults, 0 turns them off, bad values are named', () => {
  assert.deepEqual([loadConfig({}).api.rateLimitPerMinute, loadConfig({}).api.cacheTtlMs], [600, 1_000]);
  const off = loadConfig({ API_RATE_LIMIT_PER_MINUTE: '0', API_CACHE_TTL_MS: '0' });
  assert.deepEqual([off.api.rateLimitPerMinute, off.api.cacheTtlMs], [0, 0]);
  assert.equal(loadConfig({ API_RATE_LIMIT_PER_MINUTE: ' 120 ' }).api.rateLimitPerMinute, 120);
  for (const [name, value] of [['API_RATE_LIMIT_PER_MINUTE', ''], ['API_RATE_LIMIT_PER_MINUTE', '-1'], ['API_RATE_LIMIT_PER_MINUTE', '1.5'], ['API_CACHE_TTL_MS', 'soon'], ['API_CACHE_TTL_MS', '3600001']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), new RegExp(`\\b${name}: `), `${name}=${value}`);
  }
});

test('every bad variable is named in one error', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', KAFKA_BROKERS: 'nohostport', CLICKHOUSE_URL: 'mysql://x', SERVICE_PATTERN: '(', KAFKA_SESSION_TIMEOUT_MS: '10' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      for (const name of ['PORT', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'SERVICE_PATTERN', 'KAFKA_SESSION_TIMEOUT_MS']) assert.match(error.message, new RegExp(`\\b${name}\\b`));
      return true;
    },
  );
});

test('API tokens come from API_TOKENS and API_TOKENS_FILE, validated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csbs-config-'));
  try {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, JSON.stringify([{ token: 'file-token-0123456789', tenant: 'p1' }]));
    const config = loadConfig({ API_TOKENS: JSON.stringify([{ token: 'env-token-0123456789' }]), API_TOKENS_FILE: file });
    assert.deepEqual(config.api.tokens, [{ token: 'env-token-0123456789' }, { token: 'file-token-0123456789', tenant: 'p1' }]);
    assert.throws(() => loadConfig({ API_TOKENS: '[{"token":"short"}]' }), /API_TOKENS\.0\.token: tokens need at least 16 characters/);
    assert.throws(() => loadConfig({ API_TOKENS: 'not json' }), /API_TOKENS: not JSON/);
    assert.throws(() => loadConfig({ API_TOKENS_FILE: join(dir, 'missing.json') }), /API_TOKENS_FILE: cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('extraction threads: one per core but one by default (at least 1), a positive count when set', () => {
  assert.equal(loadConfig({}).ingest.extractThreads, Math.max(1, availableParallelism() - 1));
  assert.equal(loadConfig({ INGEST_EXTRACT_THREADS: '3' }).ingest.extractThreads, 3);
  assert.throws(() => loadConfig({ INGEST_EXTRACT_THREADS: '0' }), (error: unknown) => error instanceof ConfigError && error.message.includes('INGEST_EXTRACT_THREADS'));
});
