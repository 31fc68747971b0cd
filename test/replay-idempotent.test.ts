/**
 * `csbs-errors replay` end to end on the shared samples: the summary, the store's counts (events,
 * error_counts_1m, request_counts_1m) equal to expected-events.ndjson, and a second replay, of the
 * same content gzipped, recognised and storing nothing; --force and a replay broken off half-way
 * store nothing twice either; and a store held by another process is reported as such.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createExtractor } from '@csbs-errors/extract';
import { writeBatch, type ClickHouseClient } from '@csbs-errors/store';
import { CHUNK_LINES, replayFile, replayTopic } from '../services/cli/src/replay/replay.js';
import { fingerprint } from '../services/cli/src/replay/fingerprint.js';
import { runCli } from './support/cli.js';
import { openTestStore, storeForTests, type TestStore } from './support/store.js';

const samples = fileURLToPath(new URL('../../shared/samples/', import.meta.url));
const recordsFile = join(samples, 'gateway-records.ndjson');
const recordsText = readFileSync(recordsFile);

interface ExpectedLine {
  events: Array<{ code: string }>;
  dead: number;
  requests: number;
}
const expected = readFileSync(join(samples, 'expected-events.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as ExpectedLine);
const expectedEvents = expected.reduce((n, l) => n + l.events.length, 0);
const expectedRequests = expected.reduce((n, l) => n + l.requests, 0);
const expectedDead = expected.reduce((n, l) => n + l.dead, 0);
const expectedByCode = new Map<string, number>();
for (const line of expected) for (const e of line.events) expectedByCode.set(e.code, (expectedByCode.get(e.code) ?? 0) + 1);

let store: TestStore;
let env: Record<string, string>;
let dir: string;
let client: ClickHouseClient | undefined;

before(async () => {
  store = await storeForTests();
  env = { CLICKHOUSE_URL: store.url, RETENTION_DAYS: '0' };
  dir = mkdtempSync(join(tmpdir(), 'csbs-replay-'));
});

after(async () => {
  await client?.close();
  await store?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function scalar(query: string, params: Record<string, unknown> = {}): Promise<number> {
  assert.ok(client);
  const [row] = await (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(row?.n ?? NaN);
}

async function storeCounts() {
  return {
    events: await scalar('SELECT count() AS n FROM events'),
    errorCounts: await scalar('SELECT sum(count) AS n FROM error_counts_1m'),
    requestCounts: await scalar('SELECT sum(requests) AS n FROM request_counts_1m'),
  };
}

test('a replay stores the samples once; the same content again, gzipped, is recognised and stores nothing', async () => {
  const first = await runCli(['replay', recordsFile], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`lines\\s+400\\n`));
  assert.match(first.stdout, new RegExp(`events\\s+${expectedEvents}\\n`));
  assert.match(first.stdout, new RegExp(`requests\\s+${expectedRequests}\\n`));
  assert.match(first.stdout, new RegExp(`dead\\s+${expectedDead}\\s+\\(invalid_json 1, not_an_object 3\\)`));
  assert.match(first.stdout, /skipped\s+44\s+\(other_service 44\)/);
  assert.match(first.stdout, new RegExp(`stored\\s+${expectedEvents} new events in 1 chunk`));
  assert.doesNotMatch(first.stderr, /replay gateway-records/, 'no progress lines for a short run without a terminal');

  const gz = join(dir, 'archive.ndjson.gz');
  writeFileSync(gz, gzipSync(recordsText));
  const again = await runCli(['replay', gz], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already replayed to the end on \S+ \(as gateway-records\.ndjson: 400 lines, 208 events, 450 requests\); nothing stored/);

  const forced = await runCli(['replay', '--force', gz], env);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, new RegExp(`stored\\s+0 new events in 1 chunk\\(s\\); ${expectedEvents} were in the store already`));
});

test('the store holds exactly the expected events, error counts and request counts', async () => {
  client = await openTestStore(store);
  assert.deepEqual(await storeCounts(), { events: expectedEvents, errorCounts: expectedEvents, requestCounts: expectedRequests });
  const rows = await (await client.query({ query: 'SELECT code, count() AS n FROM events GROUP BY code', format: 'JSONEachRow' })).json<{ code: string; n: string }>();
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.code, Number(r.n)]).sort()), Object.fromEntries([...expectedByCode].sort()));
  const sha = createHash('sha256').update(recordsText).digest('hex');
  assert.equal(await scalar('SELECT count() AS n FROM events WHERE source_topic = {t:String}', { t: replayTopic(sha) }), expectedEvents);
  assert.equal(await scalar('SELECT count() AS n FROM replayed_files WHERE sha256 = {s:String}', { s: sha }), 2, 'the first replay and the forced one');
});

test('a replay broken off after its first chunk and run again stores every chunk once', async () => {
  assert.ok(client);
  const copies = Math.ceil((2.5 * CHUNK_LINES) / 400);
  const big = join(dir, 'big.ndjson');
  writeFileSync(big, Buffer.concat(Array.from({ length: copies }, () => recordsText)));
  const print = await fingerprint(big);
  assert.equal(print.lines, copies * 400);
  const before = await storeCounts();
  const extractor = createExtractor();
  let writes = 0;
  await assert.rejects(
    replayFile({
      file: big,
      sha256: print.sha256,
      store: client,
      extractor,
      maxLineBytes: 8 << 20,
      write: async (c, batch) => {
        if (++writes === 2) throw new Error('store went away');
        await writeBatch(c, batch);
      },
    }),
    /store went away/,
  );
  const partial = await storeCounts();
  assert.ok(partial.events > before.events && partial.events < before.events + copies * expectedEvents, 'the first chunk was stored');

  const counts = await replayFile({ file: big, sha256: print.sha256, store: client, extractor, maxLineBytes: 8 << 20 });
  assert.equal(counts.chunks, 3);
  assert.equal(counts.events, copies * expectedEvents);
  assert.equal(counts.storedAfter - counts.storedBefore, copies * expectedEvents - (partial.events - before.events));
  const after = await storeCounts();
  assert.equal(after.events - before.events, copies * expectedEvents);
  assert.equal(after.errorCounts - before.errorCounts, copies * expectedEvents);
  assert.equal(after.requestCounts - before.requestCounts, copies * expectedRequests);
});

test('replay says clearly that the embedded store is held by another process', async (t) => {
  if (!store.url.startsWith('chdb://')) return t.skip('a ClickHouse server is shared, not held');
  assert.ok(client, 'this process holds the store');
  const busy = await runCli(['replay', recordsFile], env);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, new RegExp(`cannot open the embedded store at .*: process ${process.pid} holds it \\(\`csbs-errors serve\` on the same CLICKHOUSE_URL\\?\\)`));
  assert.doesNotMatch(busy.stderr, /\n\s+at /, 'no stack trace');
});

test('replay refuses stdin and wants files', async () => {
  const stdin = await runCli(['replay', '-'], env);
  assert.equal(stdin.code, 2);
  assert.match(stdin.stderr, /stdin cannot be replayed/);
  const none = await runCli(['replay'], env);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: csbs-errors replay/);
});
