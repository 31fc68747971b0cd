/**
 * The codes of the window (read by @csbs-errors/query): top codes with their statuses and catalog
 * rows, the status mismatches, and the comparison with the previous window.
 */
import type { Catalog } from '@csbs-errors/catalog';
import { changeOf, iso, previousWindow, type CodeCount, type CodeEntry, type Comparison, type StatusCount, type StatusMismatch, type Window } from '@csbs-errors/query';

export function topCodes(counts: CodeCount[], statuses: StatusCount[], catalog: Catalog, total: number, limit: number): { codes: CodeEntry[]; other: { count: number; codes: number } | null } {
  const seen = counts.filter((c) => c.count > 0);
  const codes = seen.slice(0, limit).map((c): CodeEntry => {
    const mine = statuses.filter((s) => s.code === c.code);
    const byStatus = new Map<number, number>();
    for (const s of mine) byStatus.set(s.status, (byStatus.get(s.status) ?? 0) + s.count);
    const matchedRows = new Set(mine.filter((s) => s.known).map((s) => s.catalog_status));
    return {
      code: c.code,
      count: c.count,
      share: total > 0 ? c.count / total : 0,
      previous_count: c.previous_count,
      change: changeOf(c.count, c.previous_count),
      first_seen: iso(c.first_ms),
      last_seen: iso(c.last_ms),
      known: catalog.has(c.code),
      statuses: [...byStatus].map(([status, count]) => ({ status, count })).sort((a, b) => b.count - a.count || a.status - b.status),
      catalog: catalog.rows
        .filter((row) => row.code === c.code && matchedRows.has(row.status))
        .map((row) => ({ status: row.status, template: row.template, description: row.description, solution: row.solution, unused: row.unused })),
    };
  });
  const rest = seen.slice(limit);
  return { codes, other: rest.length > 0 ? { count: rest.reduce((sum, c) => sum + c.count, 0), codes: rest.length } : null };
}

export function statusMismatches(statuses: StatusCount[]): StatusMismatch[] {
  return statuses
    .filter((s) => s.status_mismatch)
    .map((s) => ({ code: s.code, status: s.status, catalog_status: s.catalog_status, count: s.count }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code) || a.status - b.status);
}

export function compare(counts: CodeCount[], window: Window, total: number, previousTotal: number, limit: number): Comparison {
  const previous = previousWindow(window);
  const byCode = (a: { code: string }, b: { code: string }) => a.code.localeCompare(b.code);
  return {
    previous_window: { from: iso(previous.from), to: iso(previous.to) },
    previous_errors: previousTotal,
    change: changeOf(total, previousTotal),
    new_codes: counts
      .filter((c) => c.count > 0 && c.previous_count === 0)
      .map((c) => ({ code: c.code, count: c.count }))
      .sort((a, b) => b.count - a.count || byCode(a, b))
      .slice(0, limit),
    gone_codes: counts
      .filter((c) => c.count === 0 && c.previous_count > 0)
      .map((c) => ({ code: c.code, previous_count: c.previous_count }))
      .sort((a, b) => b.previous_count - a.previous_count || byCode(a, b))
      .slice(0, limit),
    increases: counts
      .filter((c) => c.count > c.previous_count && c.previous_count > 0)
      .sort((a, b) => b.count - b.previous_count - (a.count - a.previous_count) || byCode(a, b))
      .slice(0, limit)
      .map((c) => ({ code: c.code, count: c.count, previous_count: c.previous_count, change: changeOf(c.count, c.previous_count) })),
  };
}
