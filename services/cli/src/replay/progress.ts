/**
 * Progress of a long run on stderr: on a terminal a bar redrawn in place with the rate and the time
 * left; otherwise (a log file, CI) a plain line now and then, so that logs stay readable.
 */
export interface ProgressState {
  done: number;
  total: number;
  elapsedMs: number;
}

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** `1:05`, `1:02:03`; `--:--` when unknown. */
export function clock(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '--:--';
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function rateOf(state: ProgressState): number | null {
  return state.elapsedMs > 0 ? (state.done * 1000) / state.elapsedMs : null;
}

export function etaOf(state: ProgressState): number | null {
  const rate = rateOf(state);
  if (rate === null || rate === 0) return null;
  return ((state.total - state.done) / rate) * 1000;
}

const percentOf = (state: ProgressState) => (state.total > 0 ? Math.min(100, (state.done / state.total) * 100) : 100);
const perSecond = (rate: number | null) => (rate === null ? '-' : Math.round(rate).toLocaleString('en-US'));

/** The terminal line: `label [#####.....]  45%  12,345/27,000 lines  3,210 lines/s  ETA 0:05`. */
export function renderBar(label: string, state: ProgressState, width: number): string {
  const stats = ` ${percentOf(state).toFixed(0).padStart(3)}%  ${state.done.toLocaleString('en-US')}/${state.total.toLocaleString('en-US')} lines  ${perSecond(rateOf(state))} lines/s  ETA ${clock(etaOf(state))}`;
  const barWidth = Math.max(10, Math.min(40, width - label.length - stats.length - 4));
  const filled = Math.round((percentOf(state) / 100) * barWidth);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${stats}`;
}

/** The plain line for logs. */
export function renderLine(label: string, state: ProgressState): string {
  return `${label}: ${percentOf(state).toFixed(0)}% (${state.done}/${state.total} lines), ${perSecond(rateOf(state))} lines/s, ETA ${clock(etaOf(state))}`;
}

export class Progress {
  readonly #started: number;
  #lastShown = -Infinity;
  #drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly label: string,
    private readonly total: number,
    private readonly options: { lineEveryMs?: number; redrawEveryMs?: number; now?: () => number } = {},
  ) {
    this.#started = this.now();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  update(done: number): void {
    const now = this.now();
    const every = this.sink.isTTY ? (this.options.redrawEveryMs ?? 100) : (this.options.lineEveryMs ?? 10_000);
    // Plain lines start after a first interval: a short run prints no progress at all.
    if (!this.sink.isTTY && this.#lastShown === -Infinity) this.#lastShown = this.#started;
    if (now - this.#lastShown < every) return;
    this.#lastShown = now;
    this.show(done, now);
  }

  /** Clears the bar (a terminal) so that what follows starts on a clean line. */
  finish(): void {
    if (this.sink.isTTY && this.#drawn) this.sink.write('\r\x1b[2K');
    this.#drawn = false;
  }

  private show(done: number, now: number): void {
    const state = { done, total: this.total, elapsedMs: now - this.#started };
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${renderBar(this.label, state, this.sink.columns ?? 80)}`);
      this.#drawn = true;
    } else this.sink.write(`${renderLine(this.label, state)}\n`);
  }
}
