/**
 * Backtesting over stored history: `backtest()` in process, then the real command line
 * `csbs-errors alerts backtest --rules FILE --from --to --format json|table` on the same store,
 * with fixed-timestamp data (two CSBS.9999 spikes in one tenant) and exact expected alerts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBatch, type RequestCountRow, type StoredEvent } from '@csbs-errors/store';
import { backtest, loadRules, type WouldBeAlert } from '@csbs-errors/alerter';
import { storeForTests, openTestStore, type TestStore } from './support/store.js';
import { storedEvent } from './support/events.js';
import { runCli } from './support/cli.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 9, 7, 8, 0);
const FROM = new Date(T0).toISOString();
const TO = new Date(T0 + 45 * MINUTE).toISOString();
const iso = (ms: number) => new Date(ms).toISOString();

let store: TestStore;
let rulesFile: string;

function event(ts: number, tenant: string, index: number): StoredEvent {
  return storedEvent({
    ts: iso(ts),
    tenant,
    path: `/v1/${tenant}/providers/p/checkpoints`,
    route: '/v1/{project_id}/providers/{provider_id}/checkpoints',
    operation: 'create_checkpoint',
    source_offset: String(ts),
    source_index: index,
  });
}

before(async () => {
  store = await storeForTests();
  const client = await openTestStore(store);
  const events: StoredEvent[] = [];
  const requestCounts: RequestCountRow[] = [];
  for (let m = 0; m < 45; m++) {
    const start = T0 + m * MINUTE;
    const spike = m === 10 || m === 11 || m === 30 || m === 31;
    const a = spike ? 80 : 4 + (m % 3);
    for (let i = 0; i < a; i++) events.push(event(start + i * 500, 'tenant-a', i));
    for (let i = 0; i < 5; i++) events.push(event(start + i * 700 + 1, 'tenant-b', i));
    requestCounts.push({ minute: iso(start), tenant: 'tenant-a', operation: 'create_checkpoint', status: 200, requests: 2_000 });
    requestCounts.push({ minute: iso(start), tenant: 'tenant-b', operation: 'create_checkpoint', status: 200, requests: 1_500 });
  }
  await writeBatch(client, { token: 'alerts-backtest', events, requestCounts });
  // The command line opens the store itself: an embedded directory has one owner at a time.
  await client.close();
  const dir = mkdtempSync(join(tmpdir(), 'csbs-backtest-'));
  rulesFile = join(dir, 'rules.json');
  writeFileSync(
    rulesFile,
    JSON.stringify({
      rules: [
        { name: 'BacktestSpike', codes: ['CSBS.9999'], baseline: { lookback: '10m', minSamples: 5 }, keepFiringFor: '1m', cooldown: '5m' },
        { name: 'BacktestTenantSpike', codes: ['CSBS.9999'], groupBy: ['tenant'], baseline: { lookback: '10m', minSamples: 5 }, minCount: 20, keepFiringFor: '1m', cooldown: '5m' },
      ],
    }),
  );
});

after(async () => {
  await store?.dispose();
});

/** Evaluations run every 10 s, 3 s after each minute: minute m is first judged at T0 + (m+1) min + 3 s. */
const judged = (m: number) => T0 + (m + 1) * MINUTE + 3_000;
/** Minute 11 is last judged 10 s before minute 12 is; keep-firing (1 min) later the alert resolves. */
const resolvedAfter = (lastSpikeMinute: number) => judged(lastSpikeMinute + 1) - 10_000 + MINUTE;

function expected(): Array<Pick<WouldBeAlert, 'rule' | 'labels' | 'starts_at' | 'ends_at' | 'peak'>> {
  const alerts = [];
  for (const first of [10, 30]) {
    alerts.push({ rule: 'BacktestSpike', labels: {}, starts_at: iso(judged(first)), ends_at: iso(resolvedAfter(first + 1)), peak: 85 });
    alerts.push({ rule: 'BacktestTenantSpike', labels: { tenant: 'tenant-a' }, starts_at: iso(judged(first)), ends_at: iso(resolvedAfter(first + 1)), peak: 80 });
  }
  return alerts;
}

test('backtest() replays the rules over the stored minutes: the alerts, their timing and numbers', async () => {
  const client = await openTestStore(store);
  try {
    const alerts = await backtest(client, loadRules(rulesFile), T0, T0 + 45 * MINUTE);
    assert.deepEqual(alerts.map(({ rule, labels, starts_at, ends_at, peak }) => ({ rule, labels, starts_at, ends_at, peak })), expected());
    const overall = alerts[0];
    assert.ok(overall && Math.abs(overall.baseline - 10) < 1.5, `baseline ${overall?.baseline}`);
    assert.ok(overall && overall.factor > 7 && overall.factor < 10, `factor ${overall?.factor}`);
    // A window that ends during the first spike: the alert is still firing at its end.
    const open = await backtest(client, loadRules(rulesFile), T0, T0 + 12 * MINUTE + 30_000);
    assert.deepEqual(open.map((a) => [a.rule, a.ends_at]), [['BacktestSpike', null], ['BacktestTenantSpike', null]]);
  } finally {
    await client.close();
  }
});

test('csbs-errors alerts backtest prints the would-be alerts as JSON and as a table', async () => {
  const env = { CLICKHOUSE_URL: store.url, RETENTION_DAYS: '0' };
  const json = await runCli(['alerts', 'backtest', '--rules', rulesFile, '--from', FROM, '--to', TO, '--format', 'json'], env);
  assert.equal(json.code, 0, json.stderr);
  const alerts = JSON.parse(json.stdout) as WouldBeAlert[];
  assert.deepEqual(alerts.map(({ rule, labels, starts_at, ends_at, peak }) => ({ rule, labels, starts_at, ends_at, peak })), expected());
  assert.deepEqual(Object.keys(alerts[0] ?? {}), ['rule', 'labels', 'starts_at', 'ends_at', 'peak', 'baseline', 'factor']);

  const table = await runCli(['alerts', 'backtest', '--rules', rulesFile, '--from', FROM, '--to', TO, '--format', 'table'], env);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^rule\s+labels\s+starts_at\s+ends_at\s+peak\s+baseline\s+factor$/);
  assert.equal(lines.length, 5);
  assert.match(lines[2] ?? '', /^BacktestTenantSpike\s+tenant=tenant-a\s+2026-10-07T08:11:03\.000Z\s+2026-10-07T08:13:53\.000Z\s+80\s+[\d.]+\s+[\d.]+x$/);

  const none = await runCli(['alerts', 'backtest', '--rules', rulesFile, '--from', FROM, '--to', iso(T0 + 10 * MINUTE), '--format', 'table'], env);
  assert.equal(none.stdout, 'no alerts would have fired\n');
});

test('csbs-errors alerts: bad arguments exit 2 with a message', async () => {
  const env = { CLICKHOUSE_URL: store.url };
  const cases: Array<[string[], RegExp]> = [
    [['alerts'], /a subcommand is required/],
    [['alerts', 'replay'], /unknown subcommand 'replay'/],
    [['alerts', 'backtest', '--from', FROM], /--from and --to are required/],
    [['alerts', 'backtest', '--from', 'yesterday', '--to', TO], /--from: expected an ISO-8601/],
    [['alerts', 'backtest', '--from', 'now-999999999999w', '--to', TO], /--from: must lie between 2000-01-01 and 2100-01-01/],
    [['alerts', 'backtest', '--from', TO, '--to', FROM], /--to must be after --from/],
    [['alerts', 'backtest', '--from', FROM, '--to', TO, '--format', 'csv'], /--format: expected json or table/],
    [['alerts', 'backtest', '--from', FROM, '--to', TO, '--rules', '/nonexistent/rules.json'], /cannot read rules file/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args, env);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, message, args.join(' '));
  }
});
