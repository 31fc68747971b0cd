/**
 * The alert state machine (services/alerter/src/state.ts), transition by transition, with a clock
 * driven by the test: normal → pending → firing → resolved, pending cancelled, keep-firing, cooldown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, INITIAL_STATE, type AlertState, type Observation } from '@csbs-errors/alerter';

const T0 = Date.UTC(2026, 9, 5, 12, 0, 3);
const S = 1_000;
const timing = { pendingForMs: 20 * S, keepFiringForMs: 60 * S, cooldownMs: 300 * S };
const breach = (count = 60): Observation => ({ breach: true, count, requests: 1_000, baseline: 5, factor: count / 5 });
const calm: Observation = { breach: false, count: 5, requests: 1_000, baseline: 5, factor: 1 };

/** Runs observations at the given instants; returns the final state and the transitions seen. */
function run(steps: Array<[number, Observation]>, from: AlertState = INITIAL_STATE, t = timing) {
  let state = from;
  const transitions: Array<[number, string]> = [];
  for (const [at, observed] of steps) {
    const result = advance(state, observed, at, t);
    state = result.state;
    if (result.transition) transitions.push([at, result.transition]);
  }
  return { state, transitions };
}

test('normal stays normal without a breach, and keeps no record', () => {
  const { state, transitions } = run([[T0, calm], [T0 + 10 * S, calm]]);
  assert.equal(state, INITIAL_STATE);
  assert.deepEqual(transitions, []);
});

test('normal → pending on a breach; pending → firing once the breach held for pendingFor', () => {
  const { state, transitions } = run([
    [T0, breach(60)],
    [T0 + 10 * S, breach(80)],
    [T0 + 20 * S, breach(70)],
  ]);
  assert.deepEqual(transitions, [
    [T0, 'pending'],
    [T0 + 20 * S, 'firing'],
  ]);
  assert.equal(state.phase, 'firing');
  assert.equal(state.activeAt, T0);
  assert.equal(state.firedAt, T0 + 20 * S);
  assert.equal(state.peak?.count, 80, 'the peak is the highest count of the episode');
  assert.equal(state.peak?.at, T0 + 10 * S);
  assert.equal(state.latest?.count, 70);
});

test('pendingFor 0 fires on the first breach (no pending step)', () => {
  const { state, transitions } = run([[T0, breach()]], INITIAL_STATE, { ...timing, pendingForMs: 0 });
  assert.deepEqual(transitions, [[T0, 'firing']]);
  assert.equal(state.firedAt, T0);
});

test('pending → cancelled when the breach goes away before pendingFor: it never pages', () => {
  const { state, transitions } = run([
    [T0, breach()],
    [T0 + 10 * S, calm],
  ]);
  assert.deepEqual(transitions, [
    [T0, 'pending'],
    [T0 + 10 * S, 'cancelled'],
  ]);
  assert.equal(state.phase, 'cancelled');
  assert.equal(state.firedAt, null);
});

test('firing keeps firing for keepFiringFor after the last breach, then resolves', () => {
  const firing = run([[T0, breach()]], INITIAL_STATE, { ...timing, pendingForMs: 0 }).state;
  const { state, transitions } = run([
    [T0 + 30 * S, calm],
    [T0 + 59 * S, calm], // 59 s since the last breach: still firing
    [T0 + 65 * S, breach(30)], // a breach inside keep-firing renews it
    [T0 + 120 * S, calm],
    [T0 + 125 * S, calm],
  ], firing);
  assert.deepEqual(transitions, [[T0 + 125 * S, 'resolved']]);
  assert.equal(state.phase, 'resolved');
  assert.equal(state.resolvedAt, T0 + 125 * S);
  assert.equal(state.lastBreachAt, T0 + 65 * S);
  assert.equal(state.cooldownUntil, T0 + 125 * S + 300 * S);
  assert.equal(state.peak?.count, 60);
});

test('resolved: no new episode during the cooldown, a new one (new activeAt) after it', () => {
  const noPending = { ...timing, pendingForMs: 0 };
  const resolved = run([[T0, breach()], [T0 + 60 * S, calm]], INITIAL_STATE, noPending).state;
  assert.equal(resolved.phase, 'resolved');
  const during = run([[T0 + 120 * S, breach()]], resolved, noPending);
  assert.deepEqual(during.transitions, [], 'a breach in the cooldown does not page');
  assert.equal(during.state, resolved);
  const after = run([[T0 + 361 * S, breach(90)]], resolved, noPending);
  assert.deepEqual(after.transitions, [[T0 + 361 * S, 'firing']]);
  assert.equal(after.state.activeAt, T0 + 361 * S);
  assert.equal(after.state.resolvedAt, null);
  assert.equal(after.state.peak?.count, 90, 'the new episode starts its own peak');
});

test('a cancelled pending episode starts afresh on the next breach', () => {
  const cancelled = run([[T0, breach()], [T0 + 10 * S, calm]]).state;
  const { state, transitions } = run([[T0 + 20 * S, breach()]], cancelled);
  assert.deepEqual(transitions, [[T0 + 20 * S, 'pending']]);
  assert.equal(state.activeAt, T0 + 20 * S);
});
