/** What a view gets: where it is, the window, a signal that aborts when the page moves on. */
import type { Chart } from './charts.js';
import type { Route, Window } from './state.js';

export interface ViewContext {
  route: Route;
  win: Window;
  signal: AbortSignal;
  /** Optional endpoints this server has (from the page's meta tag). */
  features: Set<string>;
  /** Charts to destroy when the view goes. */
  charts: Chart[];
  /** Narrows the window (drag on a chart). */
  zoom(from: number, to: number): void;
  /** Reports a 401 to the shell, which asks for a token. */
  unauthorized(): void;
}
