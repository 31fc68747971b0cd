/**
 * Every error answer of the API is `application/problem+json` (RFC 9457) of one of the problem types
 * below, in the manner of fastify's lib/errors.js: a stable code, an HTTP status, a title and a
 * `type` URI (a URN: it names the problem, whatever host serves the API). The code is what clients
 * branch on; the detail is for people. Bad input names the parameter (`parameter`, and every invalid
 * one in `invalid_params`). The catalog is documented in docs/api-problems.md and in the OpenAPI
 * description; a test keeps the three in step.
 */

/** The longest path parameter the router passes on (longer is ERR_URI_TOO_LONG; shorter reaches validation). */
export const MAX_PATH_PARAM_LENGTH = 2_048;

export interface ProblemType {
  status: number;
  title: string;
  /** When the API answers with it (documentation and OpenAPI). */
  description: string;
}

export const PROBLEM_TYPES = {
  ERR_INVALID_PARAMETER: { status: 400, title: 'Invalid parameter', description: 'A query or path parameter is invalid or unknown (cursors included); `parameter` names the first, `invalid_params` lists each with the reason.' },
  ERR_INVALID_URL: { status: 400, title: 'Invalid URL', description: 'The URL is not valid percent-encoding (e.g. `%zz`, or bytes that are not UTF-8).' },
  ERR_BAD_REQUEST: { status: 400, title: 'Bad request', description: 'The request could not be read (malformed request line, headers or body).' },
  ERR_UNAUTHORIZED: { status: 401, title: 'Unauthorized', description: 'This server needs `Authorization: Bearer <token>` on /v1, and the token was missing or unknown (with `WWW-Authenticate`).' },
  ERR_FORBIDDEN_TENANT: { status: 403, title: 'Forbidden', description: 'A tenant token asked for another tenant; `parameter` is `tenant`.' },
  ERR_NOT_FOUND: { status: 404, title: 'Not found', description: 'No such resource: the path is not one of the API\'s.' },
  ERR_UNKNOWN_CODE: { status: 404, title: 'Unknown error code', description: 'The error code is neither in the catalog nor was it ever seen (in the token\'s tenant).' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', description: 'The path exists, for other methods (listed in `Allow`).' },
  ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout', description: 'The request did not arrive in time.' },
  ERR_BODY_TOO_LARGE: { status: 413, title: 'Body too large', description: 'The request body exceeds the body limit (the API reads no bodies).' },
  ERR_URI_TOO_LONG: { status: 414, title: 'URI too long', description: `A path parameter is longer than the router accepts (${MAX_PATH_PARAM_LENGTH} characters).` },
  ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type', description: 'The request body has a content type the API does not read.' },
  ERR_ANSWER_TOO_LARGE: { status: 422, title: 'Answer too large', description: 'The answer would exceed the row cap of a store query: narrow the window or the filters, or lower `limit`.' },
  ERR_RATE_LIMITED: { status: 429, title: 'Too many requests', description: 'The token (or, without tokens, the client address) exceeded its requests per minute (API_RATE_LIMIT_PER_MINUTE); `Retry-After` says when to retry.' },
  ERR_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large', description: 'The request line or headers exceed about 16 KB: fewer or shorter parameters.' },
  ERR_INTERNAL: { status: 500, title: 'Internal error', description: 'The request could not be answered (e.g. the store failed); the cause is in the server log, never in the answer.' },
  ERR_OVERLOADED: { status: 503, title: 'Overloaded', description: 'The process is overloaded (event loop delay or heap); `Retry-After` says when to retry.' },
  ERR_QUERY_TIMEOUT: { status: 503, title: 'Query too slow', description: 'A store query ran past its time limit: narrow the window or the filters (`Retry-After`).' },
  ERR_SHUTTING_DOWN: { status: 503, title: 'Shutting down', description: 'The server is closing; retry against another instance.' },
} as const satisfies Record<string, ProblemType>;

export type ProblemCode = keyof typeof PROBLEM_TYPES;
export const PROBLEM_CODES = Object.keys(PROBLEM_TYPES) as ProblemCode[];

/** The `type` URI of a problem: `urn:csbs-errors:problem:invalid-parameter` for ERR_INVALID_PARAMETER. */
export function problemTypeUri(code: ProblemCode): string {
  return `urn:csbs-errors:problem:${code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', '-')}`;
}

export interface InvalidParam {
  name: string;
  reason: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The occurrence: `urn:csbs-errors:request:<request id>`, the id the server log carries. */
  instance?: string;
  code: ProblemCode;
  parameter?: string;
  invalid_params?: InvalidParam[];
}

export interface ProblemOptions {
  parameter?: string;
  /** Every invalid parameter (default: `parameter` with the detail). */
  invalidParams?: InvalidParam[];
}

/** An error that leaves the API as the problem of its code; anything else becomes ERR_INTERNAL. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly parameter: string | undefined;
  readonly invalidParams: InvalidParam[] | undefined;

  constructor(
    readonly code: ProblemCode,
    detail: string,
    options: ProblemOptions = {},
  ) {
    super(detail);
    this.status = PROBLEM_TYPES[code].status;
    this.title = PROBLEM_TYPES[code].title;
    this.parameter = options.parameter;
    this.invalidParams = options.invalidParams;
  }
}

/** A bad request parameter: a 400 naming it, its detail starting with the name. */
export class ParameterError extends ApiProblem {
  constructor(parameter: string, message: string) {
    super('ERR_INVALID_PARAMETER', `${parameter}: ${message}`, { parameter, invalidParams: [{ name: parameter, reason: message }] });
  }
}

export function requestInstance(requestId: string): string {
  return `urn:csbs-errors:request:${requestId}`;
}

export function problemBody(code: ProblemCode, detail: string, options: ProblemOptions & { requestId?: string } = {}): ProblemBody {
  const { status, title } = PROBLEM_TYPES[code];
  const invalid = options.invalidParams ?? (code === 'ERR_INVALID_PARAMETER' && options.parameter !== undefined ? [{ name: options.parameter, reason: detail }] : undefined);
  return {
    type: problemTypeUri(code),
    title,
    status,
    detail,
    ...(options.requestId !== undefined ? { instance: requestInstance(options.requestId) } : {}),
    code,
    ...(options.parameter !== undefined ? { parameter: options.parameter } : {}),
    ...(invalid !== undefined ? { invalid_params: invalid } : {}),
  };
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problem document, as JSON Schema for the OpenAPI description. */
export const problemJsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is one of the problem types listed in the API description',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'urn:csbs-errors:problem:<name>, one per code' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string', format: 'uri', description: 'urn:csbs-errors:request:<id>, the request id in the server log' },
    code: { type: 'string', enum: PROBLEM_CODES },
    parameter: { type: 'string', description: 'the offending request parameter (400, 403)' },
    invalid_params: {
      type: 'array',
      description: 'every invalid parameter (400)',
      items: { type: 'object', required: ['name', 'reason'], properties: { name: { type: 'string' }, reason: { type: 'string' } } },
    },
  },
} as const;

/** The catalog as a markdown table, for the OpenAPI description. */
export function problemTypesMarkdown(): string {
  const rows = PROBLEM_CODES.map((code) => {
    const { status, title, description } = PROBLEM_TYPES[code];
    return `| ${status} | \`${code}\` | ${title} | ${description.replaceAll('|', '\\|')} |`;
  });
  return ['| status | code | title | when |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * The error answers a /v1 route can give, documented as application/problem+json with the codes each
 * status may carry (the routes' zod schemas cover 200 only: errors are written by the error handler).
 */
export function problemResponsesFor(url: string, tokens: boolean): Record<string, unknown> {
  const entry = (...codes: ProblemCode[]) => ({
    description: codes.map((code) => `\`${code}\`: ${PROBLEM_TYPES[code].description}`).join('\n\n'),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemJsonSchema } },
  });
  return {
    400: entry('ERR_INVALID_PARAMETER', 'ERR_INVALID_URL'),
    ...(tokens ? { 401: entry('ERR_UNAUTHORIZED'), 403: entry('ERR_FORBIDDEN_TENANT') } : {}),
    ...(url.includes('{code}') || url.includes(':code') ? { 404: entry('ERR_UNKNOWN_CODE'), 414: entry('ERR_URI_TOO_LONG') } : {}),
    422: entry('ERR_ANSWER_TOO_LARGE'),
    429: entry('ERR_RATE_LIMITED'),
    431: entry('ERR_HEADERS_TOO_LARGE'),
    500: entry('ERR_INTERNAL'),
    503: entry('ERR_OVERLOADED', 'ERR_QUERY_TIMEOUT', 'ERR_SHUTTING_DOWN'),
  };
}
