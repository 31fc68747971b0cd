/**
 * Error counts for a window, exactly: whole days, hours and minutes from the rollups, the partial
 * minutes at either end from the raw events. Which rollup answers a piece is the planner's choice:
 * the smallest one that has every column the request groups or filters by (see ROLLUPS). Values
 * are always bound, never spliced; only names and numbers from fixed lists (tables, group fields,
 * units) are written into the SQL text.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, ceilTo, floorTo } from './time.js';
import { NO_FILTERS, type Filters, type Window } from './window.js';

export type GroupField = 'code' | 'status' | 'tenant' | 'operation';
export const GROUP_FIELDS: readonly GroupField[] = ['code', 'status', 'tenant', 'operation'];

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

/** A rollup of `events`: counts (and first/last seen) per unit of time and per `dims`, unit-aligned in UTC. */
export interface Rollup {
  table: string;
  column: string;
  stepMs: number;
  /** The group columns it keeps; a request may use it when it groups and filters by these only. */
  dims: readonly RollupColumn[];
  /** The table holds several units told apart by its `unit` column (seconds); this rollup is the rows of one. */
  unitColumn: boolean;
  /**
   * Its primary key leads with this column (after the unit), so that the rows of one value lie
   * together: it is chosen only for requests that filter by it (without the filter a read would
   * take whole units).
   */
  leading?: GroupField;
}

/**
 * The condition that keeps a source's rows with their time in any of the ranges [from, to): a
 * rollup's (its unit's, in a table of several units; the unit is tested once for all the ranges) or,
 * for null, the raw events'. Bounds are SQL expressions; no ranges keep no rows.
 */
export function rollupRange(rollup: Rollup | null, ranges: ReadonlyArray<{ from: string; to: string }>): string {
  if (ranges.length === 0) return '0';
  const column = rollup?.column ?? 'ts';
  const inRanges = ranges.map(({ from, to }) => `${column} >= ${from} AND ${column} < ${to}`).join(') OR (');
  return rollup?.unitColumn ? `(unit = ${rollup.stepMs / 1000} AND ((${inRanges})))` : `((${inRanges}))`;
}

/** Group columns, and what the code page counts by: catalog_status (the catalog row an event matched) and the template parameter values. */
export type RollupColumn = GroupField | 'catalog_status' | 'params';

const ALL: readonly RollupColumn[] = ['code', 'status', 'tenant', 'operation'];
const CODE: readonly RollupColumn[] = ['code', 'status', 'catalog_status'];
const BY_TENANT: readonly RollupColumn[] = ['tenant'];
const TENANT: readonly RollupColumn[] = ['tenant', 'code', 'status'];
const FOR_CODE: readonly RollupColumn[] = ['code', 'tenant', 'status', 'catalog_status'];
const OPERATION: readonly RollupColumn[] = ['operation', 'code', 'status'];
const PARAMS: readonly RollupColumn[] = ['code', 'params'];

/**
 * The tables of migrations 0010-0013, smallest first (and, of two that could answer, the one
 * ordered by a filter first): each holds every unit of UNITS, told apart by its `unit` column.
 */
const ALL_UNIT_TABLES: ReadonlyArray<readonly [string, readonly RollupColumn[], GroupField?]> = [
  ['error_counts_code', CODE],
  ['error_counts_by_tenant', BY_TENANT],
  ['error_counts_for_tenant', TENANT, 'tenant'],
  ['error_counts_for_code', FOR_CODE, 'code'],
  ['error_counts_tenant', TENANT],
  ['error_counts_operation', OPERATION],
  ['error_counts_params', PARAMS],
];
const UNITS = [DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS];
/** The full rollups of migrations 0002 and 0004, one table per unit (none per second). */
const FULL_TABLES = new Map<number, readonly [string, string]>([[DAY_MS, ['error_counts_1d', 'day']], [HOUR_MS, ['error_counts_1h', 'hour']], [MINUTE_MS, ['error_counts_1m', 'minute']]]);

/**
 * Every rollup, each fed by a materialized view on `events` (migrations 0002, 0004, 0010-0013).
 * Per unit, smallest first: by code and status (a few dozen rows per unit), by tenant alone (a few
 * hundred), by tenant with code and status (ordered by tenant first, for requests filtered by
 * tenant; with catalog_status too and ordered by code first, for requests filtered by code; ordered
 * by time first, for the others), by operation with code and status, by code and
 * parameter values (only requests that count by params can use it), then the full one by all four
 * columns (per day, hour and minute), which answers anything.
 * The planner's choice is the same set of dimensions at every unit, so a request it can answer
 * without the full rollups reads one table (and raw events for the parts of seconds at the
 * window's ends, if any).
 */
export const ROLLUPS: readonly Rollup[] = UNITS.flatMap((stepMs): Rollup[] => {
  const full = FULL_TABLES.get(stepMs);
  return [
    ...ALL_UNIT_TABLES.map(([table, dims, leading]) => ({ table, column: 't', stepMs, dims, unitColumn: true, ...(leading ? { leading } : {}) })),
    ...(full ? [{ table: full[0], column: full[1], stepMs, dims: ALL, unitColumn: false }] : []),
  ];
});

/** The rollups of migrations 0002 and 0004 only (by all four columns): what a store had before 0008. */
export const FULL_ROLLUPS: readonly Rollup[] = ROLLUPS.filter((r) => r.dims === ALL);

/** The columns a request needs from a source: its group keys and the fields it filters by. */
export function neededColumns(keys: readonly RollupColumn[], filters: Filters): RollupColumn[] {
  const needed = new Set<RollupColumn>(keys);
  for (const field of GROUP_FIELDS) if (filters[field].length > 0) needed.add(field);
  return [...needed];
}

/**
 * The planner: per unit of time (coarsest first), the first (smallest) rollup that has every
 * needed column, among those whose leading column, if any, `filters` restrict. Units without one are
 * skipped (their pieces go to a finer unit, at worst to the raw events).
 */
export function planRollups(needed: readonly RollupColumn[], rollups: readonly Rollup[] = ROLLUPS, filters: Filters = NO_FILTERS): Rollup[] {
  const chosen = new Map<number, Rollup>();
  for (const rollup of rollups) {
    if (chosen.has(rollup.stepMs)) continue;
    if (rollup.leading !== undefined && filters[rollup.leading].length === 0) continue;
    if (needed.every((c) => rollup.dims.includes(c))) chosen.set(rollup.stepMs, rollup);
  }
  return [...chosen.values()].sort((a, b) => b.stepMs - a.stepMs);
}

export interface Segment {
  /** null: the raw events. */
  rollup: Rollup | null;
  from: number;
  to: number;
}

/**
 * Splits [from, to) into the coarsest aligned pieces: the whole days in the middle from the daily
 * rollup, the whole hours on either side of them from the hourly one, and so on down to the pieces
 * no rollup unit fits (parts of a second, or of a minute when no finer rollup has the columns),
 * which only the raw events can answer.
 */
export function planSegments(from: number, to: number, rollups: readonly Rollup[]): Segment[] {
  if (from >= to) return [];
  const [rollup, ...finer] = rollups;
  if (rollup === undefined) return [{ rollup: null, from, to }];
  const start = ceilTo(from, rollup.stepMs);
  const end = floorTo(to, rollup.stepMs);
  if (start >= end) return planSegments(from, to, finer);
  return [...planSegments(from, start, finer), { rollup, from: start, to: end }, ...planSegments(end, to, finer)];
}

/**
 * A source's ranges grouped by unit, coarsest first, with the ranges of a unit that touch joined
 * into one (the seconds, say, on either side of the instant where a window ends and the next
 * begins): each unit is one condition and each range one more term of it for the engine to plan,
 * at a fraction of a millisecond each.
 */
function rangesByUnit(ranges: readonly Segment[]): Array<{ rollup: Rollup | null; ranges: Segment[] }> {
  const units = new Map<number, { rollup: Rollup | null; ranges: Segment[] }>();
  for (const range of [...ranges].sort((a, b) => (b.rollup?.stepMs ?? 0) - (a.rollup?.stepMs ?? 0) || a.from - b.from)) {
    const step = range.rollup?.stepMs ?? 0;
    const unit = units.get(step) ?? { rollup: range.rollup, ranges: [] };
    const last = unit.ranges[unit.ranges.length - 1];
    if (last !== undefined && last.to === range.from) unit.ranges[unit.ranges.length - 1] = { ...last, to: range.to };
    else unit.ranges.push(range);
    units.set(step, unit);
  }
  return [...units.values()];
}

export interface CountsOptions {
  /** Group columns to keep (others are summed away). */
  keys: readonly RollupColumn[];
  /** Adds `bucket` (UInt32, seconds since the epoch, aligned to this width); only rollups whose unit divides it are used. */
  bucketMs?: number;
  /** Adds first_seen and last_seen (DateTime64). */
  seen?: boolean;
  /** Parameter name prefix. */
  prefix: string;
  /** Which rollups the planner may choose from (tests and the benchmark pass [] to read the raw events only). */
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
 * source table over all the segments it answers (one condition per unit and range, touching ranges
 * of a unit joined), glued with UNION ALL: whole days, hours, minutes and seconds from the rollups,
 * what is left at the edges from the raw events. Every aggregate is a plain sum/min/max grouped by
 * key columns or expressions of the time column, so that ClickHouse can answer from the rollups'
 * aggregate projections; rollup times are compared with whole seconds (no per-row conversion), raw
 * times with DateTime64(3).
 */
export function windowedCounts(windows: readonly Window[], filters: Filters, options: CountsOptions): BoundSql {
  const { keys, bucketMs, prefix, seen = false } = options;
  const candidates = (options.rollups ?? ROLLUPS).filter((r) => bucketMs === undefined || (r.stepMs <= bucketMs && bucketMs % r.stepMs === 0));
  const usable = planRollups(neededColumns(keys, filters), candidates, filters);
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
    // Compared as a number of seconds: the same order as the DateTime, one function fewer per
    // bound for the engine's planner, whose cost grows with the size of the condition.
    params[name] = Math.ceil(ms / 1000);
    return `{${name}:UInt32}`;
  };

  const selects: string[] = [];
  for (const { rollup, ranges, windows: present } of byTable.values()) {
    const column = rollup?.column ?? 'ts';
    const conditions = rangesByUnit(ranges).map((unit) => rollupRange(unit.rollup, unit.ranges.map((range) => ({ from: bound(unit.rollup, range.from), to: bound(unit.rollup, range.to) }))));
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
    const empty = (k: RollupColumn) => (k === 'status' || k === 'catalog_status' ? `toUInt16(0) AS ${k}` : k === 'params' ? 'CAST([], \'Array(String)\') AS params' : `'' AS ${k}`);
    const columns: string[] = keys.map(empty);
    if (bucketMs !== undefined) columns.push('toUInt32(0) AS bucket');
    if (labelled) columns.push('toUInt8(0) AS w');
    columns.push('toUInt64(0) AS count');
    if (seen) columns.push("toDateTime64(0, 3, 'UTC') AS first_seen, toDateTime64(0, 3, 'UTC') AS last_seen");
    return { sql: `SELECT ${columns.join(', ')} WHERE 0`, params };
  }
  return { sql: selects.join('\nUNION ALL\n'), params };
}
