/**
 * `csbs-errors report` on the shared samples replayed into a fresh store: the JSON report's numbers
 * equal expected-events.ndjson (errors, requests, codes, unknown codes, status mismatches, tenants),
 * the markdown has every section, and bad options or a held store are said clearly.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PostmortemReport } from '@csbs-errors/query';
import { runCli } from './support/cli.js';
import { openTestStore, storeForTests, type TestStore } from './support/store.js';

const samples = fileURLToPath(new URL('../../shared/samples/', import.meta.url));

interface ExpectedEvent {
  code: string;
  tenant: string;
  known: boolean;
  status_mismatch: boolean;
  ts: string;
}
const lines = readFileSync(join(samples, 'expected-events.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { events: ExpectedEvent[]; requests: number });
const events = lines.flatMap((l) => l.events);
const requests = lines.reduce((n, l) => n + l.requests, 0);
const countBy = (items: ExpectedEvent[], key: (e: ExpectedEvent) => string) => {
  const counts = new Map<string, number>();
  for (const e of items) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
  return counts;
};

// The samples span 00:55:53 to 02:01:44 on 2026-11-28; a window with room on both sides.
const WINDOW = ['--from', '2026-11-28T00:50:00Z', '--to', '2026-11-28T02:10:00Z'];
let store: TestStore;
let env: Record<string, string>;

before(async () => {
  store = await storeForTests();
  env = { CLICKHOUSE_URL: store.url, RETENTION_DAYS: '0' };
  const replay = await runCli(['replay', join(samples, 'gateway-records.ndjson')], env);
  assert.equal(replay.code, 0, replay.stderr);
});

after(async () => {
  await store?.dispose();
});

test('the JSON report counts the samples exactly', async () => {
  const run = await runCli(['report', ...WINDOW, '--format', 'json', '--limit', '1000'], env);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as PostmortemReport;
  assert.equal(report.summary.errors, events.length);
  assert.equal(report.summary.requests.requests, requests);
  assert.equal(report.summary.previous_errors, 0);
  assert.deepEqual(new Map(report.top_codes.codes.map((c) => [c.code, c.count])), countBy(events, (e) => e.code));
  assert.deepEqual(new Map(report.unknown_codes.map((c) => [c.code, c.count])), countBy(events.filter((e) => !e.known), (e) => e.code));
  assert.equal(report.summary.status_mismatch_errors, events.filter((e) => e.status_mismatch).length);
  assert.equal(report.summary.tenants, countBy(events, (e) => e.tenant).size);
  const times = events.map((e) => e.ts).sort();
  assert.equal(report.timeline.first_error?.ts, times[0]);
  assert.equal(report.timeline.last_error?.ts, times.at(-1));
  assert.deepEqual(report.comparison.new_codes.length, Math.min(10, countBy(events, (e) => e.code).size));
});

test('the markdown report has every section, for one tenant too', async () => {
  const tenant = events[0]!.tenant;
  const run = await runCli(['report', ...WINDOW, '--tenant', tenant], env);
  assert.equal(run.code, 0, run.stderr);
  for (const heading of ['## Summary', '## Timeline', '## Top codes', '### What the codes mean', '## Unknown codes', '## Status mismatches', '## Tenants hit', '## Operations hit', '## Resources hit', '## Compared with the previous window']) {
    assert.ok(run.stdout.split('\n').some((line) => line === heading || line.startsWith(`${heading} (`)), heading);
  }
  const mine = events.filter((e) => e.tenant === tenant).length;
  assert.match(run.stdout, new RegExp(`\\| Errors \\| \\*\\*${mine}\\*\\* \\(previous window: 0, new\\) \\|`));
  assert.match(run.stdout, new RegExp(`tenant \`${tenant}\`\\.`));
});

test('bad options are usage errors that name them', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--from', '2026-11-28T00:50:00Z'], /--from and --to are required/],
    [[...WINDOW, '--format', 'pdf'], /--format: expected md or json/],
    [['--from', 'tomorrow', '--to', 'now'], /--from: expected an ISO-8601 instant/],
    [['--from', '2026-11-28T02:00:00Z', '--to', '2026-11-28T01:00:00Z'], /--from: must be before to/],
    [[...WINDOW, '--status', 'abc'], /--status: /],
    [[...WINDOW, '--colour', 'red'], /Unknown option '--colour'/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(['report', ...args], env);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
  }
});

test('a store held by another process is said so', async (t) => {
  if (!store.url.startsWith('chdb://')) return t.skip('a ClickHouse server is shared, not held');
  const client = await openTestStore(store);
  try {
    const run = await runCli(['report', ...WINDOW], env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /csbs-errors report: cannot open the embedded store at .*: process \d+ holds it/);
  } finally {
    await client.close();
  }
});
