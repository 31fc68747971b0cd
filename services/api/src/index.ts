export { buildApi, type BuildApiOptions } from './app.js';
export { apiLimits } from './settings.js';
export { ApiProblem, PROBLEM_TYPES, problemBody, problemTypeUri, type ProblemBody, type ProblemCode } from './problem.js';
