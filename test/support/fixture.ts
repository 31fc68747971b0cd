/**
 * A deterministic replayed data set for the query API tests, and a plain-TypeScript oracle that
 * answers the same questions from the arrays (never from ClickHouse), so that a wrong query fails.
 *
 * Events: several known codes (CSBS.9999, CSBS.6006, both rows of CSBS.9009, CSBS.3001, the unused
 * CSBS.0002), unknown codes (CSBS.7777, KARBOR.itemNotFound, HTTP.502), four tenants, four
 * operations, a status mismatch, spread from 2026-11-17 22:00 to 2026-11-20 03:00 UTC with empty
 * hours and a whole empty day-part, timestamps at and around minute, hour and day boundaries, and
 * several events sharing one timestamp (for the cursor's tie-breaking). Request counts per minute for
 * every minute with errors, plus minutes with requests and no errors.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi, type BuildApiOptions } from '@csbs-errors/api';
import { createLogger, createMetricsRegistry } from '@csbs-errors/observability';
import { writeBatch, type ClickHouseClient, type RequestCountRow, type StoredEvent } from '@csbs-errors/store';
import { loadDefaultCatalog } from '@csbs-errors/catalog';

export const FIXTURE_START = Date.UTC(2026, 10, 17, 22, 0, 0);
export const FIXTURE_END = Date.UTC(2026, 10, 20, 3, 0, 0);
const MINUTE = 60_000;
const HOUR = 3_600_000;

export const TENANTS = ['t-alpha', 't-beta', 't-gamma', 't-delta'] as const;
export const OPERATIONS = ['create_backup', 'restore_backup', 'list_checkpoints', 'delete_checkpoint'] as const;

interface CodeSpec {
  code: string;
  status: number;
  /** Catalog row status (0: unknown code). */
  catalogStatus: number;
  message: (p: string[]) => string;
  params: string[][];
  weight: number;
}

const CODES: CodeSpec[] = [
  { code: 'CSBS.9999', status: 500, catalogStatus: 500, message: (p) => `${p[0]} failed`, params: [['backup'], ['restore'], ['replication']], weight: 30 },
  { code: 'CSBS.6006', status: 400, catalogStatus: 400, message: (p) => `Server (${p[0]}) status (${p[1]}) is not allowed to protect.`, params: [['srv-1', 'ERROR'], ['srv-2', 'SHUTOFF']], weight: 15 },
  { code: 'CSBS.9009', status: 403, catalogStatus: 403, message: () => 'User is unverified.', params: [[]], weight: 6 },
  { code: 'CSBS.9009', status: 400, catalogStatus: 400, message: () => 'The backup or replication space after reduction cannot be less than the used space.', params: [[]], weight: 4 },
  { code: 'CSBS.3001', status: 404, catalogStatus: 404, message: (p) => `Checkpoint_item (${p[0]}) is not found.`, params: [['ci-1'], ['ci-2'], ['ci-3'], ['ci-4']], weight: 8 },
  { code: 'CSBS.0002', status: 400, catalogStatus: 400, message: () => 'Volume of services from different storagetype', params: [[]], weight: 2 },
  { code: 'CSBS.7777', status: 500, catalogStatus: 0, message: () => 'something new', params: [[]], weight: 3 },
  { code: 'KARBOR.itemNotFound', status: 404, catalogStatus: 0, message: () => 'Item not found', params: [[]], weight: 4 },
  { code: 'HTTP.502', status: 502, catalogStatus: 0, message: () => '', params: [[]], weight: 3 },
];

/** mulberry32: a small seeded PRNG, so the fixtures are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hours [start, end) without any event (gaps for gap filling and for empty rollup ranges). */
export const GAPS: Array<[number, number]> = [
  [Date.UTC(2026, 10, 18, 4, 0), Date.UTC(2026, 10, 18, 7, 0)],
  [Date.UTC(2026, 10, 19, 13, 0), Date.UTC(2026, 10, 19, 14, 30)],
];

/** Instants placed on purpose at and around boundaries (minute, hour, day) used by the tests. */
export const EDGE_INSTANTS = [
  Date.UTC(2026, 10, 18, 0, 0, 0, 0),
  Date.UTC(2026, 10, 17, 23, 59, 59, 999),
  Date.UTC(2026, 10, 19, 0, 0, 0, 0),
  Date.UTC(2026, 10, 19, 0, 0, 0, 1),
  Date.UTC(2026, 10, 19, 12, 0, 0, 0),
  Date.UTC(2026, 10, 19, 12, 0, 29, 500),
  Date.UTC(2026, 10, 19, 12, 0, 30, 0),
  Date.UTC(2026, 10, 19, 12, 0, 30, 1),
  Date.UTC(2026, 10, 19, 11, 59, 59, 999),
  Date.UTC(2026, 10, 19, 18, 0, 15, 250),
  Date.UTC(2026, 10, 19, 18, 0, 44, 750),
  Date.UTC(2026, 10, 20, 2, 59, 59, 999),
];

function build(): { events: StoredEvent[]; requests: RequestCountRow[] } {
  const catalog = loadDefaultCatalog();
  const random = prng(20261127);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const totalWeight = CODES.reduce((s, c) => s + c.weight, 0);
  const pickCode = () => {
    let r = random() * totalWeight;
    for (const c of CODES) if ((r -= c.weight) < 0) return c;
    return CODES[0] as CodeSpec;
  };
  const offsets = [0, 0, 0];
  const events: StoredEvent[] = [];
  const make = (ts: number, index = 0, partitionChoice?: number): StoredEvent => {
    const spec = pickCode();
    const tenant = pick(TENANTS);
    const operation = spec.code === 'CSBS.3001' ? 'restore_backup' : pick(OPERATIONS);
    const params = pick(spec.params);
    const known = catalog.has(spec.code);
    // One in 25 known events carries another status than its row: a status mismatch.
    const mismatch = known && random() < 0.04;
    const status = mismatch ? 502 : spec.status;
    const row = known ? catalog.rows.find((r) => r.code === spec.code && r.status === spec.catalogStatus) : undefined;
    const partition = partitionChoice ?? Math.floor(random() * 3);
    const offset = index === 0 ? offsets[partition]! : offsets[partition]! - 1;
    if (index === 0) offsets[partition] = offset + 1;
    return {
      ts: new Date(ts).toISOString(),
      request_id: `req-${events.length}`,
      tenant,
      method: 'POST',
      path: `/v1/${tenant}/checkpoints`,
      route: '/v1/{project_id}/checkpoints',
      operation,
      status,
      code: spec.code,
      message: spec.message(params),
      params: row ? params : [],
      known,
      catalog_status: spec.catalogStatus,
      status_mismatch: mismatch,
      unused: row?.unused ?? false,
      description: row?.description ?? '',
      solution: row?.solution ?? '',
      gateway: pick(['apisix', 'kong', 'flat']),
      latency_ms: random() < 0.2 ? null : Math.round(random() * 5000) / 10,
      source_topic: 'gateway-logs',
      source_partition: partition,
      source_offset: String(offset),
      source_index: index,
    };
  };

  // The bulk: a Poisson-ish stream with a varying rate, skipping the gaps.
  let t = FIXTURE_START;
  while (t < FIXTURE_END) {
    const hour = new Date(t).getUTCHours();
    const meanGapMs = hour >= 8 && hour < 18 ? 40_000 : 110_000;
    t += Math.max(1, Math.floor(-Math.log(1 - random()) * meanGapMs));
    if (t >= FIXTURE_END) break;
    if (GAPS.some(([a, b]) => t >= a && t < b)) continue;
    events.push(make(t));
  }
  // Edge instants; the last one gets a second event from the same record (source_index 1) and two
  // more events on other partitions at the very same millisecond.
  for (const instant of EDGE_INSTANTS) events.push(make(instant));
  const tie = Date.UTC(2026, 10, 19, 12, 0, 30, 0);
  events.push(make(tie, 0, 0), make(tie, 1, 0), make(tie, 0, 1), make(tie, 0, 2));

  // Requests: every minute with errors gets its errors as requests of their status, plus successes;
  // some error-free minutes have requests too.
  const requests = new Map<string, RequestCountRow>();
  const addRequests = (minute: number, tenant: string, operation: string, status: number, n: number) => {
    const key = `${minute}|${tenant}|${operation}|${status}`;
    const row = requests.get(key);
    if (row) row.requests += n;
    else requests.set(key, { minute: new Date(minute).toISOString(), tenant, operation, status, requests: n });
  };
  for (const e of events) {
    const minute = Math.floor(Date.parse(e.ts) / MINUTE) * MINUTE;
    addRequests(minute, e.tenant, e.operation, e.status, 1);
    addRequests(minute, e.tenant, e.operation, 200, 1 + Math.floor(random() * 20));
  }
  for (let m = FIXTURE_START; m < FIXTURE_END; m += 7 * MINUTE) addRequests(m, pick(TENANTS), pick(OPERATIONS), 200, 5);
  return { events, requests: [...requests.values()] };
}

const built = build();
export const fixtureEvents: readonly StoredEvent[] = built.events;
export const fixtureRequests: readonly RequestCountRow[] = built.requests;

/** Writes the fixture in batches the way the ingest worker does (deduplication tokens included). */
export async function loadFixture(client: ClickHouseClient): Promise<void> {
  const size = 400;
  for (let i = 0; i < fixtureEvents.length; i += size) {
    await writeBatch(client, { token: `fixture:events:${i}`, events: fixtureEvents.slice(i, i + size), requestCounts: [] });
  }
  for (let i = 0; i < fixtureRequests.length; i += 2_000) {
    await writeBatch(client, { token: `fixture:requests:${i}`, events: [], requestCounts: fixtureRequests.slice(i, i + 2_000) });
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle: the same questions answered from the arrays.

export type Field = 'code' | 'status' | 'tenant' | 'operation';

export interface OracleFilters {
  tenant?: string[];
  code?: string[];
  status?: number[];
  operation?: string[];
}

export const tsOf = (e: StoredEvent) => Date.parse(e.ts);

export function select(from: number, to: number, filters: OracleFilters = {}): StoredEvent[] {
  return fixtureEvents.filter(
    (e) =>
      tsOf(e) >= from &&
      tsOf(e) < to &&
      (!filters.tenant?.length || filters.tenant.includes(e.tenant)) &&
      (!filters.code?.length || filters.code.includes(e.code)) &&
      (!filters.status?.length || filters.status.includes(e.status)) &&
      (!filters.operation?.length || filters.operation.includes(e.operation)),
  );
}

export interface OracleGroup {
  key: Record<string, string | number>;
  count: number;
  first: number;
  last: number;
}

export function groupEvents(events: readonly StoredEvent[], keys: readonly Field[]): Map<string, OracleGroup> {
  const groups = new Map<string, OracleGroup>();
  for (const e of events) {
    const key: Record<string, string | number> = {};
    for (const k of keys) key[k] = e[k];
    const id = JSON.stringify(key);
    const g = groups.get(id);
    const ts = tsOf(e);
    if (g) {
      g.count += 1;
      g.first = Math.min(g.first, ts);
      g.last = Math.max(g.last, ts);
    } else groups.set(id, { key, count: 1, first: ts, last: ts });
  }
  return groups;
}

/** Requests in [from, to) (minute rows whose minute lies inside), filtered by tenant and operation. */
export function requestsIn(from: number, to: number, filters: OracleFilters = {}): RequestCountRow[] {
  return fixtureRequests.filter((r) => {
    const m = Date.parse(r.minute);
    return m >= from && m < to && (!filters.tenant?.length || filters.tenant.includes(r.tenant)) && (!filters.operation?.length || filters.operation.includes(r.operation));
  });
}

export const HOUR_MS = HOUR;
export const MINUTE_MS = MINUTE;

/** The query API on a test store: quiet and without a rate limit unless `options` say otherwise. */
export function testApi(store: ClickHouseClient, options: Partial<BuildApiOptions> = {}): Promise<FastifyInstance> {
  return buildApi({ store, registry: createMetricsRegistry(), logger: createLogger('silent'), rateLimit: false, ...options });
}
