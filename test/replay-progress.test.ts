/** The replay's progress display: the bar on a terminal, plain lines now and then otherwise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, clock, etaOf, rateOf, renderBar, renderLine } from '../services/cli/src/replay/progress.js';

test('rate, time left and clock', () => {
  const state = { done: 3_000, total: 12_000, elapsedMs: 2_000 };
  assert.equal(rateOf(state), 1_500);
  assert.equal(etaOf(state), 6_000);
  assert.equal(clock(6_000), '0:06');
  assert.equal(clock(3_723_000), '1:02:03');
  assert.equal(clock(null), '--:--');
  assert.equal(etaOf({ done: 0, total: 10, elapsedMs: 0 }), null);
});

test('the bar fills with the share done and fits the terminal', () => {
  const line = renderBar('replay a.ndjson', { done: 5_000, total: 10_000, elapsedMs: 2_000 }, 100);
  assert.match(line, /^replay a\.ndjson \[#+\.+\] {2}50% {2}5,000\/10,000 lines {2}2,500 lines\/s {2}ETA 0:02$/);
  const bar = /\[(#+)(\.+)\]/.exec(line);
  assert.ok(bar?.[1] && bar[2]);
  assert.ok(Math.abs(bar[1].length - bar[2].length) <= 1, "half filled");
  assert.ok(line.length <= 100);
  assert.match(renderBar('x', { done: 10, total: 10, elapsedMs: 5 }, 80), /\[#+\] 100%/);
  assert.equal(renderLine('replay a', { done: 1, total: 4, elapsedMs: 1_000 }), 'replay a: 25% (1/4 lines), 1 lines/s, ETA 0:03');
});

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 90, write: (text: string) => writes.push(text) };
}

test('on a terminal the bar is redrawn in place at most every 100 ms and cleared at the end', () => {
  let now = 0;
  const out = sink(true);
  const progress = new Progress(out, 'replay f', 1_000, { now: () => now });
  progress.update(10);
  now = 50;
  progress.update(20);
  now = 150;
  progress.update(300);
  assert.equal(out.writes.length, 2);
  for (const w of out.writes) assert.ok(w.startsWith('\r\x1b[2Kreplay f ['), JSON.stringify(w));
  progress.finish();
  assert.equal(out.writes.at(-1), '\r\x1b[2K');
});

test('without a terminal a plain line comes every 10 s, none for a short run', () => {
  let now = 0;
  const out = sink(false);
  const progress = new Progress(out, 'replay f', 1_000, { now: () => now });
  now = 9_000;
  progress.update(100);
  assert.deepEqual(out.writes, []);
  now = 10_000;
  progress.update(500);
  now = 15_000;
  progress.update(600);
  now = 20_000;
  progress.update(800);
  assert.deepEqual(out.writes, ['replay f: 50% (500/1000 lines), 50 lines/s, ETA 0:10\n', 'replay f: 80% (800/1000 lines), 40 lines/s, ETA 0:05\n']);
  progress.finish();
  assert.equal(out.writes.length, 2, 'nothing to clear');
});
