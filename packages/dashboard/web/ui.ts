/** Page building blocks: panels with loading and error states, number cards, bar tables, badges. */
import { ApiError } from './api.js';
import { h, fill, type Child } from './dom.js';
import { fmtInt, fmtShare } from './format.js';

export interface Panel {
  el: HTMLElement;
  body: HTMLElement;
  /** Extra controls or notes next to the title. */
  aside: HTMLElement;
  loading(): void;
  show(...children: Child[]): void;
  fail(error: unknown): void;
}

let panelIds = 0;

export function panel(title: string, options: { class?: string; note?: string } = {}): Panel {
  const id = `panel-${++panelIds}`;
  const aside = h('div', { class: 'panel-aside' });
  const body = h('div', { class: 'panel-body', 'aria-busy': 'true' });
  const el = h(
    'section',
    { class: `panel ${options.class ?? ''}`.trim(), 'aria-labelledby': id },
    h('header', { class: 'panel-head' }, h('h2', { id }, title), options.note ? h('p', { class: 'panel-note' }, options.note) : null, aside),
    body,
  );
  const p: Panel = {
    el,
    body,
    aside,
    loading() {
      body.setAttribute('aria-busy', 'true');
      fill(body, h('div', { class: 'placeholder' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'));
    },
    show(...children) {
      body.setAttribute('aria-busy', 'false');
      fill(body, ...children);
    },
    fail(error) {
      body.setAttribute('aria-busy', 'false');
      fill(body, errorBox(error));
    },
  };
  p.loading();
  return p;
}

export function errorBox(error: unknown): HTMLElement {
  if (error instanceof ApiError) {
    const hint =
      error.status === 401
        ? 'This server needs an API token: set one with the Token button.'
        : error.status === 403
          ? 'This token may not read that: a tenant token reads its own tenant only.'
          : error.status === 503
            ? 'The server is busy or the query was too slow: narrow the window or the filters, then refresh.'
            : '';
    return h('div', { class: 'error', role: 'alert' }, h('strong', null, `${error.status ? `${error.status} ` : ''}${error.title}`), error.detail ? h('span', null, ` — ${error.detail}`) : null, hint ? h('p', null, hint) : null);
  }
  return h('div', { class: 'error', role: 'alert' }, h('strong', null, 'Something went wrong'), h('span', null, ` — ${String((error as Error)?.message ?? error)}`));
}

export const empty = (text: string) => h('p', { class: 'empty' }, text);

export function kpi(label: string, value: Child, options: { sub?: Child; tone?: 'bad' | 'good' | 'warn'; testid?: string; title?: string } = {}): HTMLElement {
  return h(
    'div',
    { class: `kpi ${options.tone ? `kpi-${options.tone}` : ''}`.trim(), 'data-testid': options.testid, title: options.title },
    h('div', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-value' }, value),
    options.sub !== undefined ? h('div', { class: 'kpi-sub' }, options.sub) : null,
  );
}

export interface BarRow {
  label: Child;
  /** Plain text of the label, for the title and tests. */
  key: string;
  count: number;
  share: number;
  href?: string;
  color?: string;
}

/** A table of names with counts and shares, each row with a bar scaled to the largest. */
export function barTable(caption: string, rows: BarRow[], options: { other?: { count: number; groups: number; share: number; noun: string }; nameHeader?: string; testid?: string } = {}): HTMLElement {
  const max = Math.max(1, ...rows.map((r) => r.count));
  const body = rows.map((r) => {
    const bar = h('span', { class: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${Math.max(0.5, (r.count / max) * 100)}%`;
    if (r.color) bar.style.background = r.color;
    return h(
      'tr',
      { 'data-key': r.key },
      h('th', { scope: 'row', class: 'name' }, r.href ? h('a', { href: r.href, title: `Filter by ${r.key}` }, r.label) : r.label),
      h('td', { class: 'bar-cell' }, bar),
      h('td', { class: 'num', 'data-value': r.count }, fmtInt(r.count)),
      h('td', { class: 'num muted' }, fmtShare(r.share)),
    );
  });
  const other = options.other;
  return h(
    'table',
    { class: 'bars', 'data-testid': options.testid },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', { class: 'sr-only' }, h('tr', null, h('th', { scope: 'col' }, options.nameHeader ?? 'Name'), h('th', { scope: 'col' }, 'Bar'), h('th', { scope: 'col' }, 'Errors'), h('th', { scope: 'col' }, 'Share'))),
    h('tbody', null, body),
    other && other.groups > 0
      ? h(
          'tfoot',
          null,
          h(
            'tr',
            { class: 'other' },
            h('th', { scope: 'row', class: 'name' }, `${fmtInt(other.groups)} more ${other.noun}`),
            h('td', null),
            h('td', { class: 'num', 'data-value': other.count }, fmtInt(other.count)),
            h('td', { class: 'num muted' }, fmtShare(other.share)),
          ),
        )
      : null,
  );
}

/** An HTTP status, coloured by class; `mismatch` marks a status the catalog does not document. */
export function statusChip(status: number, options: { mismatch?: string; count?: number; href?: string } = {}): HTMLElement {
  const cls = `chip status-${Math.floor(status / 100)}xx${options.mismatch ? ' mismatch' : ''}`;
  const text: Child[] = [String(status)];
  if (options.count !== undefined) text.push(h('span', { class: 'chip-count' }, ` ×${fmtInt(options.count)}`));
  if (options.mismatch) text.push(h('span', { class: 'sr-only' }, ` (${options.mismatch})`));
  return options.href ? h('a', { class: cls, href: options.href, title: options.mismatch }, text) : h('span', { class: cls, title: options.mismatch }, text);
}

export const badge = (text: string, kind: 'warn' | 'info' | 'bad' | 'muted', title?: string) => h('span', { class: `badge badge-${kind}`, title }, text);
