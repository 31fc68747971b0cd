/**
 * The extraction pool builds exactly the batch the main thread would: the samples (and bad
 * messages: tombstones, invalid UTF-8, multi-record messages) through threads give the same stored
 * rows, request counts and dead letters, byte for byte, as extraction on this thread. A thread that
 * dies (out of memory on a message) loses no record: its chunks are retried, the run fails as a
 * whole, and the pool keeps working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExtractor } from '@csbs-errors/extract';
import { ExtractPool, PartitionBatchBuilder, inlineExtraction, type SourceMessage } from '@csbs-errors/ingest';
import { createLogger } from '@csbs-errors/observability';
import { sampleLines } from './support/faults.js';

const settings = { maxMessageBytes: 1024 * 1024, servicePattern: /csbs|karbor|backup/i };

function corpus(): SourceMessage[] {
  const values: Array<Buffer | null> = sampleLines().map((line) => line.value);
  values.push(null, Buffer.from([0xc3, 0x28]), Buffer.from(`${values[0]?.toString()}\n${values[1]?.toString()}`), Buffer.from('[]'));
  // Enough copies for several chunks per thread, at offsets with gaps (as transaction markers leave).
  const messages: SourceMessage[] = [];
  for (let copy = 0; copy < 12; copy += 1) values.forEach((value) => messages.push({ offset: String(messages.length * 2 + 7), value }));
  return messages;
}

function stored(parts: Awaited<ReturnType<ExtractPool['extract']>>) {
  const builder = new PartitionBatchBuilder('logs', 3);
  for (const part of parts) builder.absorb(part);
  const range = builder.range();
  assert.ok(range);
  return { batch: JSON.stringify(builder.toStoredBatch(range)), deadLetters: builder.deadLetters, outcomes: [...builder.outcomeCounts].sort(), records: builder.records };
}

test('the pool builds the same batch as the main thread, byte for byte', async () => {
  const messages = corpus();
  const expected = stored(await inlineExtraction(createExtractor(settings)).extract('logs', 3, messages, null));
  const pool = new ExtractPool({ ...settings, threads: 2, logger: createLogger('silent') });
  await pool.ready();
  try {
    const parts = await pool.extract('logs', 3, messages, null);
    assert.ok(parts.length > 1, 'the run was split across the threads');
    const actual = stored(parts);
    assert.equal(actual.records, expected.records);
    assert.equal(actual.batch, expected.batch);
    assert.deepEqual(actual.outcomes, expected.outcomes);
    assert.ok(actual.deadLetters.length > 0);
    assert.deepEqual(actual.deadLetters, expected.deadLetters);
    for (const letter of actual.deadLetters) assert.ok(typeof letter.value === 'string' || Buffer.isBuffer(letter.value), 'dead-letter values are Buffers for the Kafka client');
  } finally {
    await pool.close();
  }
});

test('a thread that dies fails the run, and the pool goes on with a fresh thread', async () => {
  const messages = corpus();
  // A thread with a small heap dies of a message that splits into very many records.
  const huge = `[${Array.from({ length: 400_000 }, () => '{"a":[1,2,3,4,5,6,7,8]}').join(',')}]`;
  const pool = new ExtractPool({ maxMessageBytes: 64 * 1024 * 1024, servicePattern: settings.servicePattern, threads: 1, resourceLimits: { maxOldGenerationSizeMb: 16 }, logger: createLogger('silent') });
  await pool.ready();
  try {
    await assert.rejects(pool.extract('logs', 3, [{ offset: '0', value: Buffer.from(huge) }], null), /failed 3 times|exited/);
    const expected = stored(await inlineExtraction(createExtractor(settings)).extract('logs', 3, messages, null));
    assert.equal(stored(await pool.extract('logs', 3, messages, null)).batch, expected.batch);
  } finally {
    await pool.close();
  }
});

test('request counts keep every field through a part, whatever a tenant holds', () => {
  // Tenants come from paths and log fields: the separator of the builder's keys, tabs, newlines and
  // non-ASCII must come out as they went in, counted per (minute, tenant, operation, status).
  const tenants = ['a\u0000b', 'tab\tand\nnewline', 'ünï-☃', '', 'unknown'];
  const request = (tenant: string, second: number, status: number) => ({
    kind: 'request' as const,
    request: { ts: `2026-12-07T10:${String(second % 3).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}.250Z`, tenant, operation: 'create_backup', status },
  });
  const expected = new Map<string, { minute: string; tenant: string; operation: string; status: number; requests: number }>();
  const thread = new PartitionBatchBuilder('logs', 3);
  let offset = 0;
  for (let i = 0; i < 200; i += 1) {
    const outcome = request(tenants[i % tenants.length]!, i, i % 7 === 0 ? 201 : 200);
    thread.add(String(offset++), [outcome]);
    const row = { minute: `${outcome.request.ts.slice(0, 16)}:00.000Z`, tenant: outcome.request.tenant, operation: 'create_backup', status: outcome.request.status, requests: 0 };
    const key = JSON.stringify([row.minute, row.tenant, row.status]);
    (expected.get(key) ?? expected.set(key, row).get(key)!).requests += 1;
  }
  // As a thread's part reaches the main thread: cloned.
  const main = new PartitionBatchBuilder('logs', 3);
  main.absorb(structuredClone(thread.toPart()));
  const range = main.range();
  assert.ok(range);
  const rows = main.toStoredBatch(range).requestCounts;
  const byKey = (r: { minute: string; tenant: string; status: number }) => JSON.stringify([r.minute, r.tenant, r.status]);
  assert.deepEqual(new Map(rows.map((r) => [byKey(r), r])), expected);
  assert.equal(rows.reduce((sum, r) => sum + r.requests, 0), 200);
  assert.deepEqual(rows, [...rows].sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : 0)), 'rows are in order of minute first');
});
