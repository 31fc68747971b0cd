/**
 * The life of one alert (one rule and group), as a pure function of the previous state, the latest
 * detection and the time:
 *
 *   normal --breach--> pending --breach held for pendingFor--> firing --no breach for keepFiringFor--> resolved
 *      ^                  |                                                                           |
 *      +---no breach------+                 (pendingFor = 0: normal --breach--> firing)               |
 *      +-----------------------------------------------------------------------------------------------+
 *                                            (a new episode; not before cooldown has passed)
 *
 * A pending episode whose breach goes away is `cancelled` (it never paged). The state carries the
 * numbers of the latest evaluation and of the peak, for notifications, the API and backtests.
 */
export type AlertPhase = 'normal' | 'pending' | 'firing' | 'resolved' | 'cancelled';

export interface AlertNumbers {
  count: number;
  requests: number;
  baseline: number;
  factor: number;
  /** When these numbers were observed (evaluation time, ms). */
  at: number;
}

export interface AlertState {
  phase: AlertPhase;
  /** When the breach of this episode was first seen (the episode's identity); null in `normal`. */
  activeAt: number | null;
  firedAt: number | null;
  lastBreachAt: number | null;
  resolvedAt: number | null;
  /** No new episode before this time (set on resolve). */
  cooldownUntil: number;
  latest: AlertNumbers | null;
  /** The evaluation with the highest count during the episode. */
  peak: AlertNumbers | null;
}

export interface AlertTiming {
  pendingForMs: number;
  keepFiringForMs: number;
  cooldownMs: number;
}

export type Transition = 'pending' | 'firing' | 'resolved' | 'cancelled';

export interface Observation {
  breach: boolean;
  count: number;
  requests: number;
  baseline: number;
  factor: number;
}

export const INITIAL_STATE: AlertState = {
  phase: 'normal',
  activeAt: null,
  firedAt: null,
  lastBreachAt: null,
  resolvedAt: null,
  cooldownUntil: 0,
  latest: null,
  peak: null,
};

/** True while the episode is open (it may still page or is paging). */
export function isOpen(state: AlertState): boolean {
  return state.phase === 'pending' || state.phase === 'firing';
}

export function advance(prev: AlertState, observed: Observation, now: number, timing: AlertTiming): { state: AlertState; transition: Transition | null } {
  const numbers: AlertNumbers = { count: observed.count, requests: observed.requests, baseline: observed.baseline, factor: observed.factor, at: now };
  const peakOf = (peak: AlertNumbers | null) => (peak === null || numbers.count > peak.count ? numbers : peak);

  switch (prev.phase) {
    case 'normal':
    case 'resolved':
    case 'cancelled': {
      if (!observed.breach || now < prev.cooldownUntil) {
        // A closed episode keeps its record (and its cooldown) until a new one starts.
        return { state: prev, transition: null };
      }
      const opened: AlertState = { ...INITIAL_STATE, cooldownUntil: prev.cooldownUntil, activeAt: now, lastBreachAt: now, latest: numbers, peak: numbers };
      if (timing.pendingForMs <= 0) return { state: { ...opened, phase: 'firing', firedAt: now }, transition: 'firing' };
      return { state: { ...opened, phase: 'pending' }, transition: 'pending' };
    }
    case 'pending': {
      if (!observed.breach) return { state: { ...prev, phase: 'cancelled', latest: numbers }, transition: 'cancelled' };
      const state: AlertState = { ...prev, lastBreachAt: now, latest: numbers, peak: peakOf(prev.peak) };
      if (now - (prev.activeAt ?? now) >= timing.pendingForMs) return { state: { ...state, phase: 'firing', firedAt: now }, transition: 'firing' };
      return { state, transition: null };
    }
    case 'firing': {
      if (observed.breach) return { state: { ...prev, lastBreachAt: now, latest: numbers, peak: peakOf(prev.peak) }, transition: null };
      if (now - (prev.lastBreachAt ?? now) >= timing.keepFiringForMs) {
        return { state: { ...prev, phase: 'resolved', resolvedAt: now, cooldownUntil: now + timing.cooldownMs, latest: numbers }, transition: 'resolved' };
      }
      return { state: { ...prev, latest: numbers }, transition: null };
    }
  }
}
