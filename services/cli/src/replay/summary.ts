/** What `replay` prints per file: the counts of a replay, or that the file was replayed before. */
import type { Fingerprint } from './fingerprint.js';
import type { ReplayedFile } from './ledger.js';
import type { ReplayCounts } from './replay.js';

const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
const byReason = (counts: Map<string, number>) =>
  counts.size === 0 ? '' : `  (${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([reason, n]) => `${reason} ${n}`).join(', ')})`;

export function renderSummary(file: string, print: Fingerprint, counts: ReplayCounts, retentionDays: number): string {
  const rows: Array<[string, number, string]> = [
    ['lines', counts.lines, ''],
    ['events', counts.events, ''],
    ['requests', counts.requests, ''],
    ['skipped', total(counts.skipped), byReason(counts.skipped)],
    ['dead', total(counts.dead), byReason(counts.dead)],
  ];
  const width = Math.max(...rows.map(([, n]) => String(n).length));
  const lines = [`replay ${file} (sha256 ${print.sha256.slice(0, 16)}…)`, ...rows.map(([name, n, reasons]) => `  ${name.padEnd(8)} ${String(n).padStart(width)}${reasons}`)];
  if (counts.deadLines.length > 0) {
    const more = total(counts.dead) > counts.deadLines.length ? ', …' : '';
    lines.push(`  dead records at line ${counts.deadLines.map((d) => `${d.line} (${d.reason})`).join(', ')}${more}`);
  }
  const added = counts.storedAfter - counts.storedBefore;
  const already = counts.events - added;
  lines.push(`  stored   ${added} new events in ${counts.chunks} chunk(s)${already > 0 ? `; ${already} were in the store already (skipped by their chunks' deduplication tokens)` : ''}`);
  if (counts.expiring > 0) {
    lines.push(`  warning: ${counts.expiring} events are older than RETENTION_DAYS=${retentionDays} and will be dropped by the store's TTL; replay archives with RETENTION_DAYS=0 to keep them`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderRecognised(file: string, prior: ReplayedFile): string {
  return (
    `replay ${file}: already replayed to the end on ${prior.replayed_at} (as ${prior.file}: ${prior.lines} lines, ${prior.events} events, ${prior.requests} requests); nothing stored.\n` +
    '  The store recognises the file by the SHA-256 of its content. --force puts it through again (chunks still in the deduplication window are skipped even then).\n'
  );
}
