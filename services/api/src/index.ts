export { buildApi, type BuildApiOptions } from './app.js';
export type { ReadinessCheck } from './routes/health.js';
export { parseInstant } from './time.js';
export { ROLLUPS, commonQuery, resolveWindow, ParameterError, type Rollup } from './filters.js';
export type { V1RoutePlugin } from './plugins/v1.js';
export { boundQuery, type ApiDeps } from './deps.js';
export { principalOf } from './auth.js';
