/**
 * The dashboard's shell: header (window picker, refresh, token), active filters, and the router
 * that renders the overview or a code's page from the URL hash. A refresh resolves the window once
 * and aborts whatever the previous one still had in flight.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { apiGet, getToken, setToken, type Frequency } from './api.js';
import type { Chart } from './charts.js';
import { renderCode } from './code.js';
import type { ViewContext } from './context.js';
import { h } from './dom.js';
import { fmtDuration, fmtTime } from './format.js';
import { renderOverview } from './overview.js';
import { FILTER_FIELDS, PRESETS, fittingPreset, formatHash, linkTo, namesWindow, parseHash, resolveWindow, scopeParams, type Route } from './state.js';

const features = new Set((document.querySelector<HTMLMetaElement>('meta[name="csbs-features"]')?.content ?? '').split(/\s+/).filter(Boolean));

// ---- the shell -------------------------------------------------------------------------------

const rangeSelect = h(
  'select',
  { id: 'range', name: 'range' },
  PRESETS.map((p) => h('option', { value: p.id }, p.label)),
  h('option', { value: 'custom' }, 'Custom range…'),
);
const fromInput = h('input', { type: 'datetime-local', id: 'range-from', name: 'from', step: 60, required: true });
const toInput = h('input', { type: 'datetime-local', id: 'range-to', name: 'to', step: 60, required: true });
const customForm = h(
  'form',
  { class: 'custom-range', hidden: true, 'aria-label': 'Custom range in UTC' },
  h('label', { for: 'range-from' }, 'From'),
  fromInput,
  h('label', { for: 'range-to' }, 'to'),
  toInput,
  h('span', { class: 'muted' }, 'UTC'),
  h('button', { type: 'submit', class: 'button' }, 'Apply'),
);
const refreshButton = h('button', { type: 'button', class: 'button', title: 'Read the numbers again (r)' }, 'Refresh');
const autoRefresh = h('input', { type: 'checkbox', id: 'auto-refresh' });
const tokenButton = h('button', { type: 'button', class: 'button', 'aria-haspopup': 'dialog' }, 'Token');
const windowLabel = h('p', { class: 'window', 'aria-live': 'polite' });
const filterBar = h('div', { class: 'filters', 'aria-label': 'Active filters' });
const banner = h('div', { class: 'banner', hidden: true, role: 'alert' });
const main = h('main', { id: 'main', tabindex: '-1' });

const tokenInput = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', placeholder: 'paste a token of API_TOKENS' });
const tokenDialog = h(
  'dialog',
  { class: 'dialog', 'aria-labelledby': 'token-title' },
  h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'token-title' }, 'API token'),
    h(
      'p',
      null,
      'With API tokens configured, every /v1 request needs one. The token stays in this browser (localStorage) and is sent as ',
      h('code', null, 'Authorization: Bearer …'),
      ' to this server only. A tenant token shows its own tenant only.',
    ),
    h('label', { for: 'token' }, 'Token'),
    tokenInput,
    h(
      'div',
      { class: 'dialog-buttons' },
      h('button', { type: 'submit', value: 'save', class: 'button primary' }, 'Save'),
      h('button', { type: 'submit', value: 'clear', class: 'button' }, 'Forget token'),
      h('button', { type: 'submit', value: 'cancel', class: 'button' }, 'Cancel'),
    ),
  ),
);

document.getElementById('app')!.replaceChildren(
  h(
    'header',
    { class: 'top' },
    h(
      'div',
      { class: 'brand' },
      h('a', { href: '#/', class: 'brand-link' }, h('img', { src: '/assets/favicon.svg', alt: '', width: 28, height: 28 }), h('span', null, 'CSBS errors')),
      h('span', { class: 'brand-sub' }, 'Cloud Server Backup Service'),
    ),
    h(
      'div',
      { class: 'controls' },
      h('label', { for: 'range', class: 'sr-only' }, 'Time range'),
      rangeSelect,
      customForm,
      refreshButton,
      h('label', { class: 'check', for: 'auto-refresh', title: 'Refresh every minute (relative ranges)' }, autoRefresh, 'Auto'),
      tokenButton,
    ),
  ),
  h('div', { class: 'subbar' }, windowLabel, filterBar),
  banner,
  main,
  h('footer', { class: 'foot' }, 'Numbers from the query API (', h('a', { href: '/docs' }, 'API docs'), '). Times in UTC.'),
  tokenDialog,
);

document.querySelector<HTMLAnchorElement>('a.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

// ---- routing ---------------------------------------------------------------------------------

let current: { abort: AbortController; charts: Chart[] } | undefined;
let renders = 0;
let lastRoute: Route = parseHash(location.hash);

function navigate(route: Route) {
  const hash = formatHash(route);
  if (hash === location.hash) void render();
  else location.hash = hash;
}

function syncControls(route: Route, win: { from: number; to: number }) {
  const custom = route.preset === undefined;
  rangeSelect.value = custom ? 'custom' : route.preset!;
  customForm.hidden = !custom;
  const local = (ms: number) => new Date(ms).toISOString().slice(0, 16);
  fromInput.value = local(win.from);
  toInput.value = local(win.to);
  autoRefresh.disabled = custom;
  windowLabel.replaceChildren(
    h('span', { class: 'muted' }, 'Window '),
    h('time', { datetime: new Date(win.from).toISOString(), 'data-testid': 'window-from' }, fmtTime(win.from, false)),
    ' – ',
    h('time', { datetime: new Date(win.to).toISOString(), 'data-testid': 'window-to' }, fmtTime(win.to, false)),
    h('span', { class: 'muted' }, ` UTC · ${fmtDuration(win.to - win.from)}`),
  );
  const chips = FILTER_FIELDS.flatMap((field) =>
    route.filters[field].map((value) =>
      h(
        'a',
        {
          class: 'filter-chip',
          href: formatHash({ ...route, filters: { ...route.filters, [field]: route.filters[field].filter((v) => v !== value) } }),
          title: `Remove the filter ${field} = ${value}`,
        },
        h('span', { class: 'muted' }, `${field} `),
        value,
        h('span', { 'aria-hidden': 'true', class: 'x' }, ' ✕'),
        h('span', { class: 'sr-only' }, ' (remove)'),
      ),
    ),
  );
  filterBar.replaceChildren(...(chips.length > 0 ? [h('span', { class: 'muted' }, 'Filtered by'), ...chips, h('a', { href: linkTo(route, { drop: [...FILTER_FIELDS] }), class: 'clear' }, 'clear all')] : []));
}

async function render() {
  const route = parseHash(location.hash);
  const previous = lastRoute;
  lastRoute = route;
  current?.abort.abort();
  for (const chart of current?.charts ?? []) chart.destroy();
  const abort = new AbortController();
  const charts: Chart[] = [];
  current = { abort, charts };
  banner.hidden = true;
  const win = resolveWindow(route);
  syncControls(route, win);
  document.title = route.view === 'code' ? `${route.code} · CSBS errors` : 'CSBS errors';
  const ctx: ViewContext = {
    route,
    win,
    signal: abort.signal,
    features,
    charts,
    zoom(from, to) {
      const minute = 60_000;
      const f = Math.floor(from / minute) * minute;
      const t = Math.max(f + minute, Math.ceil(to / minute) * minute);
      navigate({ ...route, preset: undefined, from: new Date(f).toISOString(), to: new Date(t).toISOString() });
    },
    unauthorized() {
      if (!banner.hidden) return;
      banner.replaceChildren(
        h('strong', null, getToken() ? 'The server did not accept the token. ' : 'This server needs an API token. '),
        h('button', { type: 'button', class: 'button primary', onclick: () => openTokenDialog() }, getToken() ? 'Change token' : 'Enter token'),
      );
      banner.hidden = false;
    },
  };
  // Moving to another view puts the focus at its start, for keyboard and screen-reader users.
  if (previous.view !== route.view || previous.code !== route.code) {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
  main.dataset.view = route.view;
  main.setAttribute('aria-busy', 'true');
  try {
    if (route.view === 'code') await renderCode(main, ctx);
    else await renderOverview(main, ctx);
  } finally {
    if (current?.abort === abort) {
      main.setAttribute('aria-busy', 'false');
      // A count, not a time: it changes with every render whatever the clock does.
      main.dataset.ready = String(++renders);
    }
  }
}

window.addEventListener('hashchange', () => void show());

rangeSelect.addEventListener('change', () => {
  const route = parseHash(location.hash);
  if (rangeSelect.value === 'custom') {
    customForm.hidden = false;
    fromInput.focus();
    return;
  }
  navigate({ ...route, preset: rangeSelect.value, from: undefined, to: undefined });
});

customForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const from = Date.parse(`${fromInput.value}:00Z`);
  const to = Date.parse(`${toInput.value}:00Z`);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) {
    toInput.setCustomValidity('The end must come after the start.');
    toInput.reportValidity();
    return;
  }
  toInput.setCustomValidity('');
  navigate({ ...parseHash(location.hash), preset: undefined, from: new Date(from).toISOString(), to: new Date(to).toISOString() });
});
toInput.addEventListener('input', () => toInput.setCustomValidity(''));

refreshButton.addEventListener('click', () => void render());
document.addEventListener('keydown', (event) => {
  const target = event.target as HTMLElement | null;
  if (event.key === 'r' && !event.ctrlKey && !event.metaKey && !event.altKey && !(target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) && !tokenDialog.open) void render();
});

let timer: number | undefined;
autoRefresh.addEventListener('change', () => {
  if (timer !== undefined) window.clearInterval(timer);
  timer = undefined;
  if (autoRefresh.checked) {
    timer = window.setInterval(() => {
      if (document.visibilityState === 'visible' && parseHash(location.hash).preset !== undefined) void render();
    }, 60_000);
  }
});

// ---- token -----------------------------------------------------------------------------------

function updateTokenButton() {
  tokenButton.textContent = getToken() ? 'Token ✓' : 'Token';
  tokenButton.setAttribute('aria-label', getToken() ? 'API token (set)' : 'API token (not set)');
}

function openTokenDialog() {
  tokenInput.value = getToken();
  tokenDialog.showModal();
  tokenInput.focus();
}

tokenButton.addEventListener('click', openTokenDialog);
tokenDialog.addEventListener('close', () => {
  const action = tokenDialog.returnValue;
  if (action === 'save') setToken(tokenInput.value.trim());
  else if (action === 'clear') setToken('');
  else return;
  tokenInput.value = '';
  updateTokenButton();
  void show();
});

/**
 * The preset that fits the data the route shows: the first error of the longest preset (by status, a
 * handful of rollup-backed groups) decides. Undefined when the API does not say (no token yet, a slow
 * store): the page then shows the default without writing it, and tries again after a token is saved.
 */
async function fittedPreset(route: Route): Promise<string | undefined> {
  const now = Date.now();
  const longest = resolveWindow({ ...route, preset: PRESETS.at(-1)!.id }, now);
  const filters = route.view === 'code' && route.code ? { ...route.filters, code: [route.code] } : route.filters;
  try {
    const freq = await apiGet<Frequency>('/v1/errors/frequency', { ...scopeParams(longest, filters), group_by: 'status', limit: 100 }, AbortSignal.timeout(5_000));
    const first = freq.groups.map((g) => Date.parse(g.first_seen)).filter((t) => !Number.isNaN(t));
    return fittingPreset(first.length > 0 ? Math.min(...first) : undefined, now);
  } catch {
    return undefined;
  }
}

/** Renders the URL's view; a URL without a window first gets the fitting one written into it. */
async function show() {
  const hash = location.hash;
  if (!namesWindow(hash)) {
    const route = parseHash(hash);
    const preset = await fittedPreset(route);
    // The user may have moved on meanwhile: their URL wins.
    if (location.hash !== hash) return;
    if (preset !== undefined) history.replaceState(null, '', formatHash({ ...route, preset }));
  }
  await render();
}

updateTokenButton();
void show();
