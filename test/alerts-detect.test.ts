/**
 * The detector (pure, per-minute series) and the rules file: Poisson tails against known values,
 * the robust baseline, count and rate modes (a traffic surge with a flat error rate does not breach
 * in rate mode), the floor, cold start, seasonality; and the detection quality on generated
 * scenarios (precision, recall of 3× spikes, delay, surges).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_RULES,
  DenseSeries,
  RulesError,
  detect,
  generateScenario,
  loadRules,
  paramsOf,
  parseRules,
  poissonUpperTail,
  replayRule,
  robustBaseline,
  scoreEpisodes,
  type DetectionParams,
} from '@csbs-errors/alerter';

const FIRST = Math.floor(Date.UTC(2026, 9, 5, 10, 0) / 60_000);
const params = (overrides: Partial<DetectionParams> = {}): DetectionParams => ({
  ...paramsOf(parseRules([{ name: 'T', codes: ['CSBS.9999'] }])[0]!),
  ...overrides,
});

/** 90 minutes: `errors[i]`/`requests[i]` from the arrays, the last minute replaced by `last`. */
function series(errorsPerMinute: number[], requestsPerMinute: number[]): DenseSeries {
  return new DenseSeries(FIRST, errorsPerMinute, requestsPerMinute);
}
const repeat = <T = number>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
/** A fixed noisy-looking baseline around 10 errors per minute (values 6..14). */
const noisyTen = (i: number) => 10 + ((i * 7) % 9) - 4;

test('poissonUpperTail matches known values', () => {
  // P(X >= k) for X ~ Poisson(lambda), from exact sums.
  assert.ok(Math.abs(poissonUpperTail(1, 1) - (1 - Math.exp(-1))) < 1e-12);
  assert.ok(Math.abs(poissonUpperTail(3, 1) - 0.08030139707139415) < 1e-12);
  assert.ok(Math.abs(poissonUpperTail(20, 10) - 0.0034543419758567) < 1e-12);
  assert.ok(Math.abs(poissonUpperTail(15, 5) - 0.000226253676176680) < 1e-12);
  assert.equal(poissonUpperTail(0, 3), 1);
  assert.ok(poissonUpperTail(200, 100) < 1e-15);
  assert.ok(Math.abs(poissonUpperTail(100, 100) - 0.5132987982791486) < 1e-9);
});

test('robust baseline: median and MAD ignore a past spike; the inlier mean is not biased low', () => {
  const samples = [...repeat(55, noisyTen), 200, 180, 190, 210, 205];
  const { centre, spread, baseline } = robustBaseline(samples);
  assert.equal(centre, 10);
  assert.ok(spread >= Math.sqrt(10) && spread < 6, `spread ${spread}`);
  assert.ok(Math.abs(baseline - 55 * 10 / 55) < 0.6, `baseline ${baseline} leaves the spike out`);
  // Small Poisson-like counts: the median (1) would say 1, the inlier mean says ~1.5.
  assert.equal(robustBaseline([1, 2, 1, 2, 1, 2, 0, 3, 1, 2]).baseline, 1.5);
});

test('count mode: a 6× minute breaches; a 1.5× minute, or one below the floor, does not', () => {
  const p = params({ method: 'count' });
  const base = repeat(90, noisyTen);
  const requests = repeat(90, () => 1_000);
  const spike = detect(series([...base.slice(0, 89), 60], requests), FIRST + 89, p);
  assert.equal(spike.breach, true);
  assert.equal(spike.count, 60);
  assert.ok(Math.abs(spike.baseline - 10) < 1, `baseline ${spike.baseline}`);
  assert.ok(spike.factor > 5 && spike.factor < 7);
  assert.ok(spike.pValue < 1e-12);
  assert.equal(spike.basis, 'count');
  assert.equal(detect(series([...base.slice(0, 89), 15], requests), FIRST + 89, p).breach, false);
  // Sparse series: 9 errors against a baseline near 0 is below the floor of 10.
  const quiet = repeat(90, (i) => (i % 20 === 0 ? 1 : 0));
  const nine = detect(series([...quiet.slice(0, 89), 9], requests), FIRST + 89, p);
  assert.equal(nine.breach, false);
  assert.ok(nine.factor >= 9, 'the factor alone would have paged');
  assert.equal(detect(series([...quiet.slice(0, 89), 12], requests), FIRST + 89, p).breach, true);
});

test('rate mode: a traffic surge with a flat error rate does not breach; the same errors at flat traffic do', () => {
  const p = params({ method: 'rate' });
  const base = repeat(89, noisyTen);
  const requests = repeat(89, () => 2_000);
  // Traffic ×4 and errors ×4: the error rate is unchanged.
  const surge = detect(series([...base, 40], [...requests, 8_000]), FIRST + 89, p);
  assert.equal(surge.basis, 'rate');
  assert.equal(surge.breach, false);
  assert.ok(Math.abs(surge.baseline - 40) < 4, `baseline scaled to the traffic: ${surge.baseline}`);
  assert.ok(surge.factor < 1.2);
  const spike = detect(series([...base, 40], [...requests, 2_000]), FIRST + 89, p);
  assert.equal(spike.breach, true);
  assert.ok(spike.factor > 3.5);
  // The same surge in count mode pages: why the default rules use rates.
  assert.equal(detect(series([...base, 40], [...requests, 8_000]), FIRST + 89, params({ method: 'count' })).breach, true);
});

test('rate mode: too little history with requests is a cold start (no alert); no request counts at all falls back to counts', () => {
  const p = params({ method: 'rate', minSamples: 10 });
  const errors = [...repeat(85, () => 0), 10, 10, 10, 10, 80];
  const fresh = detect(series(errors, [...repeat(85, () => 0), 1_000, 1_000, 1_000, 1_000, 1_000]), FIRST + 89, p);
  assert.equal(fresh.basis, 'none');
  assert.equal(fresh.breach, false);
  const noRequests = detect(series([...repeat(89, noisyTen), 80], repeat(90, () => 0)), FIRST + 89, p);
  assert.equal(noRequests.basis, 'count');
  assert.equal(noRequests.breach, true);
});

test('a window of several minutes sums them, and the baseline windows never overlap it', () => {
  const p = params({ method: 'count', windowMinutes: 5, lookbackMinutes: 60 });
  const errors = [...repeat(85, noisyTen), 30, 30, 30, 30, 30];
  const result = detect(series(errors, repeat(90, () => 1_000)), FIRST + 89, p);
  assert.equal(result.count, 150);
  assert.equal(result.samples, 60);
  assert.ok(Math.abs(result.baseline - 50) < 3, `baseline ${result.baseline}`);
  assert.equal(result.breach, true);
});

test('daily seasonality compares with the same time on previous days', () => {
  const days = 3;
  const minutes = days * 1_440 + 1;
  const first = Math.floor(Date.UTC(2026, 9, 5) / 60_000);
  // Every day a busy hour at 09:00 with ~40 errors per minute, ~5 otherwise.
  const errors = repeat(minutes, (i) => ((i % 1_440) >= 540 && (i % 1_440) < 600 ? 40 + (i % 5) : 5 + (i % 3)));
  const s = new DenseSeries(first, errors, repeat(minutes, () => 0));
  const at = first + 2 * 1_440 + 545; // day 3, 09:05
  const trailing = detect(s, at, params({ method: 'count' }));
  assert.equal(trailing.breach, true, 'the trailing hour does not know the busy hour');
  const seasonal = detect(s, at, params({ method: 'count', seasonality: 'daily', seasons: 2, seasonWidthMinutes: 5 }));
  assert.equal(seasonal.breach, false);
  assert.equal(seasonal.samples, 22);
  assert.ok(seasonal.baseline > 35);
});

test('rules: defaults, durations, validation messages that name the field', () => {
  assert.deepEqual(DEFAULT_RULES.map((r) => [r.name, r.groupBy, r.minCount, r.method, r.step, r.window]), [
    ['CSBS9999Spike', [], 10, 'rate', 10_000, 60_000],
    ['CSBS9999TenantSpike', ['tenant'], 15, 'rate', 10_000, 60_000],
  ]);
  const [rule] = parseRules({ rules: [{ name: 'x', codes: ['CSBS.9999'], step: '2s', window: '5m', pendingFor: 30, baseline: { lookback: '2h' } }] });
  assert.equal(rule?.step, 2_000);
  assert.equal(rule?.window, 300_000);
  assert.equal(rule?.pendingFor, 30_000);
  assert.equal(rule?.baseline.lookback, 7_200_000);
  assert.equal(rule?.keepFiringFor, 120_000);

  const dir = mkdtempSync(join(tmpdir(), 'csbs-rules-'));
  const write = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  assert.equal(loadRules(undefined), DEFAULT_RULES);
  assert.equal(loadRules(write('ok.json', JSON.stringify([{ name: 'a', codes: ['CSBS.9999'] }])))[0]?.name, 'a');
  assert.throws(() => loadRules(write('bad.json', JSON.stringify([{ name: 'a', codes: ['CSBS.9999'], window: '30s' }]))), (e: Error) => e instanceof RulesError && /0\.window: expected whole minutes/.test(e.message));
  assert.throws(() => loadRules(write('dup.json', JSON.stringify([{ name: 'a', codes: ['X'] }, { name: 'a', codes: ['Y'] }]))), /rule names must be unique/);
  assert.throws(() => loadRules(write('typo.json', JSON.stringify([{ name: 'a', codes: ['X'], minFactr: 3 }]))), /minFactr/);
  assert.throws(() => loadRules(write('text.json', 'not json')), /not JSON/);
  assert.throws(() => loadRules(join(dir, 'missing.json')), /cannot read rules file/);
});

test('detection quality on two generated weeks: precision and recall of 3× spikes >= 0.95, alerts within a step, none on surges', () => {
  const scenario = generateScenario({ seed: 7, days: 14 });
  const from = scenario.firstMinute * 60_000;
  const to = (scenario.firstMinute + scenario.minutes) * 60_000;
  const [overall, perTenant] = DEFAULT_RULES as [(typeof DEFAULT_RULES)[0], (typeof DEFAULT_RULES)[0]];
  const episodes = [
    ...replayRule(overall, [{ labels: {}, series: scenario.overall }], from, to),
    ...replayRule(perTenant, scenario.tenants.map((tenant) => ({ labels: { tenant }, series: scenario.byTenant.get(tenant)! })), from, to),
  ];
  const score = scoreEpisodes(scenario.incidents, episodes);
  assert.ok(score.spikes_3x >= 25, `enough spikes to judge: ${JSON.stringify(score)}`);
  assert.ok(score.precision >= 0.95, JSON.stringify(score));
  assert.ok(score.recall_3x >= 0.95, JSON.stringify(score));
  assert.ok(score.median_delay_s <= 10, JSON.stringify(score));
  assert.equal(score.false_on_surge, 0, JSON.stringify(score));
});

/** A fixed baseline around 5 errors per minute (3..7) at 170 requests per minute. */
const noisyFive = (i: number) => 5 + ((i * 7) % 5) - 2;

test('a 2-minute 3× spike at 5 errors per minute: the built-in rules see it at its second minute, one window alone never does', () => {
  const builtIn = paramsOf(DEFAULT_RULES[0]!);
  const oneWindow = { ...builtIn, longWindowMinutes: [] };
  const requests = repeat(90, () => 170);
  const errors = [...repeat(88, noisyFive), 15, 15];
  const s = series(errors, requests);
  const first = detect(s, FIRST + 88, builtIn);
  assert.equal(first.breach, false, `one minute at 15 is not enough: ${JSON.stringify(first)}`);
  const second = detect(s, FIRST + 89, builtIn);
  assert.equal(second.breach, true, JSON.stringify(second));
  assert.equal(second.windowMinutes, 2);
  assert.equal(second.count, 30);
  assert.ok(Math.abs(second.baseline - 10) < 2, `baseline of two minutes: ${second.baseline}`);
  assert.equal(detect(s, FIRST + 89, oneWindow).breach, false, 'the per-minute tail alone misses it');
  // The same two minutes during a traffic surge ×3 with a flat error rate: no breach.
  const surge = series(errors, [...requests.slice(0, 88), 510, 510]);
  assert.equal(detect(surge, FIRST + 89, builtIn).breach, false);
});

test('a 2× step at 5 errors per minute: the longer windows see it within ten minutes, the per-minute test does not', () => {
  const builtIn = paramsOf(DEFAULT_RULES[0]!);
  const requests = repeat(100, () => 170);
  const errors = [...repeat(90, noisyFive), ...repeat(10, (i) => Math.round(2.2 * noisyFive(i)))];
  const s = series(errors, requests);
  const breaches = repeat(10, (i) => detect(s, FIRST + 90 + i, builtIn));
  const first = breaches.findIndex((d) => d.breach);
  assert.ok(first >= 0, `the step is seen: ${JSON.stringify(breaches.map((d) => [d.count, d.windowMinutes, d.pValue]))}`);
  assert.ok((breaches[first]?.windowMinutes ?? 0) > 1, `over a longer window: ${JSON.stringify(breaches[first])}`);
  const single = { ...builtIn, longWindowMinutes: [] };
  assert.equal(repeat(10, (i) => detect(s, FIRST + 90 + i, single)).some((d) => d.breach), false);
});

test('detection quality on a generated sparse week (3-10 errors per minute, short 3× spikes, 2× steps, surges)', () => {
  const scenario = generateScenario({ seed: 11, days: 7, profile: 'sparse' });
  const from = scenario.firstMinute * 60_000;
  const to = (scenario.firstMinute + scenario.minutes) * 60_000;
  const [overall, perTenant] = DEFAULT_RULES as [(typeof DEFAULT_RULES)[0], (typeof DEFAULT_RULES)[0]];
  const episodes = [
    ...replayRule(overall, [{ labels: {}, series: scenario.overall }], from, to),
    ...replayRule(perTenant, scenario.tenants.map((tenant) => ({ labels: { tenant }, series: scenario.byTenant.get(tenant)! })), from, to),
  ];
  const score = scoreEpisodes(scenario.incidents, episodes);
  assert.ok(score.spikes_3x >= 30 && score.steps_2x >= 15, `enough incidents to judge: ${JSON.stringify(score)}`);
  assert.ok(score.recall_3x >= 0.85, JSON.stringify(score));
  assert.ok(score.recall_2x_step >= 0.8, JSON.stringify(score));
  assert.ok(score.precision >= 0.95, JSON.stringify(score));
  assert.ok(score.median_delay_s <= 65, JSON.stringify(score));
  assert.equal(score.false_on_surge, 0, JSON.stringify(score));
});
