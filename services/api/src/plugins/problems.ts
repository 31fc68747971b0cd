/**
 * Every error leaves as application/problem+json of a catalogued type (../problem.ts): validation
 * failures name every invalid parameter; our own ApiProblems carry their code; the framework's errors
 * (unknown route or method, bodies, URLs it cannot route, requests Node cannot parse, closing) are
 * mapped to their type; anything else is a 500 whose details stay in the server log.
 *
 * Two of the framework's answers are written before any handler runs, so they are options of the
 * Fastify constructor: `frameworkErrors` (bad percent-encoding, over-long path parameter) and
 * `clientErrorHandler` (request line or headers Node cannot read).
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiProblem, MAX_PATH_PARAM_LENGTH, PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemBody, type InvalidParam, type ProblemCode, type ProblemOptions } from '../problem.js';
import { skipOverride } from './skip-override.js';

/** Answers a problem of `code` (status, content type and the headers its type calls for). */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, code: ProblemCode, detail: string, options: ProblemOptions = {}): FastifyReply {
  const { status } = PROBLEM_TYPES[code];
  if (code === 'ERR_UNAUTHORIZED') void reply.header('www-authenticate', 'Bearer realm="csbs-errors"');
  if (status === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '5');
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problemBody(code, detail, { ...options, requestId: request.id }));
}

type ValidationItem = { keyword?: string; instancePath?: string; message?: string; params?: unknown };

/** Every request parameter a validation failure is about (once each, first reason), in order. */
function invalidParamsOf(validation: readonly ValidationItem[]): InvalidParam[] {
  const found = new Map<string, string>();
  for (const item of validation) {
    if (item.keyword === 'unrecognized_keys') {
      const keys = (item.params as { keys?: unknown } | undefined)?.keys;
      for (const key of Array.isArray(keys) ? keys : []) if (typeof key === 'string' && !found.has(key)) found.set(key, 'unknown parameter');
      continue;
    }
    const name = item.instancePath?.replace(/^\//, '').split('/')[0] || 'query';
    if (!found.has(name)) found.set(name, item.message ?? 'invalid value');
  }
  if (found.size === 0) found.set('query', 'invalid value');
  return [...found].map(([name, reason]) => ({ name, reason }));
}

/** Answers an ApiProblem thrown anywhere (its code, detail and parameters). */
export function sendApiProblem(request: FastifyRequest, reply: FastifyReply, problem: ApiProblem): FastifyReply {
  return sendProblem(request, reply, problem.code, problem.message, {
    ...(problem.parameter !== undefined ? { parameter: problem.parameter } : {}),
    ...(problem.invalidParams !== undefined ? { invalidParams: problem.invalidParams } : {}),
  });
}

/** A 400 naming every parameter a (zod) validation failure is about. */
export function sendValidationProblem(request: FastifyRequest, reply: FastifyReply, validation: readonly ValidationItem[]): FastifyReply {
  const invalidParams = invalidParamsOf(validation);
  const first = invalidParams[0]!;
  return sendProblem(request, reply, 'ERR_INVALID_PARAMETER', `${first.name}: ${first.reason}`, { parameter: first.name, invalidParams });
}

/** The framework's own 4xx errors, by their code (fastify's lib/errors.js), else by their status. */
const FRAMEWORK_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'ERR_INVALID_URL',
  FST_ERR_MAX_PARAM_LENGTH: 'ERR_URI_TOO_LONG',
};
const BY_STATUS: Record<number, ProblemCode> = { 404: 'ERR_NOT_FOUND', 405: 'ERR_METHOD_NOT_ALLOWED', 408: 'ERR_REQUEST_TIMEOUT', 413: 'ERR_BODY_TOO_LARGE', 414: 'ERR_URI_TOO_LONG', 415: 'ERR_UNSUPPORTED_MEDIA_TYPE', 429: 'ERR_RATE_LIMITED', 431: 'ERR_HEADERS_TOO_LARGE' };

function frameworkProblem(error: FastifyError): ProblemCode | undefined {
  const byCode = error.code === undefined ? undefined : FRAMEWORK_CODES[error.code];
  if (byCode) return byCode;
  const status = error.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return BY_STATUS[status] ?? 'ERR_BAD_REQUEST';
}

/** Fastify's `frameworkErrors`: a URL it cannot route (bad percent-encoding, over-long parameter). */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  // The detail never repeats the URL: it may hold anything the client put there.
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendProblem(request, reply, 'ERR_URI_TOO_LONG', `a path parameter exceeds ${MAX_PATH_PARAM_LENGTH} characters`);
  if (error.code === 'FST_ERR_BAD_URL') return sendProblem(request, reply, 'ERR_INVALID_URL', 'the URL is not valid percent-encoding');
  return sendProblem(request, reply, 'ERR_INTERNAL', 'the request could not be routed');
};

/** Fastify's `clientErrorHandler`: a request Node could not parse, answered on the raw socket. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const code: ProblemCode = error.code === 'HPE_HEADER_OVERFLOW' ? 'ERR_HEADERS_TOO_LARGE' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'ERR_REQUEST_TIMEOUT' : 'ERR_BAD_REQUEST';
  const { status, title } = PROBLEM_TYPES[code];
  const body = JSON.stringify(problemBody(code, 'the request could not be read (request line or headers too large, or malformed)'));
  socket.end(`HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The methods each route pattern answers, to tell 405 from 404. */
function routeMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const source = route.url.replace(/\/+$/, '').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+').replace(/\*/g, '.*');
    routes.push({ pattern: new RegExp(`^${source}/?$`), methods: [route.method].flat() });
  });
  return (path) => [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))];
}

export const problemsPlugin = skipOverride(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) return sendValidationProblem(request, reply, error.validation);
    if (error instanceof ApiProblem) return sendApiProblem(request, reply, error);
    const code = frameworkProblem(error);
    if (code === undefined) {
      request.log.error({ err: error }, 'request failed');
      return sendProblem(request, reply, 'ERR_INTERNAL', 'the request could not be answered; see the server log');
    }
    return sendProblem(request, reply, code, code === 'ERR_BAD_REQUEST' && typeof error.message === 'string' ? error.message.slice(0, 300) : PROBLEM_TYPES[code].description);
  });

  const methodsOf = routeMethods(app);
  app.setNotFoundHandler((request, reply) => {
    const allowed = methodsOf(request.url.split('?')[0] ?? '/');
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      void reply.header('allow', allowed.join(', '));
      return sendProblem(request, reply, 'ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allowed.join(' or ')}`);
    }
    return sendProblem(request, reply, 'ERR_NOT_FOUND', 'no such resource');
  });

  // While the server closes, new requests get a problem (Fastify's own 503 would be plain JSON).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    void reply.header('connection', 'close');
    return sendProblem(request, reply, 'ERR_SHUTTING_DOWN', 'the server is shutting down; retry shortly');
  });
});
