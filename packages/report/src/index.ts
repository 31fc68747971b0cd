export { buildReport, DEFAULT_LIMITS, type BuildReportOptions, type ReportLimits } from './build.js';
export { renderMarkdown } from './markdown.js';
export { postmortemRoutes, type PostmortemRouteOptions } from './api.js';
export { clientQuery, type QueryFn } from './query.js';
export { NO_FILTERS, type Filters } from './sql.js';
export { MAX_REPORT_WINDOW_MS, WindowError, previousWindow, resolveWindow, type Window } from './window.js';
export { placeholderKinds, RESOURCE_KINDS } from './resources.js';
export type * from './model.js';
