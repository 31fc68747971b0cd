/**
 * Every error leaves as application/problem+json. Validation failures name the parameter; our own
 * ApiProblems carry status, title and parameter; other 4xx keep their (framework) message; anything
 * else is a 500 whose details stay in the server log, never in the answer.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiProblem, problemBody } from '../problem.js';
import { skipOverride } from './skip-override.js';

type ValidationItem = { keyword?: string; instancePath: string; message?: string; params: unknown };

/** The request parameter a validation failure is about, and what is wrong with it. */
function parameterOf(error: { validation: ValidationItem[] }): { parameter: string; message: string } {
  const first = error.validation[0];
  if (first?.keyword === 'unrecognized_keys') {
    const keys = (first.params as { keys?: unknown } | undefined)?.keys;
    return { parameter: Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : 'query', message: 'unknown parameter' };
  }
  const fromPath = first?.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  return { parameter: fromPath !== '' ? fromPath : 'query', message: first?.message ?? 'invalid value' };
}

export const problemsPlugin = skipOverride(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    void reply.type('application/problem+json');
    if (hasZodFastifySchemaValidationErrors(error)) {
      const { parameter, message } = parameterOf(error);
      return reply.code(400).send(problemBody(400, 'Invalid parameter', `${parameter}: ${message}`, parameter));
    }
    if (error instanceof ApiProblem) {
      if (error.status === 401) void reply.header('www-authenticate', 'Bearer realm="csbs-errors"');
      if (error.status === 503) void reply.header('retry-after', '5');
      return reply.code(error.status).send(problemBody(error.status, error.title, error.message, error.parameter));
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(problemBody(500, 'Internal error', 'the request could not be answered; see the server log'));
    }
    const title = status === 429 ? 'Too many requests' : status === 404 ? 'Not found' : 'Bad request';
    return reply.code(status).send(problemBody(status, title, typeof error.message === 'string' ? error.message.slice(0, 300) : title));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type('application/problem+json').send(problemBody(404, 'Not found', 'no such resource')),
  );
});
