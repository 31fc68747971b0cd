/**
 * The reads (@csbs-errors/query) know nothing of HTTP: their refusals become problems here, in the
 * /v1 scope, and go on to the problems plugin. A bad parameter is a 400 naming it; a query past its
 * time limit a 503, one past its row cap a 422.
 */
import type { FastifyInstance } from 'fastify';
import { InvalidParameter, QueryLimitExceeded } from '@csbs-errors/query';
import { ApiProblem, ParameterError } from '../problem.js';
import { skipOverride } from './skip-override.js';

export function problemOfQueryError(error: unknown): unknown {
  if (error instanceof InvalidParameter) return new ParameterError(error.parameter, error.reason);
  if (error instanceof QueryLimitExceeded) return new ApiProblem(error.limit === 'time' ? 'ERR_QUERY_TIMEOUT' : 'ERR_ANSWER_TOO_LARGE', error.message);
  return error;
}

export const queryErrorsPlugin = skipOverride(async (app: FastifyInstance) => {
  // Thrown from an error handler, an error goes to the parent scope's handler (the problems plugin).
  app.setErrorHandler((error) => {
    throw problemOfQueryError(error);
  });
});
