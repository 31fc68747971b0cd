/**
 * Errors that leave the API as `application/problem+json` (RFC 9457): a status, a title, a detail and,
 * for bad input, the name of the parameter. Anything else becomes a 500 without details.
 */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly parameter?: string,
  ) {
    super(detail);
  }
}

/** A bad request parameter: 400 naming it. */
export class ParameterError extends ApiProblem {
  constructor(parameter: string, message: string) {
    super(400, 'Invalid parameter', `${parameter}: ${message}`, parameter);
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  parameter?: string;
}

export function problemBody(status: number, title: string, detail: string, parameter?: string): ProblemBody {
  return { type: 'about:blank', title, status, detail, ...(parameter !== undefined ? { parameter } : {}) };
}

/** The problem document, as JSON Schema for the OpenAPI description. */
export const problemJsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    parameter: { type: 'string', description: 'the offending request parameter (400, 403)' },
  },
} as const;

/**
 * The error answers a /v1 route can give, documented as application/problem+json (the routes' zod
 * schemas cover 200 only: errors are written by the error handler, never serialized by a route).
 */
export function problemResponsesFor(url: string, tokens: boolean): Record<string, unknown> {
  const entry = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemJsonSchema } } });
  return {
    400: entry('an invalid or unknown parameter, named in `parameter`'),
    ...(tokens ? { 401: entry('missing or unknown bearer token'), 403: entry('the token may not read the tenant asked for') } : {}),
    ...(url.includes('{code}') || url.includes(':code') ? { 404: entry('neither in the catalog nor ever seen') } : {}),
    422: entry('the answer would exceed the row cap'),
    431: entry('request line or headers too large (about 16 KB): fewer or shorter parameters'),
    429: entry('rate limit exceeded (Retry-After)'),
    503: entry('overloaded, or the query ran past its time limit (Retry-After)'),
  };
}
