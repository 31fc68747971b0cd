/**
 * The /v1 scope: who is asking (bearer token), how often (rate limit per token, or per client address
 * without tokens), then the routes. The order matters: the token is identified first, so that the
 * rate limit can key on it; a missing or unknown token is refused after the rate limit has counted it
 * (by address), so that guessing tokens is rate limited too.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { tokenTable } from '../auth.js';
import { ApiProblem } from '../problem.js';
import type { ApiDeps } from '../deps.js';
import { frequencyRoutes } from '../routes/frequency.js';
import { trendRoutes } from '../routes/trend.js';
import { rateRoutes } from '../routes/rate.js';
import { codesRoutes } from '../routes/codes.js';
import { eventsRoutes } from '../routes/events.js';

export interface RateLimitOptions {
  max: number;
  timeWindowMs: number;
}

/** A /v1 route plugin from another package; it gets the API's dependencies (query, catalog, clock). */
export type V1RoutePlugin = FastifyPluginAsync<ApiDeps>;

export async function v1Plugin(
  app: FastifyInstance,
  options: { deps: ApiDeps; rateLimit: RateLimitOptions | false; extraRoutes: V1RoutePlugin[] },
): Promise<void> {
  const { deps } = options;
  const tokens = tokenTable(deps.tokens);
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
  for (const routes of options.extraRoutes) await app.register(routes, deps);
}
