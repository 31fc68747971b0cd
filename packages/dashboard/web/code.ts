/**
 * One code: its catalog row(s) with the events matched to each, the trend by status, top tenants,
 * operations and placeholder values (server ids, volume ids, ...), and the latest events, a page at
 * a time. The only raw events read are those pages (GET /v1/events with a limit).
 */
import { apiGet, ApiError, type CodeInfo, type ErrorEvent, type Events, type Frequency, type Trend } from './api.js';
import { PALETTE } from './charts.js';
import type { ViewContext } from './context.js';
import { fill, h, type Child } from './dom.js';
import { INTERVAL_WORDS, fmtExact, fmtInt, fmtShare, fmtTime } from './format.js';
import { linkTo, scopeParams } from './state.js';
import { trendPanel, trendSeries } from './overview.js';
import { badge, barTable, empty, kpi, panel, statusChip, type Panel } from './ui.js';

const EVENTS_PAGE = 25;
const STATUS_COLORS: Record<string, string> = { '4': '#f28e2b', '5': '#e15759' };

/** Names for a template's placeholders: the word before each `%s`, or the `{name}`. */
export function placeholderNames(template: string): string[] {
  const names: string[] = [];
  const re = /%s|\{([a-z_]+)\}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(template)) !== null) {
    if (m[1]) {
      names.push(m[1].replace(/_/g, ' '));
      continue;
    }
    const before = template.slice(0, m.index).replace(/[\s(]+$/, '');
    const word = /([A-Za-z][A-Za-z_()]*)$/.exec(before)?.[1] ?? '';
    names.push(word ? word.replace(/^\w/, (c) => c.toLowerCase()) : `value ${names.length + 1}`);
  }
  return names;
}

export async function renderCode(main: HTMLElement, ctx: ViewContext): Promise<void> {
  const { route, win, signal } = ctx;
  const code = route.code ?? '';
  const scope = scopeParams(win, route.filters, ['code']);
  const get = <T>(path: string, extra: Record<string, string | number>) => apiGet<T>(path, { ...scope, ...extra }, signal);

  const heading = h('h1', { class: 'code-title' }, h('span', { class: 'code' }, code));
  const kpis = h('section', { class: 'kpis', 'aria-label': 'Totals', 'aria-busy': 'true' }, kpi('Errors', '…'), kpi('First seen', '…'), kpi('Last seen', '…'), kpi('Tenants', '…'));
  const catalogP = panel('Catalog', { class: 'wide', note: 'the vendor’s description and solution, with the events matched to each row' });
  const trendP = panel('Errors over time by status', { class: 'wide' });
  const tenantsP = panel('Top tenants');
  const operationsP = panel('By operation');
  const paramsP = panel('Top values', { class: 'wide', note: 'placeholder values from the messages: server, volume, backup ids, …' });
  const eventsP = panel('Latest events', { class: 'wide', note: 'newest first' });
  main.replaceChildren(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: linkTo(route, { view: 'overview' }) }, 'Overview'), h('span', { 'aria-hidden': 'true' }, ' › '), h('span', { 'aria-current': 'page' }, code)),
    heading,
    kpis,
    catalogP.el,
    trendP.el,
    paramsP.el,
    h('div', { class: 'grid2' }, tenantsP.el, operationsP.el),
    eventsP.el,
  );

  const info = get<CodeInfo>(`/v1/codes/${encodeURIComponent(code)}`, { top: 10 });
  const trend = get<Trend>('/v1/errors/trend', { code, group_by: 'status', interval: 'auto', limit: 20 });
  const byOperation = get<Frequency>('/v1/errors/frequency', { code, group_by: 'operation', limit: 10 });
  const byTenant = get<Frequency>('/v1/errors/frequency', { code, group_by: 'tenant', limit: 1 });
  const events = get<Events>('/v1/events', { code, limit: EVENTS_PAGE });
  for (const p of [info, trend, byOperation, byTenant, events]) p.catch(() => undefined);

  const guard = async (p: Panel | undefined, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      if ((error as Error).name === 'AbortError' || signal.aborted) return;
      if (error instanceof ApiError && error.status === 401) ctx.unauthorized();
      if (error instanceof ApiError && error.status === 404 && p === catalogP) {
        p.show(empty(`${code} is not in the vendor catalog and was never seen${route.filters.tenant.length ? ' by this tenant' : ''}.`));
        return;
      }
      p?.fail(error);
    }
  };

  await Promise.all([
    guard(catalogP, async () => {
      let c: CodeInfo;
      try {
        c = await info;
      } catch (error) {
        kpis.replaceChildren();
        kpis.setAttribute('aria-busy', 'false');
        throw error;
      }
      const tenants = await byTenant.catch(() => undefined);
      fill(
        heading,
        h('span', { class: 'code' }, code),
        c.known ? null : badge('unknown code', 'warn', 'not in the vendor catalog'),
        c.rows.length > 0 && c.rows.every((r) => r.unused) ? badge('not used currently', 'muted') : null,
      );
      kpis.replaceChildren(
        kpi('Errors', fmtInt(c.count), { testid: 'kpi-code-errors', sub: `in the window${route.filters.tenant.length ? ', filtered' : ''}` }),
        kpi('First seen', c.first_seen ? fmtTime(c.first_seen) : '–', { sub: 'UTC, in the window', title: c.first_seen ? fmtExact(c.first_seen) : undefined }),
        kpi('Last seen', c.last_seen ? fmtTime(c.last_seen) : '–', { sub: 'UTC, in the window', title: c.last_seen ? fmtExact(c.last_seen) : undefined }),
        kpi('Tenants', tenants ? fmtInt(tenants.groups.length + (tenants.other?.groups ?? 0)) : '–', { sub: 'with this code' }),
      );
      kpis.setAttribute('aria-busy', 'false');
      catalogP.show(catalogTable(c));

      const names = (n: number) => c.rows.find((r) => placeholderNames(r.template).length === n)?.template;
      const width = Math.max(0, ...c.top_params.map((p) => p.params.length));
      const template = names(width);
      const labels = template ? placeholderNames(template) : Array.from({ length: width }, (_, i) => `value ${i + 1}`);
      const total = c.count;
      paramsP.show(
        c.top_params.length === 0
          ? empty(c.rows.some((r) => placeholderNames(r.template).length > 0) ? 'No values in this window.' : 'This message has no placeholders.')
          : h(
              'div',
              { class: 'table-scroll' },
              h(
                'table',
                { class: 'grid-table compact', 'data-testid': 'top-params' },
                h('caption', { class: 'sr-only' }, `Most frequent placeholder values of ${code}`),
                h('thead', null, h('tr', null, labels.map((l) => h('th', { scope: 'col' }, l)), h('th', { scope: 'col', class: 'num' }, 'Errors'), h('th', { scope: 'col', class: 'num' }, 'Share'))),
                h(
                  'tbody',
                  null,
                  c.top_params.map((p) =>
                    h(
                      'tr',
                      null,
                      labels.map((_, i) => h('td', { class: 'mono' }, p.params[i] ?? '')),
                      h('td', { class: 'num', 'data-value': p.count }, fmtInt(p.count)),
                      h('td', { class: 'num muted' }, fmtShare(total > 0 ? p.count / total : 0)),
                    ),
                  ),
                ),
              ),
            ),
      );
      tenantsP.show(
        c.top_tenants.length === 0
          ? empty('No errors in this window.')
          : barTable(
              `Top tenants with ${code}`,
              c.top_tenants.map((t) => ({ key: t.tenant, label: h('span', { class: 'mono' }, t.tenant), count: t.count, share: total > 0 ? t.count / total : 0, href: linkTo(route, { addFilter: ['tenant', t.tenant] }) })),
              { nameHeader: 'Tenant', testid: 'top-tenants' },
            ),
      );
    }),
    guard(trendP, async () => {
      const t = await trend;
      trendP.aside.replaceChildren(h('span', { class: 'muted' }, `per ${INTERVAL_WORDS[t.interval] ?? t.interval} · drag across to zoom`));
      const shade = new Map<string, number>();
      const { x, series } = trendSeries(
        t,
        undefined,
        (k) => String(k.status ?? ''),
        (label) => {
          const family = label.charAt(0);
          const n = shade.get(family) ?? 0;
          shade.set(family, n + 1);
          const base = STATUS_COLORS[family];
          return base && n === 0 ? base : PALETTE[(n + (family === '5' ? 6 : 3)) % PALETTE.length]!;
        },
      );
      trendPanel(ctx, trendP, x, series, t.interval, `Errors per bucket for ${code} by HTTP status`);
    }),
    guard(operationsP, async () => {
      const f = await byOperation;
      operationsP.show(
        f.groups.length === 0
          ? empty('No errors in this window.')
          : barTable(
              `${code} by operation`,
              f.groups.map((g) => ({ key: g.operation!, label: g.operation!, count: g.count, share: g.share, href: linkTo(route, { addFilter: ['operation', g.operation!] }) })),
              { other: f.other ? { count: f.other.count, groups: f.other.groups, share: f.total > 0 ? f.other.count / f.total : 0, noun: 'operations' } : undefined, nameHeader: 'Operation', testid: 'code-by-operation' },
            ),
      );
    }),
    guard(eventsP, async () => {
      const first = await events;
      if (first.events.length === 0) {
        eventsP.show(empty('No events in this window.'));
        return;
      }
      const tbody = h('tbody', null, first.events.map((e) => eventRow(ctx, e)));
      const more = h('button', { type: 'button', class: 'button' }, 'Load older events');
      let cursor = first.next_cursor;
      const status = h('p', { class: 'muted', role: 'status' });
      more.hidden = cursor === null;
      more.addEventListener('click', () => {
        if (cursor === null) return;
        more.disabled = true;
        status.textContent = 'Loading…';
        apiGet<Events>('/v1/events', { ...scope, code, limit: EVENTS_PAGE, cursor }, signal)
          .then((page) => {
            for (const e of page.events) tbody.appendChild(eventRow(ctx, e));
            cursor = page.next_cursor;
            more.hidden = cursor === null;
            status.textContent = `${fmtInt(tbody.rows.length)} events shown${cursor === null ? ', all of the window' : ''}.`;
          })
          .catch((error: unknown) => {
            if (!signal.aborted) status.textContent = `Could not load more: ${(error as Error).message}`;
          })
          .finally(() => (more.disabled = false));
      });
      eventsP.show(
        h(
          'div',
          { class: 'table-scroll' },
          h(
            'table',
            { class: 'grid-table events', 'data-testid': 'events' },
            h('caption', { class: 'sr-only' }, `Latest events of ${code}, newest first`),
            h(
              'thead',
              null,
              h('tr', null, ['Time (UTC)', 'Tenant', 'Status', 'Operation', 'Message', 'Request id'].map((c) => h('th', { scope: 'col' }, c))),
            ),
            tbody,
          ),
        ),
        h('div', { class: 'more' }, more, status),
      );
    }),
  ]);
}

function catalogTable(c: CodeInfo): Child {
  if (c.rows.length === 0) return empty(`${c.code} is not in the vendor catalog: it was seen in traffic, and is counted and shown all the same.`);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'grid-table', 'data-testid': 'catalog-rows' },
      h('caption', { class: 'sr-only' }, `Catalog rows of ${c.code}`),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Message template'),
          h('th', { scope: 'col' }, 'Description'),
          h('th', { scope: 'col' }, 'Solution'),
          h('th', { scope: 'col', class: 'num' }, 'Errors'),
        ),
      ),
      h(
        'tbody',
        null,
        c.rows.map((r) =>
          h(
            'tr',
            null,
            h('td', null, statusChip(r.status), r.unused ? badge('not used currently', 'muted') : null),
            h('td', { class: 'mono' }, r.template),
            h('td', { class: 'desc' }, r.description.replace(/\s*\(Not used currently\.\)\s*$/, '')),
            h('td', { class: 'desc' }, r.solution),
            h('td', { class: 'num', 'data-value': r.count }, fmtInt(r.count)),
          ),
        ),
      ),
    ),
  );
}

function eventRow(ctx: ViewContext, e: ErrorEvent): HTMLTableRowElement {
  return h(
    'tr',
    null,
    h('td', { class: 'time', title: fmtExact(e.ts) }, fmtTime(e.ts)),
    h('td', null, h('a', { href: linkTo(ctx.route, { addFilter: ['tenant', e.tenant] }), title: `Filter by ${e.tenant}` }, e.tenant)),
    h('td', null, statusChip(e.status, e.status_mismatch ? { mismatch: `status mismatch: the catalog documents ${e.catalog_status}` } : {})),
    h('td', null, e.operation, h('span', { class: 'mono muted op-route', title: `${e.method} ${e.path}` }, `${e.method} ${e.route || e.path}`)),
    h('td', { class: 'message' }, e.message || h('span', { class: 'muted' }, '(no error body)')),
    h('td', { class: 'mono muted request-id' }, e.request_id || '–'),
  );
}
