export { buildApi, type BuildApiOptions } from './app.js';
export { parseInstant } from './time.js';
export { ROLLUPS, type Rollup } from './filters.js';
