/**
 * The query API: a Fastify app built from plugins with one job each: problems (errors as
 * application/problem+json), pressure (503 when the process is overloaded), OpenAPI (/openapi.json,
 * /docs), health (/healthz, /readyz, /metrics) and /v1, whose scope adds the token check and the rate
 * limit before its routes (every /v1 route: counts, codes, events, alerts, reports). Routes validate,
 * read through @csbs-errors/query and shape the answer. Parameters are validated with zod through the type provider.
 */
import { getHeapStatistics } from 'node:v8';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import underPressure from '@fastify/under-pressure';
import { loadDefaultCatalog, type Catalog } from '@csbs-errors/catalog';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import type { ApiToken } from '@csbs-errors/config';
import { boundQuery, cachedQuery, DEFAULT_QUERY_CACHE, DEFAULT_QUERY_LIMITS, ROLLUPS, type QueryCache, type QueryFn, type QueryLimits, type Rollup } from '@csbs-errors/query';
import type { ApiDeps } from './deps.js';
import { MAX_PATH_PARAM_LENGTH } from './problem.js';
import { clientErrorHandler, frameworkErrors, problemsPlugin, sendProblem } from './plugins/problems.js';
import { openapiPlugin } from './plugins/openapi.js';
import { v1Plugin, type RateLimitOptions } from './plugins/v1.js';
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
  /** Requests per window per token (per client address without tokens); false turns it off. Default 600 per minute (API_RATE_LIMIT_PER_MINUTE, see apiLimits). */
  rateLimit?: RateLimitOptions | false;
  /** Time limit and row cap of every store query. */
  queryLimits?: QueryLimits;
  /** Reuse of identical query answers for a short while (default 1 s, API_CACHE_TTL_MS); false turns it off. */
  cache?: QueryCache | false;
  /** Rollups the count queries may read (default all; [] = raw events only, for comparisons). */
  rollups?: readonly Rollup[];
  /** Clock for relative times and default windows. */
  now?: () => number;
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
    // Fastify logs each request twice (received, completed); logAnswered writes one line instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Long path parameters reach validation (a 400 naming them) instead of the router's 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAM_LENGTH },
    // The problems plugin answers requests that arrive while closing (as a problem, not plain JSON).
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
  });
  logAnswered(app);
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
        void sendProblem(request, reply, 'ERR_OVERLOADED', 'the server is overloaded; retry shortly');
      },
    });
  }
  await app.register(openapiPlugin, { tokens: deps.tokens.length > 0 });
  await app.register(healthRoutes, { ...deps, readiness: options.readiness ?? [] });
  await app.register(v1Plugin, { deps, rateLimit: options.rateLimit ?? { max: 600, timeWindowMs: 60_000 } });
  await app.register(dashboardPlugin, options.dashboard ?? {});
  return app;
}

/** Probes that orchestrators and Prometheus call every few seconds: their lines would drown the rest. */
const PROBE_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line per answered request (method, route, status, milliseconds) at info; health probes and
 * rate-limited answers (429: one client's flood) at debug only, so that LOG_LEVEL=debug still shows them.
 */
function logAnswered(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const quiet = reply.statusCode === 429 || PROBE_ROUTES.has(request.routeOptions.url ?? '');
    const line = { req: request, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 };
    if (quiet) request.log.debug(line, 'request completed');
    else request.log.info(line, 'request completed');
  });
}

function withCache(run: QueryFn, cache: QueryCache | false | undefined): QueryFn {
  return cache === false ? run : cachedQuery(run, cache ?? DEFAULT_QUERY_CACHE);
}
