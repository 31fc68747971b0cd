/** The report as a markdown document: the same sections and numbers as the JSON, for humans. */
import type { Breakdown, CodeEntry, EventRef, PostmortemReport, ResourceKind } from '@csbs-errors/query';
import { RESOURCE_KINDS } from './resources.js';

export function renderMarkdown(report: PostmortemReport): string {
  const sections = [header(report), summary(report), timeline(report), topCodes(report), unknownAndMismatches(report), groups(report), resources(report.resources), comparison(report)];
  return `${sections.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// formatting

/** An ISO instant as `2026-11-28 00:55:53.132` (all times in the report are UTC). */
const time = (value: string) => value.replace('T', ' ').replace(/(?:\.000)?Z$/, '');
const count = (n: number) => n.toLocaleString('en-US');
const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio >= 0.1 || ratio === 0 ? 1 : 2)} %`;

function change(current: number, previous: number, ratio: number | null): string {
  if (ratio === null) return current > 0 ? 'new' : '–';
  return `${ratio >= 0 ? '+' : ''}${(ratio * 100).toFixed(0)} %`;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days > 0 ? `${days} d` : '', hours > 0 ? `${hours} h` : '', rest > 0 ? `${rest} min` : ''].filter((p) => p !== '').join(' ');
}

/** Text for a table cell or an inline quote: one line, no pipes, bounded. */
function cell(text: string, max = 120): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const bounded = oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
  return bounded.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

/** Inline code; backticks inside are doubled around. */
const code = (text: string) => (text.includes('`') ? `\`\` ${cell(text)} \`\`` : `\`${cell(text)}\``);

/** A column of a table; numbers are right-aligned. */
type Column = string | { title: string; numeric: true };
const num = (title: string): Column => ({ title, numeric: true });

function table(columns: Column[], rows: string[][]): string {
  const titles = columns.map((c) => (typeof c === 'string' ? c : c.title));
  const rules = columns.map((c) => (typeof c === 'string' ? '---' : '---:'));
  return [`| ${titles.join(' | ')} |`, `|${rules.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// sections

function header(report: PostmortemReport): string {
  const { window, filters } = report;
  const span = Date.parse(window.to) - Date.parse(window.from);
  const chosen = (Object.entries(filters) as Array<[string, Array<string | number>]>).filter(([, values]) => values.length > 0);
  const filterText = chosen.length === 0 ? 'all tenants, codes, statuses and operations' : chosen.map(([name, values]) => `${name} ${values.map((v) => code(String(v))).join(', ')}`).join('; ');
  return [
    `# Postmortem: CSBS errors ${time(window.from)} – ${time(window.to)} UTC`,
    '',
    `Window [${window.from}, ${window.to}) (${duration(span)}), ${filterText}. All times UTC. Generated ${report.generated_at}.`,
  ].join('\n');
}

function summary(report: PostmortemReport): string {
  const s = report.summary;
  const r = s.requests;
  const rate = r.rate === null ? 'no requests recorded' : `error rate ${percent(r.rate)} (${count(r.errors)} errors in the whole minutes ${time(r.window.from)} – ${time(r.window.to)})`;
  return [
    '## Summary',
    '',
    table(
      ['', ''],
      [
        ['Errors', `**${count(s.errors)}** (previous window: ${count(s.previous_errors)}, ${change(s.errors, s.previous_errors, s.change)})`],
        ['Requests', `${count(r.requests)}, ${rate}`],
        ['Codes', `${count(s.codes)}, of which ${count(s.unknown_codes)} not in the catalog (${count(s.unknown_code_errors)} errors)`],
        ['Status mismatches', `${count(s.status_mismatch_errors)} errors with another status than the catalog's`],
        ['Tenants hit', count(s.tenants)],
        ['Operations hit', count(s.operations)],
      ],
    ),
  ].join('\n');
}

function eventLine(label: string, event: EventRef | null): string {
  if (event === null) return `- **${label}**: none`;
  const message = event.message === '' ? '' : `: “${cell(event.message, 160)}”`;
  return `- **${label}** ${time(event.ts)}: ${code(event.code)} (${event.status}), tenant ${code(event.tenant)}, ${code(event.operation)}${message}`;
}

function timeline(report: PostmortemReport): string {
  const t = report.timeline;
  const peak = t.peak_minute;
  const lines = ['## Timeline', '', eventLine('First error', t.first_error)];
  lines.push(peak === null ? '- **Peak minute**: none' : `- **Peak minute** ${time(peak.minute)}: ${count(peak.errors)} errors, top code ${code(peak.top_code)} (${count(peak.top_code_errors)})`);
  lines.push(eventLine('Last error', t.last_error));
  if (!t.alerts.available) lines.push(`- **Alerts**: not available: ${t.alerts.note ?? 'no alerts table'}`);
  else if (t.alerts.items.length === 0) lines.push(`- **Alerts**: none fired in the window${t.alerts.note ? ` (${t.alerts.note})` : ''}`);
  else {
    lines.push(`- **Alerts fired** (${t.alerts.items.length}${t.alerts.note ? `; ${t.alerts.note}` : ''}):`);
    for (const a of t.alerts.items) {
      const until = a.resolved_at === null ? `still ${a.state}` : `${a.state} ${time(a.resolved_at)}`;
      lines.push(`  - ${time(a.fired_at)} ${code(a.rule)}${a.group === '' ? '' : ` ${code(a.group)}`} (${a.severity}), ${until}; peak ${count(a.peak_count)} errors at ${time(a.peak_at)}`);
    }
  }
  const points = t.series.points;
  const max = Math.max(0, ...points.map((p) => p.errors));
  if (max > 0) {
    const width = 40;
    lines.push('', `Errors per ${t.series.interval}:`, '', '```');
    for (const p of points) lines.push(`${time(p.ts).slice(0, 16)} ${'█'.repeat(Math.ceil((p.errors / max) * width))}${p.errors > 0 ? ` ${p.errors}` : ''}`);
    lines.push('```');
  }
  return lines.join('\n');
}

function codeDetails(entry: CodeEntry): string[] {
  if (entry.catalog.length === 0) return [`- ${code(entry.code)}: not in the catalog.`];
  return entry.catalog.map((row) => {
    const unused = row.unused ? ' *(marked “Not used currently” by the vendor)*' : '';
    return `- ${code(entry.code)} (${row.status}) ${code(row.template)}${unused}\n  - Description: ${cell(row.description, 400)}\n  - Solution: ${cell(row.solution, 400)}`;
  });
}

function topCodes(report: PostmortemReport): string {
  const { codes, other } = report.top_codes;
  if (codes.length === 0) return '## Top codes\n\nNo errors in the window.';
  const rows = codes.map((c) => [
    code(c.code),
    count(c.count),
    percent(c.share),
    count(c.previous_count),
    change(c.count, c.previous_count, c.change),
    c.statuses.map((s) => (c.statuses.length > 1 ? `${s.status} ×${s.count}` : String(s.status))).join(', '),
    time(c.first_seen),
    time(c.last_seen),
  ]);
  const lines = ['## Top codes', '', table(['code', num('errors'), num('share'), num('previous'), num('change'), 'status', 'first seen', 'last seen'], rows)];
  if (other) lines.push('', `… and ${count(other.codes)} more codes with ${count(other.count)} errors.`);
  lines.push('', '### What the codes mean', '', ...codes.flatMap(codeDetails));
  return lines.join('\n');
}

function unknownAndMismatches(report: PostmortemReport): string {
  const lines = ['## Unknown codes', ''];
  if (report.unknown_codes.length === 0) lines.push('None: every code is in the catalog.');
  else {
    lines.push(
      table(
        ['code', num('errors'), 'status', 'first seen', 'last seen', 'first message'],
        report.unknown_codes.map((u) => [code(u.code), count(u.count), u.statuses.join(', '), time(u.first_seen), time(u.last_seen), u.sample_message === '' ? '(none)' : cell(u.sample_message, 80)]),
      ),
    );
  }
  lines.push('', '## Status mismatches', '');
  if (report.status_mismatches.length === 0) lines.push('None: every known code came with the status of its catalog row.');
  else lines.push(table(['code', num('status'), num('catalog status'), num('errors')], report.status_mismatches.map((m) => [code(m.code), String(m.status), String(m.catalog_status), count(m.count)])));
  return lines.join('\n');
}

function breakdown<K extends 'tenant' | 'operation'>(title: string, field: K, data: Breakdown<K>): string {
  if (data.entries.length === 0) return `## ${title}\n\nNone.`;
  const lines = [
    `## ${title}`,
    '',
    table(
      [field, num('errors'), num('share'), num('codes'), 'top code'],
      data.entries.map((e) => [code(e[field]), count(e.count), percent(e.share), count(e.codes), `${code(e.top_code)} (${count(e.top_code_count)})`]),
    ),
  ];
  if (data.other) lines.push('', `… and ${count(data.other.groups)} more with ${count(data.other.count)} errors.`);
  return lines.join('\n');
}

function groups(report: PostmortemReport): string {
  return `${breakdown('Tenants hit', 'tenant', report.tenants)}\n\n${breakdown('Operations hit', 'operation', report.operations)}`;
}

function resources(kinds: ResourceKind[]): string {
  const lines = ['## Resources hit', '', 'Values that filled the placeholders of the catalog messages, by what the message names there.', ''];
  if (kinds.length === 0) return [...lines, 'None: no error message named a resource.'].join('\n');
  const rows = (list: ResourceKind[]) =>
    list.flatMap((k) => k.top.map((e) => [k.kind, code(e.value), count(e.count), e.codes.map(code).join(', ')]));
  const ids = kinds.filter((k) => RESOURCE_KINDS.has(k.kind));
  const attributes = kinds.filter((k) => !RESOURCE_KINDS.has(k.kind));
  if (ids.length > 0) lines.push(table(['kind', 'id', num('errors'), 'codes'], rows(ids)));
  const more = kinds.filter((k) => k.values > k.top.length).map((k) => `${k.kind}: ${count(k.values)} distinct values`);
  if (more.length > 0) lines.push('', `Most frequent shown; ${more.join(', ')}.`);
  if (attributes.length > 0) lines.push('', '### Other message values', '', table(['kind', 'value', num('errors'), 'codes'], rows(attributes)));
  return lines.join('\n');
}

function comparison(report: PostmortemReport): string {
  const c = report.comparison;
  const list = (items: string[]) => (items.length === 0 ? 'none' : items.join(', '));
  return [
    `## Compared with the previous window (${time(c.previous_window.from)} – ${time(c.previous_window.to)})`,
    '',
    `- Errors: ${count(report.summary.errors)} against ${count(c.previous_errors)} (${change(report.summary.errors, c.previous_errors, c.change)})`,
    `- New codes: ${list(c.new_codes.map((n) => `${code(n.code)} (${count(n.count)})`))}`,
    `- Codes gone: ${list(c.gone_codes.map((g) => `${code(g.code)} (${count(g.previous_count)} before)`))}`,
    `- Largest increases: ${list(c.increases.map((i) => `${code(i.code)} ${count(i.previous_count)} → ${count(i.count)}`))}`,
  ].join('\n');
}
