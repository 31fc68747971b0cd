/**
 * The spike rules peers publish, replayed over the same per-minute series as the project's detector
 * (bench/alerts.ts), each judged once per minute, `settle` after the minute ends (as ours), and
 * turned into the same episodes the scorer reads. They see the overall series (errors only: none of
 * them rescales by traffic). Not product code: a yardstick.
 *
 * - PostHog error tracking (cymbal's spike detection, `$error_tracking_issue_spiking`): clock-aligned
 *   5-minute buckets; the current (partial) bucket against the mean of the non-empty ones among the
 *   11 before it (12 kept, 1 h); spiking when current ≥ a floor (500 as shipped) and current > 10 ×
 *   that mean; then 10 minutes of cooldown (one event, no resolve).
 * - Sentry metric alert, "percent change" (comparison) type: count() over the last 5 minutes against
 *   the same 5 minutes one hour earlier (a comparison delta Sentry offers), critical above +200 %
 *   (3×); evaluated every minute, resolved when back under.
 * - Prometheus / Grafana: `sum(rate(errors[5m])) > k * avg_over_time(sum(rate(errors[5m]))[1h:1m])`
 *   with `for: 2m` at a 1-minute evaluation interval (firing once the expression held at three
 *   consecutive evaluations), resolved as soon as it does not hold (keep_firing_for 0).
 */
import type { DenseSeries, Episode } from '@csbs-errors/alerter';

const MINUTE = 60_000;
const SETTLE_MS = 3_000;

export interface PeerRule {
  name: string;
  /** Parameters and source, for the table in docs/alerting.md. */
  description: string;
  replay(series: DenseSeries, fromMinute: number, toMinute: number): Episode[];
}

function sum(series: DenseSeries, from: number, to: number): number {
  let total = 0;
  for (let m = from; m <= to; m++) total += series.errorsAt(m);
  return total;
}

const numbers = (count: number, baseline: number, at: number) => ({ count, requests: 0, baseline, factor: baseline > 0 ? count / baseline : 0, at });

/** Episodes from a per-minute condition: open when it starts holding (after `holdMinutes` more), close when it stops. */
function episodesOf(rule: string, fromMinute: number, toMinute: number, holds: (minute: number) => { breach: boolean; count: number; baseline: number }, holdMinutes: number): Episode[] {
  const episodes: Episode[] = [];
  let since: number | null = null;
  let open: Episode | null = null;
  for (let m = fromMinute; m < toMinute; m++) {
    const at = (m + 1) * MINUTE + SETTLE_MS;
    const judged = holds(m);
    if (!judged.breach) {
      if (open) open.resolvedAt = at;
      open = null;
      since = null;
      continue;
    }
    since ??= m;
    if (!open && m - since >= holdMinutes) {
      open = { rule, labels: {}, activeAt: (since + 1) * MINUTE + SETTLE_MS, firedAt: at, resolvedAt: null, peak: numbers(judged.count, judged.baseline, at) };
      episodes.push(open);
    } else if (open && judged.count > open.peak.count) open.peak = numbers(judged.count, judged.baseline, at);
  }
  return episodes;
}

export function posthogRule(floor: number): PeerRule {
  const bucket = 5;
  const history = 11;
  const multiplier = 10;
  const cooldownMinutes = 10;
  return {
    name: floor === 500 ? 'posthog' : `posthog_floor${floor}`,
    description: `PostHog error tracking: 5-min buckets, mean of the non-empty of the 11 previous, current ≥ ${floor} and > ${multiplier}×, ${cooldownMinutes} min cooldown`,
    replay(series, fromMinute, toMinute) {
      const episodes: Episode[] = [];
      let cooldownUntil = -Infinity;
      for (let m = fromMinute; m < toMinute; m++) {
        const at = (m + 1) * MINUTE + SETTLE_MS;
        const start = m - (((m % bucket) + bucket) % bucket);
        const current = sum(series, start, m);
        let total = 0;
        let nonEmpty = 0;
        for (let b = 1; b <= history; b++) {
          const count = sum(series, start - b * bucket, start - (b - 1) * bucket - 1);
          if (count > 0) {
            total += count;
            nonEmpty++;
          }
        }
        const baseline = nonEmpty > 0 ? total / nonEmpty : 0;
        if (current >= floor && current > baseline * multiplier && at >= cooldownUntil) {
          episodes.push({ rule: this.name, labels: {}, activeAt: at, firedAt: at, resolvedAt: at, peak: numbers(current, baseline, at) });
          cooldownUntil = at + cooldownMinutes * MINUTE;
        }
      }
      return episodes;
    },
  };
}

export function sentryChangeRule(windowMinutes: number, comparisonMinutes: number, factor: number): PeerRule {
  const name = `sentry_change_${windowMinutes}m_vs_${comparisonMinutes}m_ago`;
  return {
    name,
    description: `Sentry percent-change alert: count() over ${windowMinutes} min > +${Math.round((factor - 1) * 100)} % of the same window ${comparisonMinutes} min earlier`,
    replay(series, fromMinute, toMinute) {
      return episodesOf(name, fromMinute, toMinute, (m) => {
        const count = sum(series, m - windowMinutes + 1, m);
        const before = sum(series, m - comparisonMinutes - windowMinutes + 1, m - comparisonMinutes);
        return { breach: count > factor * before, count, baseline: before };
      }, 0);
    },
  };
}

export function prometheusRule(factor: number): PeerRule {
  const name = `prometheus_rate5m_gt_${factor}x_avg1h_for2m`;
  return {
    name,
    description: `Prometheus: sum(rate(errors[5m])) > ${factor} * avg_over_time(sum(rate(errors[5m]))[1h:1m]), for: 2m, 1-min evaluations`,
    replay(series, fromMinute, toMinute) {
      const rate5m = (m: number) => sum(series, m - 4, m) / 300;
      return episodesOf(name, fromMinute, toMinute, (m) => {
        const current = rate5m(m);
        let total = 0;
        // The subquery [1h:1m] holds 60 points, the current one included.
        for (let k = 0; k < 60; k++) total += rate5m(m - k);
        const average = total / 60;
        return { breach: current > factor * average, count: Math.round(current * 300), baseline: average * 300 };
      }, 2);
    },
  };
}

export const PEER_RULES: readonly PeerRule[] = [posthogRule(500), posthogRule(10), sentryChangeRule(5, 60, 3), prometheusRule(3), prometheusRule(2)];
