/**
 * The detector: a pure function of per-minute series. It answers "is the newest complete window a
 * spike?" with the numbers behind the answer. Design (docs/alerting.md has the reasoning):
 *
 * 1. Baseline samples: the same-sized windows of the trailing `lookback` (or, seasonal, the same time
 *    of day/week ± `seasonWidth` on previous `seasons` days/weeks). In rate mode each sample is
 *    rescaled to the current traffic, `errors_j × requests_now / requests_j`, so a sample says "how
 *    many errors that window's error rate would give now"; windows without requests carry no rate and
 *    are skipped (fewer than minSamples left: cold start, no alert). A window without any request
 *    counts (request counting missing) is judged on plain counts.
 * 2. Robust centre and spread: median and MAD (× 1.4826); the spread never goes below the Poisson
 *    spread √median, so a flat series does not make every wiggle significant.
 * 3. Baseline = mean of the samples within 3 spreads of the median: outliers (earlier spikes) are
 *    dropped, and unlike the median it is not biased low for small Poisson counts.
 * 4. A breach needs all of: count ≥ floor, count ≥ factor × baseline, count > median + k × spread,
 *    and a Poisson upper tail of the count under the baseline ≤ maxPValue, quasi-Poisson: when the
 *    samples are over-dispersed (spread² > baseline: failures come in bursts) count and baseline are
 *    both divided by the dispersion index spread² / baseline first.
 * 5. Several window lengths are judged together (the rule's window and its longer windows, 2, 3, 5
 *    and 10 minutes by default), each against its own baseline of same-sized windows, the tail's
 *    significance split between them (Bonferroni: maxPValue / number of windows). One minute at 3×
 *    a baseline of 5 errors is noise; two such minutes together are not, and a 2× step only shows
 *    over many minutes. The shortest breaching window is reported.
 */
import { MINUTE_MS } from './rules.js';

export interface DetectionParams {
  /** The shortest window. */
  windowMinutes: number;
  /** Longer windows judged as well (those not longer than windowMinutes are ignored). */
  longWindowMinutes: readonly number[];
  method: 'rate' | 'count';
  lookbackMinutes: number;
  seasonality: 'none' | 'daily' | 'weekly';
  seasons: number;
  seasonWidthMinutes: number;
  minSamples: number;
  minCount: number;
  minFactor: number;
  maxPValue: number;
  madThreshold: number;
}

/** Per-minute counts addressed by epoch minute (ms / 60 000). Minutes without data read 0. */
export interface MinuteSeries {
  errorsAt(minute: number): number;
  requestsAt(minute: number): number;
}

export interface Detection {
  breach: boolean;
  /** Errors in the window. */
  count: number;
  /** Requests in the window (0: not known). */
  requests: number;
  /** Expected errors in the window (errors per window at the current traffic, in rate mode). */
  baseline: number;
  /** count / baseline (baseline at least MIN_EXPECTED). */
  factor: number;
  /** P(X ≥ count) for X ~ Poisson(baseline). */
  pValue: number;
  /** median + k × spread of the samples. */
  threshold: number;
  samples: number;
  basis: 'rate' | 'count' | 'none';
  /** The window these numbers are about (minutes). */
  windowMinutes: number;
}

/** Below this many expected errors per window the tail test would call anything a spike. */
export const MIN_EXPECTED = 1;
const MAD_TO_SIGMA = 1.4826;
const INLIER_SPREADS = 3;

export function paramsOf(rule: {
  window: number;
  longWindows: readonly number[];
  method: 'rate' | 'count';
  baseline: { lookback: number; seasonality: 'none' | 'daily' | 'weekly'; seasons: number; seasonWidth: number; minSamples: number };
  minCount: number;
  minFactor: number;
  maxPValue: number;
  madThreshold: number;
}): DetectionParams {
  return {
    windowMinutes: rule.window / MINUTE_MS,
    longWindowMinutes: rule.longWindows.map((w) => w / MINUTE_MS),
    method: rule.method,
    lookbackMinutes: rule.baseline.lookback / MINUTE_MS,
    seasonality: rule.baseline.seasonality,
    seasons: rule.baseline.seasons,
    seasonWidthMinutes: rule.baseline.seasonWidth / MINUTE_MS,
    minSamples: rule.baseline.minSamples,
    minCount: rule.minCount,
    minFactor: rule.minFactor,
    maxPValue: rule.maxPValue,
    madThreshold: rule.madThreshold,
  };
}

/** Last minutes of the baseline windows for the window ending at `endMinute`. */
export function sampleWindowEnds(endMinute: number, p: DetectionParams): number[] {
  const ends: number[] = [];
  if (p.seasonality === 'none') {
    // Windows that end before the current window starts: no overlap with what is being judged.
    const latest = endMinute - p.windowMinutes;
    for (let end = latest; end > latest - p.lookbackMinutes; end--) ends.push(end);
    return ends;
  }
  const period = p.seasonality === 'daily' ? 1_440 : 10_080;
  for (let season = 1; season <= p.seasons; season++) {
    const centre = endMinute - season * period;
    for (let offset = -p.seasonWidthMinutes; offset <= p.seasonWidthMinutes; offset++) ends.push(centre + offset);
  }
  return ends;
}

function windowSum(read: (minute: number) => number, end: number, minutes: number): number {
  let sum = 0;
  for (let m = end - minutes + 1; m <= end; m++) sum += read(m);
  return sum;
}

/** Sums of the windows ending at `ends`; trailing (contiguous) windows through one prefix sum. */
function windowSums(read: (minute: number) => number, ends: readonly number[], minutes: number): number[] {
  if (ends.length === 0) return [];
  const lo = Math.min(...ends) - minutes + 1;
  const hi = Math.max(...ends);
  // Seasonal ends are far apart: summing each window reads fewer minutes.
  if (hi - lo + 1 > ends.length * minutes) return ends.map((end) => windowSum(read, end, minutes));
  const prefix = new Float64Array(hi - lo + 2);
  for (let m = lo; m <= hi; m++) prefix[m - lo + 1] = (prefix[m - lo] ?? 0) + read(m);
  return ends.map((end) => (prefix[end - lo + 1] ?? 0) - (prefix[end - minutes + 1 - lo] ?? 0));
}

/** The window lengths judged, shortest first. */
export function windowsOf(p: DetectionParams): number[] {
  return [p.windowMinutes, ...[...new Set(p.longWindowMinutes)].filter((w) => w > p.windowMinutes).sort((a, b) => a - b)];
}

/**
 * Judges every window length ending at `endMinute`, each at maxPValue / (number of windows); returns
 * the shortest breaching window's detection, or the shortest window's when none breaches.
 */
export function detect(series: MinuteSeries, endMinute: number, p: DetectionParams): Detection {
  const windows = windowsOf(p);
  const maxPValue = p.maxPValue / windows.length;
  let shortest: Detection | undefined;
  for (const windowMinutes of windows) {
    const detection = detectWindow(series, endMinute, { ...p, windowMinutes, maxPValue });
    if (detection.breach) return detection;
    shortest ??= detection;
  }
  return shortest as Detection;
}

function detectWindow(series: MinuteSeries, endMinute: number, p: DetectionParams): Detection {
  const errorsAt = (m: number) => series.errorsAt(m);
  const requestsAt = (m: number) => series.requestsAt(m);
  const count = windowSum(errorsAt, endMinute, p.windowMinutes);
  const requests = windowSum(requestsAt, endMinute, p.windowMinutes);
  const ends = sampleWindowEnds(endMinute, p);

  let basis: Detection['basis'] = 'count';
  let samples: number[] = [];
  if (p.method === 'rate' && requests > 0) {
    // Windows with requests are the observed history; too few of them is a cold start (a fresh
    // store, a new tenant): no baseline rather than a baseline of zeros.
    basis = 'rate';
    const sampleErrors = windowSums(errorsAt, ends, p.windowMinutes);
    windowSums(requestsAt, ends, p.windowMinutes).forEach((sampleRequests, i) => {
      if (sampleRequests > 0) samples.push(((sampleErrors[i] ?? 0) * requests) / sampleRequests);
    });
  } else {
    // Count mode, or no request counts for the window at all: errors alone (minutes without rows are 0).
    samples = windowSums(errorsAt, ends, p.windowMinutes);
  }

  if (samples.length < p.minSamples) {
    return { breach: false, count, requests, baseline: 0, factor: 0, pValue: 1, threshold: Number.POSITIVE_INFINITY, samples: samples.length, basis: 'none', windowMinutes: p.windowMinutes };
  }
  const { centre, spread, baseline } = robustBaseline(samples);
  const expected = Math.max(baseline, MIN_EXPECTED);
  const factor = count / expected;
  // Quasi-Poisson: when the samples vary more than Poisson (bursty failures), both the count and
  // the baseline are divided by the dispersion index before the tail test.
  const dispersion = Math.max(1, (spread * spread) / expected);
  const pValue = poissonUpperTail(count / dispersion, expected / dispersion);
  const threshold = centre + p.madThreshold * spread;
  const breach = count >= p.minCount && factor >= p.minFactor && pValue <= p.maxPValue && count > threshold;
  return { breach, count, requests, baseline, factor, pValue, threshold, samples: samples.length, basis, windowMinutes: p.windowMinutes };
}

/** Median, robust spread (MAD × 1.4826, at least √median) and the mean of the inliers. */
export function robustBaseline(samples: readonly number[]): { centre: number; spread: number; baseline: number } {
  const centre = median(samples);
  const mad = MAD_TO_SIGMA * median(samples.map((x) => Math.abs(x - centre)));
  const spread = Math.max(mad, Math.sqrt(Math.max(centre, MIN_EXPECTED)));
  let sum = 0;
  let n = 0;
  for (const x of samples) {
    if (Math.abs(x - centre) <= INLIER_SPREADS * spread) {
      sum += x;
      n++;
    }
  }
  return { centre, spread, baseline: n > 0 ? sum / n : centre };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * P(X ≥ k) for X ~ Poisson(lambda): the regularized lower incomplete gamma P(k, lambda). A fractional
 * k (quasi-Poisson, scaled counts) uses the same continuous function.
 */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  return regularizedGammaP(k, lambda);
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] ?? 0;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] ?? 0) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function regularizedGammaP(a: number, x: number): number {
  const logPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // Series: converges fast below the mean, and keeps small tails accurate (no 1 - q cancellation).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(logPrefix));
  }
  // Continued fraction for Q = 1 - P (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.max(0, 1 - Math.exp(logPrefix) * h);
}

/** Dense per-minute arrays starting at `firstMinute` (generators, backtests). */
export class DenseSeries implements MinuteSeries {
  constructor(
    readonly firstMinute: number,
    readonly errors: ArrayLike<number>,
    readonly requests: ArrayLike<number>,
  ) {}
  errorsAt(minute: number): number {
    return this.errors[minute - this.firstMinute] ?? 0;
  }
  requestsAt(minute: number): number {
    return this.requests[minute - this.firstMinute] ?? 0;
  }
}

/** Sparse per-minute counts (what the store returns: only minutes that have rows). */
export class SparseSeries implements MinuteSeries {
  readonly errors = new Map<number, number>();
  readonly requests = new Map<number, number>();
  addErrors(minute: number, n: number): void {
    this.errors.set(minute, (this.errors.get(minute) ?? 0) + n);
  }
  addRequests(minute: number, n: number): void {
    this.requests.set(minute, (this.requests.get(minute) ?? 0) + n);
  }
  errorsAt(minute: number): number {
    return this.errors.get(minute) ?? 0;
  }
  requestsAt(minute: number): number {
    return this.requests.get(minute) ?? 0;
  }
}
