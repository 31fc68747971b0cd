/**
 * The oracle: a reference, not a detector anyone can run. It is told the generator's true expected
 * errors per minute (`Scenario.trueBaseline`, nothing estimated) and judges the same window lengths
 * as the project's overall rule (1, 2, 5, 10 minutes) with the plain Poisson upper tail of each
 * window's count under that exact baseline, Bonferroni over the windows, no floor or factor. Its
 * threshold is then chosen on the scenarios themselves: the largest one whose precision reaches a
 * target (the project's precision on the same scenarios), so its recall is about what any detector
 * judging these windows could reach at that precision; the gap to ours is what estimating the
 * baseline from the trailing hour costs. Bench support (bench/alerts.ts).
 *
 * Episodes follow the built-in overall rule's timing (keep firing 5 minutes after the last breach,
 * then the cooldown), judged once a minute, 3 s after it ends. Groups: the overall series, and each
 * tenant's when the scenarios have incidents in one tenant (an oracle knows which tests pay off).
 */
import { poissonUpperTail, type AlertTiming, type DenseSeries, type Episode, type Incident, type Scenario } from '@csbs-errors/alerter';

const MINUTE = 60_000;
const SETTLE_MS = 3_000;
/** Breaches weaker than this per-window tail are never kept (the threshold search stays below). */
const LOOSEST_P = 1e-2;

/** A minute whose smallest window tail (over the windows) is at most LOOSEST_P. */
export interface OracleBreach {
  labels: Record<string, string>;
  minute: number;
  pValue: number;
  count: number;
  baseline: number;
}

/** Per minute of [fromMinute, toMinute), the smallest tail over the window lengths, kept when weak enough to matter. */
export function oracleBreaches(scenario: Scenario, windows: readonly number[], fromMinute: number, toMinute: number): OracleBreach[] {
  const groups: Array<{ labels: Record<string, string>; series: DenseSeries; baseline: Float64Array }> = [{ labels: {}, series: scenario.overall, baseline: scenario.trueBaseline.overall }];
  if (scenario.incidents.some((i) => i.tenant !== null)) {
    for (const tenant of scenario.tenants) {
      const series = scenario.byTenant.get(tenant);
      const baseline = scenario.trueBaseline.byTenant.get(tenant);
      if (series && baseline) groups.push({ labels: { tenant }, series, baseline });
    }
  }
  const longest = Math.max(...windows);
  const breaches: OracleBreach[] = [];
  for (const group of groups) {
    for (let m = Math.max(fromMinute, scenario.firstMinute + longest - 1); m < toMinute; m++) {
      let best: OracleBreach | null = null;
      for (const w of windows) {
        let count = 0;
        let expected = 0;
        for (let k = m - w + 1; k <= m; k++) {
          count += group.series.errorsAt(k);
          expected += group.baseline[k - scenario.firstMinute] ?? 0;
        }
        const pValue = poissonUpperTail(count, expected);
        if (pValue <= LOOSEST_P && (best === null || pValue < best.pValue)) best = { labels: group.labels, minute: m, pValue, count, baseline: expected };
      }
      if (best) breaches.push(best);
    }
  }
  return breaches;
}

/** The episodes the oracle fires at a per-window tail threshold (breaches in minute order per group). */
export function oracleEpisodes(breaches: readonly OracleBreach[], perWindowP: number, timing: AlertTiming): Episode[] {
  const episodes: Episode[] = [];
  const open = new Map<string, { episode: Episode; lastBreachAt: number }>();
  const cooldownUntil = new Map<string, number>();
  for (const breach of breaches) {
    if (breach.pValue > perWindowP) continue;
    const key = breach.labels.tenant ?? '';
    const at = (breach.minute + 1) * MINUTE + SETTLE_MS;
    const current = open.get(key);
    if (current && at - current.lastBreachAt <= timing.keepFiringForMs) {
      current.lastBreachAt = at;
      continue;
    }
    if (current) {
      // It resolved keepFiringFor after its last breach (evaluations fall on the same phase each minute).
      const resolvedAt = current.lastBreachAt + timing.keepFiringForMs;
      current.episode.resolvedAt = resolvedAt;
      cooldownUntil.set(key, resolvedAt + timing.cooldownMs);
      open.delete(key);
    }
    if (at < (cooldownUntil.get(key) ?? 0)) continue;
    const numbers = { count: breach.count, requests: 0, baseline: breach.baseline, factor: breach.count / Math.max(breach.baseline, 1), at };
    const episode: Episode = { rule: 'oracle', labels: breach.labels, activeAt: at, firedAt: at, resolvedAt: null, peak: numbers };
    episodes.push(episode);
    open.set(key, { episode, lastBreachAt: at });
  }
  return episodes;
}

/** Tail thresholds to try, loosest first: LOOSEST_P down to 1e-12, 20 per decade. */
export function thresholdsToTry(): number[] {
  const decades = Math.round(-Math.log10(LOOSEST_P));
  return Array.from({ length: (12 - decades) * 20 + 1 }, (_, i) => 10 ** -(decades + i / 20));
}

/** Mean true baseline errors per minute over an incident's minutes, in its scope. */
export function baselineAt(scenario: Scenario, incident: Incident): number {
  const baseline = incident.tenant === null ? scenario.trueBaseline.overall : scenario.trueBaseline.byTenant.get(incident.tenant);
  if (!baseline) return Number.NaN;
  let sum = 0;
  for (let m = incident.start; m < incident.end; m++) sum += baseline[m - scenario.firstMinute] ?? 0;
  return sum / Math.max(1, incident.end - incident.start);
}
