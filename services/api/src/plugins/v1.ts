/**
 * The /v1 scope: who is asking (bearer token), how often (rate limit per token, or per client address
 * without tokens), then the routes. The order matters: the token is identified first, so that the
 * rate limit can key on it; a missing or unknown token is refused after the rate limit has counted it
 * (by address), so that guessing tokens is rate limited too.
 */
import type { FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { tokenTable } from '../auth.js';
import { ApiProblem } from '../problem.js';
import type { ApiDeps } from '../deps.js';
import { frequencyRoutes } from '../routes/frequency.js';
import { trendRoutes } from '../routes/trend.js';
import { rateRoutes } from '../routes/rate.js';
import { codesRoutes } from '../routes/codes.js';
import { eventsRoutes } from '../routes/events.js';
import { alertsRoutes } from '../routes/alerts.js';
import { reportsRoutes } from '../routes/reports.js';
import { queryErrorsPlugin } from './query-errors.js';

export interface RateLimitOptions {
  max: number;
  timeWindowMs: number;
}

export async function v1Plugin(app: FastifyInstance, options: { deps: ApiDeps; rateLimit: RateLimitOptions | false }): Promise<void> {
  const { deps } = options;
  const tokens = tokenTable(deps.tokens);
  await app.register(queryErrorsPlugin);
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    request.principal = tokens.identify(request.headers.authorization);
  });
  if (options.rateLimit !== false) {
    await app.register(rateLimit, {
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.timeWindowMs,
      // The key is the token's index or the client address: it stays in memory, it is never logged.
      keyGenerator: (request) => (request.principal?.id !== undefined ? `token:${request.principal.id}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiProblem('ERR_RATE_LIMITED', `rate limit of ${context.max} requests exceeded; retry in ${context.after}`),
    });
  }
  app.addHook('preValidation', async (request) => {
    if (request.principal === undefined) {
      throw new ApiProblem('ERR_UNAUTHORIZED', request.headers.authorization === undefined ? 'this server needs Authorization: Bearer <token>' : 'unknown token');
    }
  });
  await app.register(frequencyRoutes, deps);
  await app.register(trendRoutes, deps);
  await app.register(rateRoutes, deps);
  await app.register(codesRoutes, deps);
  await app.register(eventsRoutes, deps);
  await app.register(alertsRoutes, deps);
  await app.register(reportsRoutes, deps);
}
