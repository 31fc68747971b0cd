/**
 * The demo's traffic model: who calls what, and how it ends. Most requests succeed; a share
 * (--error-share) fails with a catalog-shaped mix of CSBS codes, Karbor faults and gateway errors;
 * a few records belong to another service behind the same gateway (the extractor skips them). During
 * a spike CSBS.9999 ("%s failed") is `factor` times as likely, the other outcomes proportionally
 * less: the request rate stays what was asked for.
 */
import type { Catalog } from '@csbs-errors/catalog';
import { catalogError, catalogErrors, gatewayError, karborFault, systemError, type DemoError } from './errors.js';
import { RECORD_OF, type DemoRequest, type GatewayFormat } from './formats.js';
import type { Random } from './random.js';
import { SHAPES, fillPath, shapesOf, type Shape } from './shapes.js';

export interface Spike {
  /** Milliseconds after the start. */
  fromMs: number;
  toMs: number;
  factor: number;
}

export interface TrafficOptions {
  catalog: Catalog;
  /** Share of backup-service requests that fail (outside a spike). */
  errorShare: number;
  spike?: Spike;
}

/** Of the errors (weights sum to 1): CSBS.9999, other catalog codes, Karbor faults, the gateway's own. */
const SYSTEM_SHARE = 0.1;
const ERROR_KINDS = [
  { kind: 'system', weight: SYSTEM_SHARE },
  { kind: 'catalog', weight: 0.6 },
  { kind: 'karbor', weight: 0.15 },
  { kind: 'gateway', weight: 0.15 },
] as const;
const OTHER_SERVICE_SHARE = 0.05;
const FORMATS: ReadonlyArray<{ format: GatewayFormat; weight: number }> = [
  { format: 'apisix', weight: 0.4 },
  { format: 'kong', weight: 0.35 },
  { format: 'flat', weight: 0.25 },
];
/** APISIX and Kong batch records into arrays; a share of APISIX messages carry 2 or 3. */
const APISIX_BATCH_SHARE = 0.25;

const SUCCESS: Record<string, readonly number[]> = { GET: [200], POST: [200, 202], PUT: [200], DELETE: [204] };

export interface DemoMessage {
  value: string;
  records: number;
}

/** What was generated, for the command's summary. */
export interface TrafficStats {
  records: number;
  /** Backup-service records with status >= 400. */
  errors: number;
  system: number;
  systemInSpike: number;
}

export class Traffic {
  readonly stats: TrafficStats = { records: 0, errors: 0, system: 0, systemInSpike: 0 };
  readonly #tenants: Array<{ id: string; weight: number }>;
  readonly #catalogErrors: ReturnType<typeof catalogErrors>;

  constructor(
    private readonly random: Random,
    private readonly options: TrafficOptions,
  ) {
    // One busy tenant, a few regular ones, a long tail.
    this.#tenants = [8, 4, 3, 2, 1, 1, 1, 0.5].map((weight) => ({ id: random.hex(32), weight }));
    this.#catalogErrors = catalogErrors(options.catalog);
  }

  get tenants(): string[] {
    return this.#tenants.map((t) => t.id);
  }

  spikeActive(elapsedMs: number): boolean {
    const spike = this.options.spike;
    return spike !== undefined && elapsedMs >= spike.fromMs && elapsedMs < spike.toMs;
  }

  /** One gateway message (one record, or an APISIX batch of a few) at `ts`, `elapsedMs` after the start. */
  message(ts: number, elapsedMs: number): DemoMessage {
    const { format } = this.random.weighted(FORMATS);
    const count = format === 'apisix' && this.random.next() < APISIX_BATCH_SHARE ? 2 + this.random.int(2) : 1;
    const records = Array.from({ length: count }, () => RECORD_OF[format](this.request(ts, elapsedMs), this.random));
    return { value: JSON.stringify(count === 1 ? records[0] : records), records: count };
  }

  request(ts: number, elapsedMs: number): DemoRequest {
    const random = this.random;
    const requestId = `req-${random.uuid()}`;
    const latencyMs = random.latency(180);
    if (random.next() < OTHER_SERVICE_SHARE) {
      this.stats.records++;
      const tenant = random.hex(32);
      return { ts, method: 'GET', path: `/v2.1/${tenant}/servers/detail`, status: 200, body: undefined, latencyMs, requestId, service: 'ecs', host: 'ecs.eu-de.example.com' };
    }
    const tenant = random.weighted(this.#tenants).id;
    const error = this.outcome(elapsedMs);
    this.count(error, elapsedMs);
    const candidates = error && error.operations.length > 0 ? shapesOf(error.operations) : [];
    const shape: Shape = random.weighted(candidates.length > 0 ? candidates : SHAPES);
    return {
      ts,
      method: shape.method,
      path: fillPath(shape.route, tenant, random),
      ...(shape.body !== undefined ? { requestBody: shape.body } : {}),
      status: error?.status ?? random.pick(SUCCESS[shape.method] ?? [200]),
      body: error ? error.body : undefined,
      latencyMs: error?.status === 504 ? 60_000 : latencyMs,
      requestId,
      service: 'csbs',
      host: 'csbs.eu-de.example.com',
    };
  }

  private count(error: DemoError | undefined, elapsedMs: number): void {
    this.stats.records++;
    if (error === undefined) return;
    this.stats.errors++;
    if (error.system) {
      this.stats.system++;
      if (this.spikeActive(elapsedMs)) this.stats.systemInSpike++;
    }
  }

  /** The error of a backup-service request, or undefined for a success. */
  private outcome(elapsedMs: number): DemoError | undefined {
    const random = this.random;
    const spike = this.options.spike;
    if (spike !== undefined && this.spikeActive(elapsedMs)) {
      // P(9999) goes from p to min(1, p * factor): draw the extra share first, the usual mix after.
      const p = this.options.errorShare * SYSTEM_SHARE;
      const extra = (Math.min(1, p * spike.factor) - p) / (1 - p);
      if (random.next() < extra) return systemError(random);
    }
    if (random.next() >= this.options.errorShare) return undefined;
    switch (random.weighted(ERROR_KINDS).kind) {
      case 'system':
        return systemError(random);
      case 'catalog':
        return catalogError(random.weighted(this.#catalogErrors), random);
      case 'karbor':
        return karborFault(random);
      case 'gateway':
        return gatewayError(random);
    }
  }
}
