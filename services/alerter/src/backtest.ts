/**
 * Backtesting: the rules run over stored (or generated) history exactly as the evaluator would run
 * them live: one evaluation every `step`, aligned so that one falls `settle` after each minute ends,
 * each judging the newest complete window, through the same state machine. What comes out is the
 * list of alerts that would have paged, with their timing and numbers.
 */
import type { ClickHouseClient } from '@csbs-errors/store';
import { detect, paramsOf, type Detection, type MinuteSeries } from './detect.js';
import { historyMinutes, MINUTE_MS, timingOf, type Rule } from './rules.js';
import { loadSeries, type GroupSeries } from './series.js';
import { advance, INITIAL_STATE, type AlertNumbers, type AlertState } from './state.js';

/** Default delay after a minute ends before it is judged: ingest stores a batch within ~1 s. */
export const DEFAULT_SETTLE_MS = 3_000;

export interface Episode {
  rule: string;
  labels: Record<string, string>;
  activeAt: number;
  firedAt: number;
  /** null: still firing at the end of the range. */
  resolvedAt: number | null;
  peak: AlertNumbers;
}

/** The shape `alerts backtest` prints. */
export interface WouldBeAlert {
  rule: string;
  labels: Record<string, string>;
  starts_at: string;
  ends_at: string | null;
  peak: number;
  baseline: number;
  factor: number;
}

/** Evaluation instants in [from, to): every step, phased so that (t - settle) is a multiple of step. */
export function* evaluationTimes(from: number, to: number, stepMs: number, settleMs: number): Generator<number> {
  let t = Math.ceil((from - settleMs) / stepMs) * stepMs + settleMs;
  for (; t < to; t += stepMs) yield t;
}

/** The newest minute (epoch minute) that is complete and settled at `now`. */
export function newestCompleteMinute(now: number, settleMs: number): number {
  return Math.floor((now - settleMs) / MINUTE_MS) - 1;
}

/** Runs one rule over one group's series; returns the episodes that fired. */
export function replayGroup(rule: Rule, labels: Record<string, string>, series: MinuteSeries, from: number, to: number, settleMs = DEFAULT_SETTLE_MS): Episode[] {
  const params = paramsOf(rule);
  const timing = timingOf(rule);
  const episodes: Episode[] = [];
  let state: AlertState = INITIAL_STATE;
  let judged: { minute: number; detection: Detection } | undefined;
  for (const now of evaluationTimes(from, to, rule.step, settleMs)) {
    const minute = newestCompleteMinute(now, settleMs);
    if (judged?.minute !== minute) judged = { minute, detection: detect(series, minute, params) };
    const { state: next, transition } = advance(state, judged.detection, now, timing);
    if (transition === 'resolved') closeLast(episodes, next);
    if (transition === 'firing' && next.activeAt !== null && next.firedAt !== null && next.peak !== null) {
      episodes.push({ rule: rule.name, labels, activeAt: next.activeAt, firedAt: next.firedAt, resolvedAt: null, peak: next.peak });
    }
    if (next.phase === 'firing' && next.peak !== null) {
      const last = episodes[episodes.length - 1];
      if (last) last.peak = next.peak;
    }
    state = next;
  }
  return episodes;
}

function closeLast(episodes: Episode[], state: AlertState): void {
  const last = episodes[episodes.length - 1];
  if (last && last.resolvedAt === null) {
    last.resolvedAt = state.resolvedAt;
    if (state.peak) last.peak = state.peak;
  }
}

export function replayRule(rule: Rule, groups: readonly GroupSeries[], from: number, to: number, settleMs = DEFAULT_SETTLE_MS): Episode[] {
  return groups.flatMap((group) => replayGroup(rule, group.labels, group.series, from, to, settleMs));
}

export function toWouldBeAlert(episode: Episode): WouldBeAlert {
  return {
    rule: episode.rule,
    labels: episode.labels,
    starts_at: new Date(episode.firedAt).toISOString(),
    ends_at: episode.resolvedAt === null ? null : new Date(episode.resolvedAt).toISOString(),
    peak: episode.peak.count,
    baseline: round(episode.peak.baseline, 3),
    factor: round(episode.peak.factor, 2),
  };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Reads the history the rules need from the store and replays them over [from, to). */
export async function backtest(store: ClickHouseClient, rules: readonly Rule[], from: number, to: number, settleMs = DEFAULT_SETTLE_MS): Promise<WouldBeAlert[]> {
  const alerts: Episode[] = [];
  for (const rule of rules) {
    const firstMinute = Math.floor(from / MINUTE_MS) - historyMinutes(rule) - 1;
    const lastMinute = Math.floor(to / MINUTE_MS);
    const groups = await loadSeries(store, rule, [{ fromMinute: firstMinute, toMinute: lastMinute + 1 }]);
    alerts.push(...replayRule(rule, groups, from, to, settleMs));
  }
  alerts.sort((a, b) => a.firedAt - b.firedAt || a.rule.localeCompare(b.rule));
  return alerts.map(toWouldBeAlert);
}
