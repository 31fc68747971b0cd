/**
 * The overview: totals, the trend stacked by code, the top codes with the catalog's status,
 * description and solution, breakdowns by status, tenant and operation, the error rate and the
 * alerts. Every number is read from the rollup-backed endpoints (frequency, trend, rate with
 * interval=auto) and shown as the API gives it; no raw events are read here.
 */
import { apiGet, ApiError, type Codes, type CodeInfo, type Frequency, type Rate, type Trend } from './api.js';
import { alertMarks, parseAlerts, renderAlerts } from './alerts.js';
import { dataTable, OTHER_COLOR, PALETTE, rateChart, stackedBars, type AlertMark } from './charts.js';
import type { ViewContext } from './context.js';
import { h, type Child } from './dom.js';
import { INTERVAL_WORDS, fmtChange, fmtDuration, fmtExact, fmtInt, fmtRate, fmtShare, fmtTime } from './format.js';
import { linkTo, scopeParams } from './state.js';
import { badge, barTable, empty, errorBox, kpi, panel, statusChip, type Panel } from './ui.js';

const TOP_CODES = 20;
const TREND_SERIES = 8;
const BREAKDOWN = 10;

const INTERVAL_SECONDS: Record<string, number> = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '6h': 21_600, '1d': 86_400 };

/**
 * The catalog's rows (status, description, solution) per code. They do not depend on the window, so
 * they are read once, over a one-millisecond window: the list endpoint then has no events to count.
 */
let catalogCache: Promise<Map<string, CodeInfo>> | undefined;
export function catalog(signal: AbortSignal, at: number): Promise<Map<string, CodeInfo>> {
  if (!catalogCache) {
    catalogCache = apiGet<Codes>('/v1/codes', { from: new Date(at - 1).toISOString(), to: new Date(at).toISOString(), top: 1 }, signal).then((body) => new Map(body.codes.map((c) => [c.code, c])));
    catalogCache.catch(() => (catalogCache = undefined));
  }
  return catalogCache;
}

/** Colour per code: by rank in the trend, grey for the rest. */
export function colorFor(codes: string[]): (code: string) => string {
  const map = new Map(codes.map((c, i) => [c, PALETTE[i % PALETTE.length]!]));
  return (code) => map.get(code) ?? OTHER_COLOR;
}

export function trendSeries(trend: Trend, total: Trend | undefined, label: (key: Trend['series'][number]['key']) => string, color: (label: string, i: number) => string) {
  const x = (trend.series[0]?.points ?? total?.series[0]?.points ?? []).map(([t]) => Date.parse(t) / 1000);
  const series = trend.series.map((s, i) => ({ label: label(s.key), color: color(label(s.key), i), values: s.points.map(([, n]) => n) }));
  const all = total?.series[0];
  if (all && series.length > 0) {
    // The series beyond the top ones, as the difference to the total: the stack adds up to it.
    const rest = all.points.map(([, n], i) => n - series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
    if (rest.some((n) => n > 0)) series.push({ label: 'Other codes', color: OTHER_COLOR, values: rest });
  }
  if (series.length === 0 && all) series.push({ label: 'All errors', color: PALETTE[0]!, values: all.points.map(([, n]) => n) });
  return { x: x.length > 0 ? x : (all?.points ?? []).map(([t]) => Date.parse(t) / 1000), series };
}

export function trendPanel(ctx: ViewContext, p: Panel, x: number[], series: Array<{ label: string; color: string; values: number[] }>, interval: string, caption: string, marks: readonly AlertMark[] = []) {
  if (series.every((s) => s.values.every((v) => v === 0))) {
    p.show(empty('No errors in this window.'));
    return;
  }
  const chart = h('div', { class: 'chart', role: 'img', 'aria-label': `${caption}: stacked bars per ${INTERVAL_WORDS[interval] ?? interval}, ${series.length} series. The numbers are in the table below.` });
  p.show(
    chart,
    dataTable(caption, () => ({
      head: ['Bucket (UTC)', ...series.map((s) => s.label)],
      rows: x.map((t, i) => [fmtTime(t * 1000, false), ...series.map((s) => s.values[i] ?? 0)]),
    })),
  );
  ctx.charts.push(stackedBars(chart, { x, stepSeconds: INTERVAL_SECONDS[interval] ?? 60, series, onSelect: ctx.zoom, yLabel: 'errors', marks }));
}

export async function renderOverview(main: HTMLElement, ctx: ViewContext): Promise<void> {
  const { route, win, signal } = ctx;
  const scope = scopeParams(win, route.filters);
  const get = <T>(path: string, extra: Record<string, string | number>) => apiGet<T>(path, { ...scope, ...extra }, signal);

  const kpis = h('section', { class: 'kpis', 'aria-label': 'Totals', 'aria-busy': 'true' }, kpi('Errors', '…'), kpi('Error rate', '…'), kpi('Requests', '…'), kpi('Codes', '…'), kpi('Tenants', '…'), kpi('Alerts firing', '…'));
  const trendP = panel('Errors over time by code', { class: 'wide' });
  const codesP = panel('Top error codes', { class: 'wide' });
  const statusP = panel('By status');
  const tenantP = panel('By tenant');
  const operationP = panel('By operation');
  const rateP = panel('Error rate', { class: 'span2', note: 'errors / all requests to the service' });
  const alertsP = panel('Alerts');
  main.replaceChildren(
    kpis,
    trendP.el,
    codesP.el,
    h('div', { class: 'grid3' }, statusP.el, tenantP.el, operationP.el),
    h('div', { class: 'grid3' }, rateP.el, alertsP.el),
  );

  const byCode = get<Frequency>('/v1/errors/frequency', { group_by: 'code', limit: TOP_CODES });
  const byCodeStatus = get<Frequency>('/v1/errors/frequency', { group_by: 'code,status', limit: 2_000 });
  const trend = get<Trend>('/v1/errors/trend', { group_by: 'code', interval: 'auto', limit: TREND_SERIES });
  const trendTotal = get<Trend>('/v1/errors/trend', { interval: 'auto' });
  const byStatus = get<Frequency>('/v1/errors/frequency', { group_by: 'status', limit: BREAKDOWN });
  const byTenant = get<Frequency>('/v1/errors/frequency', { group_by: 'tenant', limit: BREAKDOWN });
  const byOperation = get<Frequency>('/v1/errors/frequency', { group_by: 'operation', limit: BREAKDOWN });
  const rate = get<Rate>('/v1/errors/rate', { interval: 'auto' });
  const codes = catalog(signal, win.to);
  // Open alerts, and those resolved since the window's start (the endpoint's `since`).
  const alerts = ctx.features.has('alerts') ? apiGet<unknown>('/v1/alerts', { since: scope.from as string, ...(route.filters.tenant.length === 1 ? { tenant: route.filters.tenant[0] } : {}) }, signal) : undefined;
  const all = [byCode, byCodeStatus, trend, trendTotal, byStatus, byTenant, byOperation, rate, codes, ...(alerts ? [alerts] : [])];
  // Every promise gets a handler at once, so that none is reported as unhandled while others run.
  for (const p of all) p.catch(() => undefined);
  // The time charts mark the alerts; without an alerter (or if it fails) they draw without marks.
  const marks = alerts ? alerts.then((b) => alertMarks(parseAlerts(b))).catch(() => []) : Promise.resolve([]);

  const guard = async <T>(p: Panel | undefined, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if ((error as Error).name === 'AbortError' || signal.aborted) return undefined;
      if (error instanceof ApiError && error.status === 401) ctx.unauthorized();
      p?.fail(error);
      return undefined;
    }
  };
  const kpiBoxes = async () => {
    const [freq, rates, tenants] = await Promise.all([byCode, rate.catch(() => undefined), byTenant.catch(() => undefined)]);
    const firing = alerts ? await alerts.then((b) => parseAlerts(b).firing.length).catch(() => undefined) : undefined;
    const change = freq.previous_total > 0 ? (freq.total - freq.previous_total) / freq.previous_total : null;
    const codeCount = freq.groups.length + (freq.other?.groups ?? 0);
    const tenantCount = tenants ? tenants.groups.length + (tenants.other?.groups ?? 0) : undefined;
    kpis.replaceChildren(
      kpi('Errors', fmtInt(freq.total), {
        testid: 'kpi-errors',
        sub: `${fmtChange(change)} vs previous ${fmtDuration(win.to - win.from)} (${fmtInt(freq.previous_total)})`,
        tone: change !== null && change > 0.2 ? 'bad' : undefined,
      }),
      kpi('Error rate', rates ? fmtRate(rates.rate) : '–', {
        testid: 'kpi-rate',
        sub: rates ? `${fmtInt(rates.errors)} of ${fmtInt(rates.requests)} requests` : 'unavailable',
        title: rates ? `whole minutes ${fmtTime(rates.from, false)} to ${fmtTime(rates.to, false)} UTC` : undefined,
      }),
      kpi('Requests', rates ? fmtInt(rates.requests) : '–', { testid: 'kpi-requests', sub: 'to the backup service' }),
      kpi('Codes', fmtInt(codeCount), { testid: 'kpi-codes', sub: freq.groups[0] ? h('span', null, 'top ', h('a', { href: linkTo(route, { view: 'code', code: freq.groups[0].code! }) }, freq.groups[0].code!)) : 'none seen' }),
      kpi('Tenants', tenantCount === undefined ? '–' : fmtInt(tenantCount), { testid: 'kpi-tenants', sub: 'with errors' }),
      kpi('Alerts firing', firing === undefined ? '–' : fmtInt(firing), { testid: 'kpi-alerts', tone: firing ? 'bad' : undefined, sub: alerts ? (firing ? 'see Alerts below' : 'all quiet') : 'no alerter on this server' }),
    );
    kpis.setAttribute('aria-busy', 'false');
  };

  await Promise.all([
    guard(undefined, async () => {
      try {
        await kpiBoxes();
      } catch (error) {
        kpis.setAttribute('aria-busy', 'false');
        kpis.replaceChildren(errorBox(error));
        throw error;
      }
    }),
    guard(trendP, async () => {
      const [t, total, top, alertMarksNow] = await Promise.all([trend, trendTotal, byCode, marks]);
      const order = top.groups.map((g) => g.code!);
      const color = colorFor(order);
      const { x, series } = trendSeries(t, total, (k) => k.code ?? '', (label) => color(label));
      trendP.aside.replaceChildren(h('span', { class: 'muted' }, `per ${INTERVAL_WORDS[t.interval] ?? t.interval} · drag across to zoom`));
      trendPanel(ctx, trendP, x, series, t.interval, 'Errors per bucket by code', alertMarksNow);
    }),
    guard(codesP, async () => {
      const [freq, pairs] = await Promise.all([byCode, byCodeStatus]);
      const cat = await codes.catch(() => new Map<string, CodeInfo>());
      const trendCodes = (await trend.catch(() => undefined))?.series.map((s) => s.key.code ?? '') ?? [];
      codesP.show(codesTable(ctx, freq, pairs, cat, colorFor(freq.groups.map((g) => g.code!).filter((c) => trendCodes.includes(c)))));
    }),
    guard(statusP, async () => {
      const f = await byStatus;
      statusP.show(
        f.groups.length === 0
          ? empty('No errors in this window.')
          : barTable(
              'Errors by HTTP status',
              f.groups.map((g) => ({ key: String(g.status), label: statusChip(g.status!), count: g.count, share: g.share, href: linkTo(route, { addFilter: ['status', String(g.status)] }) })),
              { other: otherOf(f, 'statuses'), nameHeader: 'Status', testid: 'by-status' },
            ),
      );
    }),
    guard(tenantP, async () => {
      const f = await byTenant;
      tenantP.show(
        f.groups.length === 0
          ? empty('No errors in this window.')
          : barTable(
              'Errors by tenant',
              f.groups.map((g) => ({ key: g.tenant!, label: h('span', { class: 'mono' }, g.tenant!), count: g.count, share: g.share, href: linkTo(route, { addFilter: ['tenant', g.tenant!] }) })),
              { other: otherOf(f, 'tenants'), nameHeader: 'Tenant', testid: 'by-tenant' },
            ),
      );
    }),
    guard(operationP, async () => {
      const f = await byOperation;
      operationP.show(
        f.groups.length === 0
          ? empty('No errors in this window.')
          : barTable(
              'Errors by operation',
              f.groups.map((g) => ({ key: g.operation!, label: g.operation!, count: g.count, share: g.share, href: linkTo(route, { addFilter: ['operation', g.operation!] }) })),
              { other: otherOf(f, 'operations'), nameHeader: 'Operation', testid: 'by-operation' },
            ),
      );
    }),
    guard(rateP, async () => {
      const r = await rate;
      rateP.aside.replaceChildren(h('span', { class: 'muted' }, `per ${INTERVAL_WORDS[r.interval] ?? r.interval}`));
      if (r.requests === 0 && r.errors === 0) {
        rateP.show(empty('No requests counted in this window.'));
        return;
      }
      const chart = h('div', { class: 'chart', role: 'img', 'aria-label': `Error rate per ${INTERVAL_WORDS[r.interval] ?? r.interval}: ${fmtRate(r.rate)} overall. The numbers are in the table below.` });
      rateP.show(
        h(
          'p',
          { class: 'rate-summary' },
          h('strong', { 'data-testid': 'rate-overall' }, fmtRate(r.rate)),
          ` of ${fmtInt(r.requests)} requests failed (${fmtInt(r.errors)} errors)`,
        ),
        chart,
        dataTable('Requests, errors and error rate per bucket', () => ({
          head: ['Bucket (UTC)', 'Requests', 'Errors', 'Error rate'],
          rows: r.points.map((p) => [fmtTime(p.ts, false), p.requests, p.errors, fmtRate(p.rate)]),
        })),
      );
      ctx.charts.push(
        rateChart(chart, {
          x: r.points.map((p) => Date.parse(p.ts) / 1000),
          stepSeconds: INTERVAL_SECONDS[r.interval] ?? 60,
          rate: r.points.map((p) => p.rate),
          requests: r.points.map((p) => p.requests),
          onSelect: ctx.zoom,
          marks: await marks,
        }),
      );
    }),
    guard(alertsP, async () => {
      if (!alerts) {
        alertsP.show(empty('Alerting is not enabled on this server (no /v1/alerts).'));
        return;
      }
      alertsP.show(renderAlerts(parseAlerts(await alerts), (code) => linkTo(route, { view: 'code', code })));
    }),
  ]);
}

const otherOf = (f: Frequency, noun: string) => (f.other ? { count: f.other.count, groups: f.other.groups, share: f.total > 0 ? f.other.count / f.total : 0, noun } : undefined);

function codesTable(ctx: ViewContext, freq: Frequency, pairs: Frequency, cat: Map<string, CodeInfo>, color: (code: string) => string): Child {
  const { route } = ctx;
  if (freq.groups.length === 0) return empty('No errors in this window.');
  const statuses = new Map<string, Array<{ status: number; count: number }>>();
  for (const g of pairs.groups) {
    const list = statuses.get(g.code!) ?? [];
    list.push({ status: g.status!, count: g.count });
    statuses.set(g.code!, list);
  }
  const rows = freq.groups.map((g) => {
    const code = g.code!;
    const info = cat.get(code);
    const known = info ? info.known : /^CSBS\./.test(code) ? undefined : false;
    const documented = info?.rows.map((r) => r.status) ?? [];
    const seen = statuses.get(code) ?? [];
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = color(code);
    const describe = (field: 'description' | 'solution') => {
      const texts = [...new Set((info?.rows ?? []).map((r) => r[field].replace(/\s*\(Not used currently\.\)\s*$/, '')))];
      if (texts.length === 0) return h('span', { class: 'muted' }, known === false ? 'Not in the vendor catalog' : '–');
      return texts.length === 1 ? texts[0]! : h('ul', { class: 'plain' }, texts.map((t, i) => h('li', null, h('span', { class: 'muted' }, `${info?.rows[i]?.status ?? ''}: `), t)));
    };
    const change = g.change;
    return h(
      'tr',
      { 'data-code': code },
      h(
        'th',
        { scope: 'row', class: 'code-cell' },
        swatch,
        h('a', { href: linkTo(route, { view: 'code', code }), class: 'code' }, code),
        known === false ? badge('unknown', 'warn', 'not in the vendor catalog') : null,
        info?.rows.length && info.rows.every((r) => r.unused) ? badge('unused', 'muted', 'marked "Not used currently" by the vendor') : null,
      ),
      h(
        'td',
        { class: 'statuses' },
        seen.map((s) =>
          statusChip(s.status, {
            ...(seen.length > 1 ? { count: s.count } : {}),
            ...(documented.length > 0 && !documented.includes(s.status) ? { mismatch: `status mismatch: the catalog documents ${documented.join(' or ')}` } : {}),
          }),
        ),
      ),
      h('td', { class: 'num', 'data-col': 'count', 'data-value': g.count }, fmtInt(g.count)),
      h('td', { class: 'num muted', 'data-col': 'share' }, fmtShare(g.share)),
      h(
        'td',
        { class: `num change ${change === null ? 'change-new' : change > 0 ? 'change-up' : change < 0 ? 'change-down' : ''}`, title: `previous window: ${fmtInt(g.previous_count)}` },
        fmtChange(change),
      ),
      h('td', { class: 'desc' }, describe('description')),
      h('td', { class: 'desc' }, describe('solution')),
      h('td', { class: 'time', title: fmtExact(g.last_seen) }, fmtTime(g.last_seen, false)),
    );
  });
  const other = freq.other;
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'grid-table', 'data-testid': 'top-codes' },
      h('caption', { class: 'sr-only' }, 'Top error codes in the window with the vendor catalog description and solution'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Code'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col', class: 'num' }, 'Errors'),
          h('th', { scope: 'col', class: 'num' }, 'Share'),
          h('th', { scope: 'col', class: 'num', title: 'against the previous window of the same length' }, 'Change'),
          h('th', { scope: 'col' }, 'Description'),
          h('th', { scope: 'col' }, 'Solution'),
          h('th', { scope: 'col' }, 'Last seen (UTC)'),
        ),
      ),
      h('tbody', null, rows),
      other && other.groups > 0
        ? h(
            'tfoot',
            null,
            h(
              'tr',
              { class: 'other' },
              h('th', { scope: 'row' }, `${fmtInt(other.groups)} more codes`),
              h('td', null),
              h('td', { class: 'num', 'data-col': 'count', 'data-value': other.count }, fmtInt(other.count)),
              h('td', { class: 'num muted' }, fmtShare(freq.total > 0 ? other.count / freq.total : 0)),
              h('td', { colspan: 4 }),
            ),
          )
        : null,
    ),
  );
}
