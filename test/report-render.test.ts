/**
 * The report's pure parts: windows (read with the query API's parser), what each catalog
 * placeholder names, and the markdown (escaping, empty windows, missing alerts table).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDefaultCatalog } from '@csbs-errors/catalog';
import { placeholderKinds, renderMarkdown } from '@csbs-errors/report';
import { InvalidParameter, MAX_REPORT_WINDOW_MS, resolveWindow, type PostmortemReport, type Window } from '@csbs-errors/query';

const NOW = Date.parse('2026-11-21T10:20:30.456Z');

const reportWindow = (query: { from?: string; to?: string }, now: number): Window => resolveWindow(query, now, MAX_REPORT_WINDOW_MS);

test('a window is [from, to), at most 31 days, its parameters named when wrong (overflowing relative times too)', () => {
  assert.deepEqual(reportWindow({ from: 'now-1h', to: 'now' }, NOW), { from: NOW - 3_600_000, to: NOW });
  assert.deepEqual(reportWindow({}, NOW), { from: NOW - 86_400_000, to: NOW });
  const wrong: Array<[{ from?: string; to?: string }, string, RegExp]> = [
    [{ from: 'later' }, 'from', /ISO-8601/],
    [{ to: 'soon' }, 'to', /ISO-8601/],
    [{ from: 'now', to: 'now-1h' }, 'from', /before to/],
    [{ from: 'now-32d' }, 'from', /31 days/],
    [{ to: '1999-01-01' }, 'to', /2000-01-01/],
    [{ from: 'now-999999999999w' }, 'from', /2000-01-01/],
    [{ from: 'now-999999999999999s' }, 'from', /2000-01-01/],
    [{ to: 'now-9999999999999999999999w' }, 'to', /ISO-8601/],
  ];
  for (const [query, parameter, message] of wrong) {
    assert.throws(() => reportWindow(query, NOW), (error: unknown) => error instanceof InvalidParameter && error.parameter === parameter && message.test(error.message));
  }
});

test('every catalog placeholder is named after its place in the message', () => {
  const catalog = loadDefaultCatalog();
  for (const row of catalog.rows) {
    const placeholders = row.template.match(/%s|\{[a-z_]+\}/g) ?? [];
    assert.equal(placeholderKinds(row.template).length, placeholders.length, row.template);
  }
  const kinds = (code: string) => placeholderKinds(catalog.rows.find((r) => r.code === code)?.template ?? '');
  assert.deepEqual(kinds('CSBS.6006'), ['server', 'status']);
  assert.deepEqual(kinds('CSBS.6010'), ['volume', 'server']);
  assert.deepEqual(kinds('CSBS.6033'), ['volume', 'server']);
  assert.deepEqual(kinds('CSBS.6024'), ['volume', 'size', 'backup', 'size']);
  assert.deepEqual(kinds('CSBS.6017'), ['backup', 'checkpoint item']);
  assert.deepEqual(kinds('CSBS.6019'), ['server', 'type', 'server', 'type']);
  assert.deepEqual(kinds('CSBS.6023'), ['server']);
  assert.deepEqual(kinds('CSBS.3001'), ['checkpoint item']);
  assert.deepEqual(kinds('CSBS.8007'), ['checkpoint item']);
  assert.deepEqual(kinds('CSBS.9999'), ['failed action']);
  assert.deepEqual(kinds('CSBS.7000'), ['count']);
  assert.deepEqual(kinds('CSBS.9006'), ['quota']);
});

function emptyReport(): PostmortemReport {
  return {
    generated_at: '2026-11-21T00:00:00.000Z',
    window: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-20T01:00:00.000Z' },
    filters: { tenant: ['t|1'], code: [], status: [], operation: [] },
    summary: {
      errors: 0,
      previous_errors: 3,
      change: -1,
      codes: 0,
      unknown_codes: 0,
      unknown_code_errors: 0,
      status_mismatch_errors: 0,
      tenants: 0,
      operations: 0,
      requests: { window: { from: '2026-11-20T00:00:00.000Z', to: '2026-11-20T01:00:00.000Z' }, requests: 0, errors: 0, rate: null },
    },
    timeline: {
      first_error: null,
      peak_minute: null,
      last_error: null,
      alerts: { available: false, note: 'no alerts table in this store: the alerter has not run against it', items: [] },
      series: { interval: '1m', points: [] },
    },
    top_codes: { codes: [], other: null },
    unknown_codes: [],
    status_mismatches: [],
    tenants: { entries: [], other: null },
    operations: { entries: [], other: null },
    resources: [],
    comparison: { previous_window: { from: '2026-11-19T23:00:00.000Z', to: '2026-11-20T00:00:00.000Z' }, previous_errors: 3, change: -1, new_codes: [], gone_codes: [{ code: 'CSBS.9999', previous_count: 3 }], increases: [] },
  };
}

test('an empty window reads as such, with the missing alerts table said', () => {
  const md = renderMarkdown(emptyReport());
  assert.match(md, /^# Postmortem: CSBS errors 2026-11-20 00:00:00 – 2026-11-20 01:00:00 UTC\n/);
  assert.match(md, /\(1 h\), tenant `t\\\|1`\./);
  assert.match(md, /\| Errors \| \*\*0\*\* \(previous window: 3, -100 %\) \|/);
  assert.match(md, /\| Requests \| 0, no requests recorded \|/);
  assert.match(md, /- \*\*Alerts\*\*: not available: no alerts table in this store/);
  assert.match(md, /## Top codes\n\nNo errors in the window\./);
  assert.match(md, /- Codes gone: `CSBS\.9999` \(3 before\)/);
  assert.doesNotMatch(md, /undefined|NaN|null/);
});

test('messages cannot break the tables: pipes escaped, newlines folded, long text cut', () => {
  const report = emptyReport();
  report.summary.errors = 1;
  report.unknown_codes = [{ code: 'X.1', count: 1, statuses: [500], sample_message: `a | b\nc ${'x'.repeat(200)}`, first_seen: '2026-11-20T00:00:01.000Z', last_seen: '2026-11-20T00:00:01.000Z' }];
  report.timeline.first_error = { ts: '2026-11-20T00:00:01.000Z', code: 'X.1', status: 500, tenant: 't', operation: 'unknown', message: 'one `tick` | two' };
  const md = renderMarkdown(report);
  const row = md.split('\n').find((l) => l.startsWith('| `X.1` |'));
  assert.ok(row);
  assert.match(row, /\| a \\\| b c x+… \|$/);
  assert.equal(row.split(/(?<!\\)\|/).length - 2, 6, 'six cells');
  assert.match(md, /“one `tick` \\\| two”/);
});
