/**
 * The query API: a Fastify app built from plugins with one job each: problems (errors as
 * application/problem+json), pressure (503 when the process is overloaded), OpenAPI (/openapi.json,
 * /docs), health (/healthz, /readyz, /metrics) and /v1, whose scope adds the token check and the rate
 * limit before its routes. Parameters are validated with zod through the type provider.
 */
import { STATUS_CODES } from 'node:http';
import { getHeapStatistics } from 'node:v8';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import underPressure from '@fastify/under-pressure';
import { loadDefaultCatalog, type Catalog } from '@csbs-errors/catalog';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import type { ApiToken } from '@csbs-errors/config';
import { boundQuery, cachedQuery, DEFAULT_QUERY_CACHE, DEFAULT_QUERY_LIMITS, type ApiDeps, type QueryCache, type QueryLimits } from './deps.js';
import { ROLLUPS, type Rollup } from './filters.js';
import { problemBody } from './problem.js';
import { problemsPlugin } from './plugins/problems.js';
import { openapiPlugin } from './plugins/openapi.js';
import { v1Plugin, type RateLimitOptions, type V1RoutePlugin } from './plugins/v1.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import { dashboardPlugin, type DashboardOptions } from '@csbs-errors/dashboard';

export interface BuildApiOptions {
  store: ClickHouseClient;
  registry: Registry;
  logger: Logger;
  /** API_TOKENS: with any, every /v1 request needs one of them as a bearer token. */
  tokens?: ApiToken[];
  /** The error catalog (default: the package's data file). */
  catalog?: Catalog;
  /** Requests per window per token (per client address without tokens); false turns it off. Default 600 per minute. */
  rateLimit?: RateLimitOptions | false;
  /** Time limit and row cap of every store query. */
  queryLimits?: QueryLimits;
  /** Reuse of identical query answers for a short while (default 1 s); false turns it off. */
  cache?: QueryCache | false;
  /** Rollups the count queries may read (default all; [] = raw events only, for comparisons). */
  rollups?: readonly Rollup[];
  /** Clock for relative times and default windows. */
  now?: () => number;
  /**
   * More /v1 routes from other packages (alerts, reports), registered inside the /v1 scope so that
   * the token check and the rate limit apply to them too. The CLI wires them; the API knows none.
   */
  extraRoutes?: V1RoutePlugin[];
  /** Where the dashboard's built assets are (default: the dashboard package's build). */
  dashboard?: DashboardOptions;
  /** More parts of the process that /readyz answers for (the ingest worker in `serve`). */
  readiness?: ReadinessCheck[];
  /** Overload protection (@fastify/under-pressure); false turns it off. */
  pressure?: { maxEventLoopDelayMs?: number; maxHeapUsedRatio?: number } | false;
}

export async function buildApi(options: BuildApiOptions): Promise<FastifyInstance> {
  const deps: ApiDeps = {
    store: options.store,
    query: withCache(boundQuery(options.store, options.queryLimits ?? DEFAULT_QUERY_LIMITS), options.cache),
    registry: options.registry,
    logger: options.logger,
    tokens: options.tokens ?? [],
    catalog: options.catalog ?? loadDefaultCatalog(),
    rollups: options.rollups ?? ROLLUPS,
    now: options.now ?? Date.now,
  };
  // Request logs carry the method, the route and the status: never headers, tokens or client addresses.
  const logger = options.logger.child(
    { component: 'api' },
    {
      serializers: {
        req: (req: { method?: string; routeOptions?: { url?: string }; url?: string }) => ({ method: req.method, route: req.routeOptions?.url ?? req.url?.split('?')[0] }),
        res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
      },
    },
  );
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Long path parameters reach validation (a 400 naming them) instead of the router's 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2_048 },
    return503OnClosing: true,
    // Requests Node cannot even parse (header or request line too large, malformed) get a problem too.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (!socket.writable) return;
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const body = JSON.stringify(problemBody(status, STATUS_CODES[status] ?? 'Bad request', 'the request could not be read (request line or headers too large, or malformed)'));
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(problemsPlugin);
  if (options.pressure !== false) {
    const heapLimit = getHeapStatistics().heap_size_limit;
    await app.register(underPressure, {
      maxEventLoopDelay: options.pressure?.maxEventLoopDelayMs ?? 1_000,
      maxHeapUsedBytes: Math.floor(heapLimit * (options.pressure?.maxHeapUsedRatio ?? 0.9)),
      pressureHandler: (request, reply, type, value) => {
        // Liveness stays green under load: a restart would not help.
        if (request.url.startsWith('/healthz')) return;
        request.log.warn({ pressure: type, value }, 'overloaded: shedding a request');
        void reply.code(503).header('retry-after', '5').type('application/problem+json').send(problemBody(503, 'Overloaded', 'the server is overloaded; retry shortly'));
      },
    });
  }
  await app.register(openapiPlugin, { tokens: deps.tokens.length > 0 });
  await app.register(healthRoutes, { ...deps, readiness: options.readiness ?? [] });
  await app.register(v1Plugin, { deps, rateLimit: options.rateLimit ?? { max: 600, timeWindowMs: 60_000 }, extraRoutes: options.extraRoutes ?? [] });
  await app.register(dashboardPlugin, options.dashboard ?? {});
  return app;
}

function withCache(run: ApiDeps['query'], cache: QueryCache | false | undefined): ApiDeps['query'] {
  return cache === false ? run : cachedQuery(run, cache ?? DEFAULT_QUERY_CACHE);
}
