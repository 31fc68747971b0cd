/**
 * Logs and metrics shared by the services. Logs are pino JSON on stdout; anything that could hold a
 * token, a header or a raw record is redacted by path, and callers never pass raw records to a logger.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';

export type { Logger } from 'pino';

const redactedPaths = [
  'token',
  'authorization',
  'headers',
  'req.headers',
  'request.headers',
  'res.headers',
  'body',
  'raw',
  'value',
  'client_ip',
  'remoteAddress',
  'req.remoteAddress',
];

export function createLogger(level: LevelWithSilent, name = 'csbs-errors'): Logger {
  return pino({
    name,
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      // Fastify's default request serializer includes the client address and host; keep method and route only.
      req: (req: { method?: string; routeOptions?: { url?: string }; url?: string }) => ({
        method: req.method,
        route: req.routeOptions?.url ?? req.url?.split('?')[0],
      }),
      err: pino.stdSerializers.err,
    },
  });
}

/** One registry per process, with the Node.js process metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'csbs_errors_' });
  return registry;
}

export { Registry } from 'prom-client';
