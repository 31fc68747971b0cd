export { buildApi } from './app.js';
export { parseInstant } from './time.js';
