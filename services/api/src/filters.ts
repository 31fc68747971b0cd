/**
 * The filters every /v1 endpoint takes (`from`, `to`, `tenant`, `code`, `status`, `operation`), and
 * the SQL that reads error counts for a window exactly: whole days, hours and minutes from the
 * rollups, the partial minutes at either end from the raw events. Values are always bound, never
 * spliced; only names from fixed lists (tables, group fields) are written into the SQL text.
 */
import { z } from 'zod';
import { DAY_MS, HOUR_MS, MINUTE_MS, ceilTo, floorTo, parseInstant } from './time.js';
import { ApiProblem, ParameterError } from './problem.js';

export { ParameterError } from './problem.js';

const repeatable = <T extends z.ZodType>(item: T, expected: string) =>
  z
    .union([item, z.array(item).max(100)], { error: `expected ${expected}; repeat the parameter for more (at most 100)` })
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const timeText = z.string().min(1).max(64);
const name = z.string().min(1).max(128);

export const commonQuery = {
  from: timeText.optional().describe('ISO-8601 instant or relative (now-24h, now-15m, now-7d); default: `to` minus 24 h'),
  to: timeText.optional().describe('ISO-8601 instant or relative; default now'),
  tenant: repeatable(name, 'a tenant id of 1 to 128 characters').describe('tenant (project id); repeatable'),
  code: repeatable(name, 'an error code of 1 to 128 characters').describe('error code such as CSBS.9999; repeatable'),
  status: repeatable(z.coerce.number().int().min(100).max(599), 'an HTTP status between 100 and 599').describe('HTTP status; repeatable'),
  operation: repeatable(name, 'an operation name of 1 to 128 characters').describe('operation name such as restore_backup; repeatable'),
};

export interface Window {
  /** Milliseconds since the epoch, inclusive. */
  from: number;
  /** Milliseconds since the epoch, exclusive. */
  to: number;
}

export interface Filters {
  tenant: string[];
  code: string[];
  status: number[];
  operation: string[];
}

export const MAX_WINDOW_MS = 400 * DAY_MS;
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

export function resolveWindow(query: { from?: string | undefined; to?: string | undefined }, now = Date.now(), maxWindowMs = MAX_WINDOW_MS): Window {
  const to = query.to === undefined ? now : parseInstant(query.to, now);
  if (to === null) throw new ParameterError('to', 'expected an ISO-8601 instant or a relative time such as now-1h');
  if (to <= EARLIEST || to > LATEST) throw new ParameterError('to', 'must lie between 2000-01-01 and 2100-01-01');
  const from = query.from === undefined ? to - DAY_MS : parseInstant(query.from, now);
  if (from === null) throw new ParameterError('from', 'expected an ISO-8601 instant or a relative time such as now-24h');
  if (from < EARLIEST || from >= LATEST) throw new ParameterError('from', 'must lie between 2000-01-01 and 2100-01-01');
  if (from >= to) throw new ParameterError('from', 'must be before to');
  if (to - from > maxWindowMs) throw new ParameterError('from', `the window may span at most ${maxWindowMs / DAY_MS} days`);
  return { from, to };
}

/** What a request may see: all tenants, or the one tenant of its token. */
export interface Principal {
  /** Index of the token in the configured list (never the token itself); undefined without tokens. */
  id?: number;
  tenant?: string;
}

/**
 * The filters of a request with the token's tenant forced: a tenant token sees its own tenant only,
 * and asking for another one is a 403, not an empty answer.
 */
export function scopeFilters(filters: Filters, principal: Principal | undefined): Filters {
  const tenant = principal?.tenant;
  if (tenant === undefined) return { ...filters, tenant: [...new Set(filters.tenant)] };
  const others = filters.tenant.filter((t) => t !== tenant);
  if (others.length > 0) throw new ApiProblem('ERR_FORBIDDEN_TENANT', 'tenant: this token may only read its own tenant', { parameter: 'tenant' });
  return { ...filters, tenant: [tenant] };
}

export function filtersOf(query: Filters): Filters {
  return { tenant: query.tenant, code: query.code, status: query.status, operation: query.operation };
}

export type GroupField = 'code' | 'status' | 'tenant' | 'operation';
export const GROUP_FIELDS: readonly GroupField[] = ['code', 'status', 'tenant', 'operation'];

/** `group_by`: comma-separated group fields, each at most once. */
export function groupByParam(defaultValue: string) {
  return z
    .string()
    .max(200)
    .default(defaultValue)
    .transform((text, ctx) => {
      const fields = text
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== '');
      const unknown = fields.filter((f) => !(GROUP_FIELDS as readonly string[]).includes(f));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `unknown group field(s) ${unknown.join(', ')}; use any of ${GROUP_FIELDS.join(', ')}` });
        return z.NEVER;
      }
      // Fixed order, so that the SQL and the answer do not depend on how the caller spelled it.
      return GROUP_FIELDS.filter((f) => fields.includes(f));
    });
}

export interface BoundSql {
  sql: string;
  params: Record<string, unknown>;
}

/** WHERE clause for the filters; `prefix` keeps parameter names apart when a query uses it twice. */
export function filterSql(filters: Filters, prefix = 'f', fields: readonly GroupField[] = GROUP_FIELDS): BoundSql {
  const clauses: string[] = [];
  const params: Record<string, unknown> = {};
  const add = (field: GroupField, type: string, values: unknown[]) => {
    if (values.length === 0 || !fields.includes(field)) return;
    clauses.push(`${field} IN {${prefix}_${field}:Array(${type})}`);
    params[`${prefix}_${field}`] = values;
  };
  add('tenant', 'String', filters.tenant);
  add('code', 'String', filters.code);
  add('status', 'UInt16', filters.status);
  add('operation', 'String', filters.operation);
  return { sql: clauses.length > 0 ? clauses.join(' AND ') : '1', params };
}

export const DT = (param: string) => `fromUnixTimestamp64Milli({${param}:Int64}, 'UTC')`;

/** A rollup of `events`: counts per (unit, code, status, tenant, operation), unit-aligned in UTC. */
export interface Rollup {
  table: string;
  column: string;
  stepMs: number;
}

/** Coarsest first. All are fed by materialized views on `events` (migrations 0002 and 0004). */
export const ROLLUPS: readonly Rollup[] = [
  { table: 'error_counts_1d', column: 'day', stepMs: DAY_MS },
  { table: 'error_counts_1h', column: 'hour', stepMs: HOUR_MS },
  { table: 'error_counts_1m', column: 'minute', stepMs: MINUTE_MS },
];

export interface Segment {
  /** null: the raw events. */
  rollup: Rollup | null;
  from: number;
  to: number;
}

/**
 * Splits [from, to) into the coarsest aligned pieces: the whole days in the middle from the daily
 * rollup, the whole hours on either side of them from the hourly one, and so on down to the partial
 * minutes at the edges, which only the raw events can answer.
 */
export function planSegments(from: number, to: number, rollups: readonly Rollup[] = ROLLUPS): Segment[] {
  if (from >= to) return [];
  const [rollup, ...finer] = rollups;
  if (rollup === undefined) return [{ rollup: null, from, to }];
  const start = ceilTo(from, rollup.stepMs);
  const end = floorTo(to, rollup.stepMs);
  if (start >= end) return planSegments(from, to, finer);
  return [...planSegments(from, start, finer), { rollup, from: start, to: end }, ...planSegments(end, to, finer)];
}

export interface CountsOptions {
  /** Group columns to keep (others are summed away). */
  keys: readonly GroupField[];
  /** Adds `bucket` (UInt32, seconds since the epoch, aligned to this width); only rollups whose unit divides it are used. */
  bucketMs?: number;
  /** Adds first_seen and last_seen (DateTime64). */
  seen?: boolean;
  /** Parameter name prefix. */
  prefix: string;
  /** Which rollups may be used (tests and the benchmark pass [] to read the raw events only). */
  rollups?: readonly Rollup[];
}

/**
 * Rows (keys..., [bucket], count, [first_seen, last_seen]) of the error counts in the window.
 * A key may appear in several rows: callers sum again.
 */
export function errorCountsSource(window: Window, filters: Filters, options: CountsOptions): BoundSql {
  return windowedCounts([window], filters, options);
}

/**
 * The counts of several windows at once (e.g. a window and the one before it; disjoint, newest
 * first), each source table read once: rows (keys..., [bucket], [w], count, [first_seen,
 * last_seen]) where `w` (with two windows or more) is the index of the row's window. One SELECT per
 * source table over all the segments it answers, glued with UNION ALL: whole days, hours and minutes
 * from the rollups, the partial minutes at the edges from the raw events. Every aggregate is a plain
 * sum/min/max grouped by key columns or expressions of the time column, so that ClickHouse can answer
 * from the rollups' aggregate projections; rollup times are compared as DateTime (no per-row
 * conversion), raw times as DateTime64(3).
 */
export function windowedCounts(windows: readonly Window[], filters: Filters, options: CountsOptions): BoundSql {
  const { keys, bucketMs, prefix, seen = false } = options;
  const usable = (options.rollups ?? ROLLUPS).filter((r) => bucketMs === undefined || (r.stepMs <= bucketMs && bucketMs % r.stepMs === 0));
  const where = filterSql(filters, `${prefix}f`);
  const params: Record<string, unknown> = { ...where.params };
  if (bucketMs !== undefined) params[`${prefix}_bucket`] = bucketMs / 1000;
  const labelled = windows.length > 1;

  const byTable = new Map<string, { rollup: Rollup | null; ranges: Segment[]; windows: Set<number> }>();
  windows.forEach((w, i) => {
    for (const segment of planSegments(w.from, w.to, usable)) {
      const id = segment.rollup?.table ?? 'events';
      const entry = byTable.get(id) ?? { rollup: segment.rollup, ranges: [], windows: new Set<number>() };
      entry.ranges.push(segment);
      entry.windows.add(i);
      byTable.set(id, entry);
    }
  });

  let n = 0;
  /** The time column compared with an instant: DateTime64(3) for raw events, whole seconds (rounded up) for rollups. */
  const bound = (rollup: Rollup | null, ms: number) => {
    const name = `${prefix}_${n++}`;
    if (rollup === null) {
      params[name] = ms;
      return DT(name);
    }
    params[name] = Math.ceil(ms / 1000);
    return `toDateTime({${name}:UInt32}, 'UTC')`;
  };

  const selects: string[] = [];
  for (const { rollup, ranges, windows: present } of byTable.values()) {
    const column = rollup?.column ?? 'ts';
    const conditions = ranges.map((range) => `(${column} >= ${bound(rollup, range.from)} AND ${column} < ${bound(rollup, range.to)})`);
    const columns: string[] = [...keys];
    const groups: string[] = [...keys];
    if (bucketMs !== undefined) {
      columns.push(`intDiv(toUnixTimestamp(${column}), {${prefix}_bucket:UInt32}) * {${prefix}_bucket:UInt32} AS bucket`);
      groups.push('bucket');
    }
    if (labelled) {
      // Rows lie inside one of the windows (WHERE), which are disjoint and newest first: the first
      // window whose start is not after the row's time is its window. A rollup unit inside a window
      // starts at or after the window's start; one inside an older window ends at or before it.
      const indexes = [...present].sort((a, b) => a - b);
      const last = indexes.pop() ?? 0;
      const branches = indexes.map((i) => `${column} >= ${bound(rollup, windows[i]?.from ?? 0)}, ${i}`);
      columns.push(branches.length > 0 ? `toUInt8(multiIf(${branches.join(', ')}, ${last})) AS w` : `toUInt8(${last}) AS w`);
      groups.push('w');
    }
    columns.push(rollup ? 'sum(count) AS count' : 'count() AS count');
    if (seen) columns.push(rollup ? 'min(first_seen) AS first_seen, max(last_seen) AS last_seen' : 'min(ts) AS first_seen, max(ts) AS last_seen');
    selects.push(
      `SELECT ${columns.join(', ')} FROM ${rollup?.table ?? 'events'}
       WHERE (${conditions.join(' OR ')}) AND ${where.sql}${groups.length > 0 ? `\n       GROUP BY ${groups.join(', ')}` : ''}`,
    );
  }
  if (selects.length === 0) {
    // Empty windows: a source with the right columns and no rows.
    const columns: string[] = [...keys.map((k) => (k === 'status' ? 'toUInt16(0) AS status' : `'' AS ${k}`))];
    if (bucketMs !== undefined) columns.push('toUInt32(0) AS bucket');
    if (labelled) columns.push('toUInt8(0) AS w');
    columns.push('toUInt64(0) AS count');
    if (seen) columns.push("toDateTime64(0, 3, 'UTC') AS first_seen, toDateTime64(0, 3, 'UTC') AS last_seen");
    return { sql: `SELECT ${columns.join(', ')} WHERE 0`, params };
  }
  return { sql: selects.join('\nUNION ALL\n'), params };
}
