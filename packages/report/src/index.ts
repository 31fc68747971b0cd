export { buildReport, DEFAULT_LIMITS, type BuildReportOptions, type ReportLimits } from './build.js';
export { renderMarkdown } from './markdown.js';
export { placeholderKinds, RESOURCE_KINDS } from './resources.js';
