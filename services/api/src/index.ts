export { buildApi, type BuildApiOptions } from './app.js';
export { type ApiDeps } from './deps.js';
