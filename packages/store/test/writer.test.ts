/**
 * Batches the store could refuse, on the real engine: records spanning hundreds of days (more
 * partitions than one insert may touch) are stored, once even when written twice; rows the store
 * refuses for good (a constraint here) come back as refused, exactly those, while the others are
 * stored; an unreachable server is an error (an outage, retried by the worker), not a refusal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStoreClient, isRowsRejection, parseStoreUrl, writeBatch, type ClickHouseClient, type StoredEvent } from '@csbs-errors/store';
import { storeForTests, openTestStore, type TestStore } from '../../../test/support/store.js';
import { storedEvent } from '../../../test/support/events.js';

let store: TestStore;
let client: ClickHouseClient;

before(async () => {
  store = await storeForTests();
  client = await openTestStore(store);
});
after(async () => {
  await client?.close();
  await store?.dispose();
});

async function scalar(sql: string): Promise<number> {
  const [row] = await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ v: string }>();
  return Number(row?.v);
}

const DAY = 86_400_000;

function spread(topic: string, days: number, code: (i: number) => string = () => 'CSBS.9999'): StoredEvent[] {
  return Array.from({ length: days }, (_, i) =>
    storedEvent({ ts: new Date(Date.UTC(2026, 0, 1) + i * DAY + i).toISOString(), code: code(i), source_topic: topic, source_offset: String(i) }),
  );
}

test('a batch across 120 days is stored (inserts of at most 50 days), and once when written again', async () => {
  const events = spread('span', 120);
  const requestCounts = events.map((e) => ({ minute: `${e.ts.slice(0, 16)}:00.000Z`, tenant: 't1', operation: 'restore_backup', status: 500, requests: 1 }));
  for (let attempt = 0; attempt < 2; attempt++) {
    const result = await writeBatch(client, { token: 'span:0:0-119', events, requestCounts });
    assert.deepEqual(result, { refusedEvents: [], refusedRequestCounts: [] });
  }
  assert.equal(await scalar("SELECT count() AS v FROM events WHERE source_topic = 'span'"), 120);
  assert.equal(await scalar("SELECT uniqExact(toYYYYMMDD(ts)) AS v FROM events WHERE source_topic = 'span'"), 120);
  assert.equal(await scalar("SELECT sum(requests) AS v FROM request_counts_1m WHERE minute >= '2026-01-01' AND minute < '2027-01-01'"), 120);
  assert.equal(await scalar("SELECT sum(count) AS v FROM error_counts_1m WHERE minute >= '2026-01-01' AND minute < '2027-01-01'"), 120);
});

test('rows the store refuses for good come back as refused, exactly those; the rest is stored once', async () => {
  await client.command({ query: "ALTER TABLE events ADD CONSTRAINT no_refused_code CHECK code != 'CSBS.REFUSED'" });
  try {
    // 300 events over 3 days, 5 of them break the constraint.
    const bad = new Set([3, 77, 150, 151, 299]);
    const events = spread('refused', 300, (i) => (bad.has(i) ? 'CSBS.REFUSED' : 'CSBS.9999')).map((e, i) => ({ ...e, ts: new Date(Date.UTC(2026, 2, 1) + (i % 3) * DAY + i).toISOString() }));
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await writeBatch(client, { token: 'refused:0:0-299', events, requestCounts: [] });
      const refused = result.refusedEvents.flatMap((part) => part.rows.map((row) => Number(row.source_offset))).sort((a, b) => a - b);
      assert.deepEqual(refused, [...bad].sort((a, b) => a - b), 'the refused rows are exactly the ones breaking the constraint');
      for (const part of result.refusedEvents) assert.match(part.error, /VIOLATED_CONSTRAINT/);
    }
    assert.equal(await scalar("SELECT count() AS v FROM events WHERE source_topic = 'refused'"), 295);
    assert.equal(await scalar("SELECT count() AS v FROM (SELECT source_offset FROM events WHERE source_topic = 'refused' GROUP BY source_offset HAVING count() > 1)"), 0);
  } finally {
    await client.command({ query: 'ALTER TABLE events DROP CONSTRAINT no_refused_code' });
  }
});

test('an unreachable server is an outage to retry, not a refusal of the rows', async () => {
  const down = createStoreClient(parseStoreUrl('http://127.0.0.1:9/none'), { requestTimeoutMs: 2_000 });
  try {
    const error = await writeBatch(down, { token: 'down:0:0-0', events: spread('down', 1), requestCounts: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error, 'the write fails');
    assert.equal(isRowsRejection(error), false);
  } finally {
    await down.close();
  }
});
