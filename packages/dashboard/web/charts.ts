/**
 * Charts with uPlot (bundled): a stacked bar chart of counts per bucket (trend by code or status)
 * and the error-rate chart. Times on the axes are UTC, like everywhere else on the page. Each chart
 * follows its container's width, offers a drag-to-zoom that narrows the page's window, and has its
 * numbers in a table for screen readers and for copying. Alerts that fired in the window are marked
 * on the time charts: a band from when each fired to when it resolved (or the chart's end while it
 * is still firing), with a line at each end.
 */
import uPlot from 'uplot';
import { h } from './dom.js';
import { fmtInt, fmtRate, fmtTime } from './format.js';

/** Distinct on light and dark backgrounds, and for the common colour-vision deficiencies first. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8cd17d'];
export const OTHER_COLOR = '#a0a6ad';

const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1e3), 'Etc/UTC');

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function axisColors() {
  return { text: cssVar('--text-muted', '#5b6571'), grid: cssVar('--grid', '#e6e9ee') };
}

export interface Chart {
  destroy(): void;
}

/** An alert on a time chart: fired and resolved (null: still firing), epoch seconds. */
export interface AlertMark {
  fired: number;
  resolved: number | null;
  label: string;
}

/**
 * uPlot plugin: one element per alert in the plot's overlay (`.alert-mark`, with `data-fired` and
 * `data-resolved` in ISO-8601, the label as its title), placed on every redraw so that zoom and
 * resize keep them on their minutes. DOM rather than canvas: they are hoverable and countable.
 */
function alertMarksPlugin(marks: readonly AlertMark[]): uPlot.Plugin {
  const elements: HTMLElement[] = [];
  return {
    hooks: {
      init: (u: uPlot) => {
        for (const mark of marks) {
          const el = h('div', {
            class: mark.resolved === null ? 'alert-mark alert-mark-open' : 'alert-mark',
            title: mark.label,
            'data-fired': new Date(mark.fired * 1000).toISOString(),
            'data-resolved': mark.resolved === null ? '' : new Date(mark.resolved * 1000).toISOString(),
          });
          u.over.appendChild(el);
          elements.push(el);
        }
        u.root.dataset.alertMarks = String(marks.length);
      },
      draw: (u: uPlot) => {
        const [min, max] = [u.scales.x?.min ?? 0, u.scales.x?.max ?? 0];
        marks.forEach((mark, i) => {
          const el = elements[i];
          if (!el) return;
          const from = Math.max(min, mark.fired);
          const to = Math.min(max, mark.resolved ?? max);
          el.hidden = to < from;
          if (el.hidden) return;
          const left = u.valToPos(from, 'x');
          el.style.left = `${left}px`;
          el.style.width = `${Math.max(2, u.valToPos(to, 'x') - left)}px`;
        });
      },
    },
  };
}

interface Mounted {
  plot: uPlot;
  observer: ResizeObserver;
}

function mount(container: HTMLElement, opts: Omit<uPlot.Options, 'width'>, data: uPlot.AlignedData): Mounted {
  const width = Math.max(320, container.clientWidth);
  const plot = new uPlot({ ...opts, width } as uPlot.Options, data, container);
  let last = width;
  const observer = new ResizeObserver(() => {
    const next = Math.max(320, container.clientWidth);
    if (Math.abs(next - last) >= 2) {
      last = next;
      plot.setSize({ width: next, height: opts.height });
    }
  });
  observer.observe(container);
  return { plot, observer };
}

/** Drag across the chart to pick a window; `onSelect` gets it in milliseconds. */
function selectHook(onSelect?: (from: number, to: number) => void) {
  return (u: uPlot) => {
    if (!onSelect || u.select.width < 4) return;
    const from = u.posToVal(u.select.left, 'x');
    const to = u.posToVal(u.select.left + u.select.width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    onSelect(Math.floor(from) * 1000, Math.ceil(to) * 1000);
  };
}

/** Tick labels in 24-hour UTC, the date under the first tick of each day. */
const DAY_S = 86_400;
const TIME_TICKS: uPlot.Axis.Values = [
  // tick step, label, rollover labels (year, month, day, hour, minute, second), concatenate
  [DAY_S * 365, '{YYYY}', null, null, null, null, null, null, 1],
  [DAY_S * 28, '{MMM}', '\n{YYYY}', null, null, null, null, null, 1],
  [DAY_S, '{MMM} {D}', '\n{YYYY}', null, null, null, null, null, 1],
  [3600, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{MMM} {D}', null, null, null, 1],
  [60, '{HH}:{mm}', '\n{YYYY}-{MM}-{DD}', null, '\n{MMM} {D}', null, null, null, 1],
  [1, ':{ss}', '\n{YYYY}-{MM}-{DD} {HH}:{mm}', null, '\n{MMM} {D} {HH}:{mm}', null, '\n{HH}:{mm}', null, 1],
] as unknown as uPlot.Axis.Values;

function valueAxis(colors: { text: string; grid: string }): uPlot.Axis {
  return { stroke: colors.text, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1 } };
}

function timeAxis(colors: { text: string; grid: string }): uPlot.Axis {
  return { ...valueAxis(colors), values: TIME_TICKS, space: 60 };
}

export interface StackSeries {
  label: string;
  color: string;
  values: number[];
}

/**
 * Stacked bars, the first series at the bottom. The legend and the data table show each series' own
 * counts, not the stacked sums.
 */
export function stackedBars(
  container: HTMLElement,
  options: { x: number[]; stepSeconds: number; series: StackSeries[]; height?: number; onSelect?: (from: number, to: number) => void; yLabel?: string; marks?: readonly AlertMark[] },
): Chart {
  const colors = axisColors();
  const raw = options.series.map((s) => s.values);
  const visible = options.series.map(() => true);

  const stack = () => {
    const acc = new Array<number>(options.x.length).fill(0);
    const stacked: number[][] = raw.map((values, i) => (visible[i] ? values.map((v, j) => (acc[j] = (acc[j] ?? 0) + v)) : values.slice()));
    const bands: uPlot.Band[] = [];
    for (let i = 1; i < raw.length; i++) {
      if (!visible[i]) continue;
      let below = -1;
      for (let j = i - 1; j >= 0; j--) if (visible[j]) { below = j; break; }
      if (below >= 0) bands.push({ series: [i + 1, below + 1] });
    }
    return { data: [options.x, ...stacked] as uPlot.AlignedData, bands };
  };

  const bars = uPlot.paths.bars!({ size: [0.86, 64], gap: 1, align: 1 });
  const first = stack();
  const height = options.height ?? 280;
  const { plot, observer } = mount(
    container,
    {
      height,
      tzDate: utc,
      padding: [12, 28, 0, 4],
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      legend: { live: true },
      focus: { alpha: 0.6 },
      plugins: [alertMarksPlugin(options.marks ?? [])],
      scales: { x: { time: true, range: (_u, min, max) => [min, max + options.stepSeconds] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        timeAxis(colors),
        { ...valueAxis(colors), size: 56, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? fmtInt(v) : '')), label: options.yLabel, labelSize: options.yLabel ? 18 : 0 },
      ],
      bands: first.bands,
      series: [
        { label: 'Time (UTC)', value: (_u, v) => (v === null || v === undefined ? '–' : fmtTime(v * 1000, false)) },
        ...options.series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          fill: s.color,
          width: 0,
          paths: bars,
          points: { show: false },
          value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx === null ? '–' : fmtInt(raw[i]?.[idx] ?? 0)),
        })),
      ],
      hooks: {
        setSelect: [selectHook(options.onSelect)],
        setSeries: [
          (u: uPlot, si: number | null) => {
            if (si === null || si < 1) return;
            const show = u.series[si]?.show !== false;
            if (visible[si - 1] === show) return;
            visible[si - 1] = show;
            const next = stack();
            u.delBand(null);
            for (const band of next.bands) u.addBand(band);
            u.setData(next.data);
          },
        ],
      },
    },
    first.data,
  );
  return {
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}

/** Error rate (line, left axis, %) over all requests (light bars, right axis). */
export function rateChart(
  container: HTMLElement,
  options: { x: number[]; stepSeconds: number; rate: Array<number | null>; requests: number[]; height?: number; onSelect?: (from: number, to: number) => void; marks?: readonly AlertMark[] },
): Chart {
  const colors = axisColors();
  const rateColor = cssVar('--danger', '#c63d2f');
  const reqColor = cssVar('--requests', 'rgba(78, 121, 167, 0.28)');
  const pct = options.rate.map((r) => (r === null ? null : r * 100));
  const height = options.height ?? 240;
  const { plot, observer } = mount(
    container,
    {
      height,
      tzDate: utc,
      padding: [12, 4, 0, 4],
      cursor: { drag: { x: true, y: false, setScale: false } },
      legend: { live: true },
      plugins: [alertMarksPlugin(options.marks ?? [])],
      scales: {
        x: { time: true, range: (_u, min, max) => [min, max + options.stepSeconds] },
        pct: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
        req: { range: (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1] },
      },
      axes: [
        timeAxis(colors),
        { ...valueAxis(colors), scale: 'pct', size: 56, values: (_u, splits) => splits.map((v) => `${+v.toFixed(2)}%`) },
        { ...valueAxis(colors), scale: 'req', side: 1, size: 60, grid: { show: false }, values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? fmtInt(v) : '')) },
      ],
      series: [
        { label: 'Time (UTC)', value: (_u, v) => (v === null || v === undefined ? '–' : fmtTime(v * 1000, false)) },
        {
          label: 'Requests',
          scale: 'req',
          stroke: reqColor,
          fill: reqColor,
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.86, 64], gap: 1, align: 1 }),
          points: { show: false },
          value: (_u, v) => (v === null || v === undefined ? '–' : fmtInt(v)),
        },
        {
          label: 'Error rate',
          scale: 'pct',
          stroke: rateColor,
          width: 2,
          spanGaps: false,
          points: { show: false },
          paths: uPlot.paths.stepped!({ align: 1 }),
          value: (_u, v) => (v === null || v === undefined ? '–' : fmtRate(v / 100)),
        },
      ],
      hooks: { setSelect: [selectHook(options.onSelect)] },
    },
    [options.x, options.requests, pct],
  );
  return {
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}

/** A collapsed table with a chart's numbers, built only when opened. */
export function dataTable(caption: string, build: () => { head: string[]; rows: Array<Array<string | number>> }): HTMLDetailsElement {
  const details = h('details', { class: 'data-table' }, h('summary', null, 'Show the numbers'));
  details.addEventListener('toggle', () => {
    if (!details.open || details.querySelector('table')) return;
    const { head, rows } = build();
    details.appendChild(
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'numbers' },
          h('caption', { class: 'sr-only' }, caption),
          h('thead', null, h('tr', null, head.map((c, i) => h('th', { scope: 'col', class: i > 0 ? 'num' : undefined }, c)))),
          h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, String(c)) : h('td', { class: 'num' }, typeof c === 'number' ? fmtInt(c) : c)))))),
        ),
      ),
    );
  });
  return details;
}
