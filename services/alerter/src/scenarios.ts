/**
 * A seeded scenario generator for detection quality (bench/alerts.ts, tests): per-minute CSBS.9999
 * errors and requests per tenant over days, with known incidents, and a scorer that matches the
 * alerts a rule set produced against them.
 *
 * Traffic: `requestsPerMinute` on average, diurnal (×0.5 at 03:00 UTC to ×1.5 at 15:00), ×0.7 on
 * weekends, split over tenants by fixed shares, Poisson noise. Errors: Poisson(requests × errorRate ×
 * burst), burst ~ Gamma(mean 1, CV 1/√burstShape) per tenant and minute (over-dispersed, as real
 * failures come in small bursts).
 * Incidents, separated by 2-6 h of normal traffic:
 * - spike: the error rate of every tenant × 2-20 (log-uniform) for 2-30 minutes, minute-aligned;
 * - tenant_spike: the same in one tenant (one of the two largest: a small tenant's 3× is a handful of
 *   errors per minute, below the floor by design);
 * - ramp: the error rate climbs linearly to ×3-×6 over 1-3 h, then drops back (a slow degradation:
 *   an alert on it is right, none is not a miss);
 * - surge: traffic ×2-×5 for 20-60 minutes with a flat error rate (must not alert in rate mode).
 *
 * The `sparse` profile is the hard case of a quiet service: ~220 requests/min at 3 % CSBS.9999, so
 * 3-10 errors per minute over the day (weekends as busy as weekdays), and incidents 1-3 h apart:
 * - short spike: every tenant's error rate × 3-4 for 2-3 minutes (only two minutes together are
 *   significant at this baseline);
 * - step: the error rate × 2-2.5 for 10-30 minutes;
 * - surge: traffic ×2-×5 for 20-60 minutes with a flat error rate.
 */
import { DenseSeries } from './detect.js';
import type { Episode } from './backtest.js';
import { MINUTE_MS } from './rules.js';

export interface ScenarioOptions {
  seed: number;
  days: number;
  /** First minute, ms (default 2026-10-05T00:00Z, a Monday). */
  startMs?: number;
  requestsPerMinute?: number;
  /** CSBS.9999 per request outside incidents. */
  errorRate?: number;
  tenantShares?: readonly number[];
  /**
   * Extra-Poisson noise of the error counts: each minute's expected errors are multiplied by a
   * Gamma(shape, 1/shape) draw (mean 1, CV 1/√shape), as failures come in small bursts. 0 = pure Poisson.
   */
  burstShape?: number;
  /** Traffic on Saturdays and Sundays relative to weekdays (default 0.7; the sparse profile 1). */
  weekendFactor?: number;
  /** `mixed` (default): the incidents above; `sparse`: short 3× spikes, 2× steps and surges at a low baseline. */
  profile?: 'mixed' | 'sparse';
}

export type IncidentKind = 'spike' | 'tenant_spike' | 'step' | 'ramp' | 'surge';

export interface Incident {
  kind: IncidentKind;
  /** The tenant hit; null for all tenants. */
  tenant: string | null;
  /** Epoch minutes [start, end). */
  start: number;
  end: number;
  /** Error-rate multiplier (spike, ramp peak) or traffic multiplier (surge). */
  factor: number;
}

export interface Scenario {
  firstMinute: number;
  minutes: number;
  tenants: string[];
  overall: DenseSeries;
  byTenant: Map<string, DenseSeries>;
  incidents: Incident[];
  /**
   * The generator's true expected errors per minute without the incidents' error-rate factors (at
   * the minute's traffic, surges included), per tenant and overall: the baseline a detector that
   * knew the scenario would use (the bench's oracle reference).
   */
  trueBaseline: { overall: Float64Array; byTenant: Map<string, Float64Array> };
}

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gamma(shape, scale 1/shape): mean 1 (Marsaglia-Tsang, shape >= 1). */
function burstSampler(random: () => number, gauss: () => number, shape: number): () => number {
  if (shape <= 0) return () => 1;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  return () => {
    for (;;) {
      const x = gauss();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      const u = random();
      if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / shape;
    }
  };
}

function gaussSampler(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const u = Math.max(random(), 1e-12);
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function poissonSampler(random: () => number, gauss: () => number): (lambda: number) => number {
  return (lambda) => {
    if (lambda <= 0) return 0;
    if (lambda < 40) {
      // Knuth: exact, fine for small means.
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = random();
      while (p > limit) {
        k++;
        p *= random();
      }
      return k;
    }
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
  };
}

const DAY_MINUTES = 1_440;

export function generateScenario(options: ScenarioOptions): Scenario {
  const random = prng(options.seed);
  const gauss = gaussSampler(random);
  const poisson = poissonSampler(random, gauss);
  const burst = burstSampler(random, gauss, options.burstShape ?? 20);
  const firstMinute = Math.floor((options.startMs ?? Date.UTC(2026, 9, 5)) / MINUTE_MS);
  const minutes = options.days * DAY_MINUTES;
  const sparse = options.profile === 'sparse';
  const requestsPerMinute = options.requestsPerMinute ?? (sparse ? 220 : 8_000);
  const errorRate = options.errorRate ?? (sparse ? 0.03 : 0.004);
  const weekendFactor = options.weekendFactor ?? (sparse ? 1 : 0.7);
  const shares = options.tenantShares ?? [0.4, 0.25, 0.15, 0.12, 0.08];
  const tenants = shares.map((_, i) => `tenant-${String.fromCharCode(97 + i)}`);

  const incidents = sparse ? planSparseIncidents(random, firstMinute, minutes) : planIncidents(random, firstMinute, minutes, tenants);
  const trafficFactor = new Float64Array(minutes).fill(1);
  const rateFactor = tenants.map(() => new Float64Array(minutes).fill(1));
  for (const incident of incidents) {
    for (let m = incident.start; m < incident.end; m++) {
      const i = m - firstMinute;
      if (incident.kind === 'surge') trafficFactor[i] = incident.factor;
      else {
        const progress = incident.kind === 'ramp' ? Math.min(1, (m - incident.start + 1) / Math.max(1, incident.end - incident.start - 10)) : 1;
        const factor = 1 + (incident.factor - 1) * progress;
        tenants.forEach((tenant, t) => {
          if (incident.tenant === null || incident.tenant === tenant) (rateFactor[t] as Float64Array)[i] = factor;
        });
      }
    }
  }

  const overallErrors = new Float64Array(minutes);
  const overallRequests = new Float64Array(minutes);
  const byTenant = new Map<string, DenseSeries>();
  const tenantErrors = tenants.map(() => new Float64Array(minutes));
  const tenantRequests = tenants.map(() => new Float64Array(minutes));
  const overallBaseline = new Float64Array(minutes);
  const tenantBaselines = tenants.map(() => new Float64Array(minutes));
  for (let i = 0; i < minutes; i++) {
    const minute = firstMinute + i;
    const traffic = requestsPerMinute * diurnal(minute, weekendFactor) * (trafficFactor[i] ?? 1);
    tenants.forEach((_, t) => {
      const expectedRequests = traffic * (shares[t] ?? 0);
      const requests = poisson(expectedRequests);
      const errors = poisson(expectedRequests * errorRate * (rateFactor[t]?.[i] ?? 1) * burst());
      (tenantRequests[t] as Float64Array)[i] = requests;
      (tenantBaselines[t] as Float64Array)[i] = expectedRequests * errorRate;
      overallBaseline[i] = (overallBaseline[i] ?? 0) + expectedRequests * errorRate;
      (tenantErrors[t] as Float64Array)[i] = errors;
      overallRequests[i] = (overallRequests[i] ?? 0) + requests;
      overallErrors[i] = (overallErrors[i] ?? 0) + errors;
    });
  }
  tenants.forEach((tenant, t) => byTenant.set(tenant, new DenseSeries(firstMinute, tenantErrors[t] ?? [], tenantRequests[t] ?? [])));
  const trueBaseline = { overall: overallBaseline, byTenant: new Map(tenants.map((tenant, t) => [tenant, tenantBaselines[t] ?? new Float64Array(minutes)])) };
  return { firstMinute, minutes, tenants, overall: new DenseSeries(firstMinute, overallErrors, overallRequests), byTenant, incidents, trueBaseline };
}

/** Traffic shape: a daily sine (low at 03:00 UTC, high at 15:00) and (by default) quieter weekends. */
function diurnal(minute: number, weekendFactor: number): number {
  const hour = (minute % DAY_MINUTES) / 60;
  const day = Math.floor(minute / DAY_MINUTES);
  const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday: 0 = Sunday
  const weekend = weekday === 0 || weekday === 6 ? weekendFactor : 1;
  return (1 + 0.5 * Math.sin((2 * Math.PI * (hour - 9)) / 24)) * weekend;
}

function planIncidents(random: () => number, firstMinute: number, minutes: number, tenants: string[]): Incident[] {
  const incidents: Incident[] = [];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  // Two hours of history first: the baselines need it.
  let at = firstMinute + 120;
  const last = firstMinute + minutes;
  for (;;) {
    at += between(120, 360);
    const pick = random();
    let incident: Incident;
    if (pick < 0.5) {
      incident = { kind: 'spike', tenant: null, start: at, end: at + between(2, 30), factor: logUniform(random, 2, 20) };
    } else if (pick < 0.7) {
      incident = { kind: 'tenant_spike', tenant: tenants[between(0, 1)] ?? null, start: at, end: at + between(2, 30), factor: logUniform(random, 2, 20) };
    } else if (pick < 0.85) {
      incident = { kind: 'surge', tenant: null, start: at, end: at + between(20, 60), factor: 2 + random() * 3 };
    } else {
      incident = { kind: 'ramp', tenant: null, start: at, end: at + between(60, 180) + 10, factor: 3 + random() * 3 };
    }
    if (incident.end + 60 > last) break;
    incidents.push(incident);
    at = incident.end;
  }
  return incidents;
}

function planSparseIncidents(random: () => number, firstMinute: number, minutes: number): Incident[] {
  const incidents: Incident[] = [];
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  let at = firstMinute + 120;
  const last = firstMinute + minutes;
  for (;;) {
    at += between(60, 180);
    const pick = random();
    let incident: Incident;
    if (pick < 0.5) incident = { kind: 'spike', tenant: null, start: at, end: at + between(2, 3), factor: 3 + random() };
    else if (pick < 0.8) incident = { kind: 'step', tenant: null, start: at, end: at + between(10, 30), factor: 2 + random() / 2 };
    else incident = { kind: 'surge', tenant: null, start: at, end: at + between(20, 60), factor: 2 + random() * 3 };
    if (incident.end + 60 > last) break;
    incidents.push(incident);
    at = incident.end;
  }
  return incidents;
}

const logUniform = (random: () => number, lo: number, hi: number) => Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo)));

export interface Score {
  alerts: number;
  true_alerts: number;
  false_alerts: number;
  precision: number;
  spikes: number;
  spikes_3x: number;
  recall_3x: number;
  /** Steps of ≥ 2× lasting ≥ 10 minutes. */
  steps_2x: number;
  recall_2x_step: number;
  /** Any spike (2×-20×, any length) caught. */
  recall_all: number;
  /** From the end of the first spiking minute to the alert, median over the caught 3× spikes. */
  median_delay_s: number;
  p90_delay_s: number;
  false_on_surge: number;
}

/** Alerts that fire this long after an incident ended still belong to it (the last minute's evaluation). */
const GRACE_MS = 2 * MINUTE_MS;

function inScope(episode: Episode, incident: Incident): boolean {
  const tenant = episode.labels.tenant;
  return tenant === undefined || incident.tenant === null || incident.tenant === tenant;
}

function during(episode: Episode, incident: Incident): boolean {
  return episode.firedAt >= incident.start * MINUTE_MS && episode.firedAt <= incident.end * MINUTE_MS + GRACE_MS;
}

export function scoreEpisodes(incidents: readonly Incident[], episodes: readonly Episode[]): Score {
  const real = incidents.filter((i) => i.kind !== 'surge');
  const surges = incidents.filter((i) => i.kind === 'surge');
  let trueAlerts = 0;
  let falseOnSurge = 0;
  for (const episode of episodes) {
    if (real.some((incident) => inScope(episode, incident) && during(episode, incident))) trueAlerts++;
    else if (surges.some((incident) => during(episode, incident))) falseOnSurge++;
  }
  const spikes = incidents.filter((i) => i.kind === 'spike' || i.kind === 'tenant_spike');
  const qualifying = spikes.filter((i) => i.factor >= 3 && i.end - i.start >= 2);
  const firstAlert = (incident: Incident) => {
    const times = episodes.filter((e) => inScope(e, incident) && during(e, incident)).map((e) => e.firedAt);
    return times.length > 0 ? Math.min(...times) : null;
  };
  const delays: number[] = [];
  let caught3x = 0;
  for (const incident of qualifying) {
    const first = firstAlert(incident);
    if (first === null) continue;
    caught3x++;
    delays.push((first - (incident.start + 1) * MINUTE_MS) / 1000);
  }
  const caughtAll = spikes.filter((i) => firstAlert(i) !== null).length;
  const steps = incidents.filter((i) => i.kind === 'step' && i.factor >= 2 && i.end - i.start >= 10);
  const caughtSteps = steps.filter((i) => firstAlert(i) !== null).length;
  delays.sort((a, b) => a - b);
  const quantile = (q: number) => (delays.length === 0 ? Number.NaN : (delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Number.NaN));
  return {
    alerts: episodes.length,
    true_alerts: trueAlerts,
    false_alerts: episodes.length - trueAlerts,
    precision: episodes.length === 0 ? 1 : trueAlerts / episodes.length,
    spikes: spikes.length,
    spikes_3x: qualifying.length,
    recall_3x: qualifying.length === 0 ? 1 : caught3x / qualifying.length,
    steps_2x: steps.length,
    recall_2x_step: steps.length === 0 ? Number.NaN : caughtSteps / steps.length,
    recall_all: spikes.length === 0 ? 1 : caughtAll / spikes.length,
    median_delay_s: delays.length === 0 ? Number.NaN : (delays.length % 2 === 1 ? quantile(0.5) : ((delays[delays.length / 2 - 1] ?? 0) + (delays[delays.length / 2] ?? 0)) / 2),
    p90_delay_s: quantile(0.9),
    false_on_surge: falseOnSurge,
  };
}
