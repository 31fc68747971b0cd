/** What the long-running commands share: configuration, logs, metrics, the store, signals. */
import { loadConfig, ConfigError, type Config } from '@csbs-errors/config';
import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@csbs-errors/observability';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ReadinessCheck } from '@csbs-errors/api';
import { AlerterConfigError, RulesError, loadAlerterSettings, loadRules, type AlerterSettings, type Rule } from '@csbs-errors/alerter';
import { applyRetention, createStoreClient, describeTarget, migrate, parseStoreUrl, type ClickHouseClient } from '@csbs-errors/store';

export interface Runtime {
  config: Config;
  logger: Logger;
  registry: Registry;
}

export function loadRuntime(): Runtime {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`csbs-errors: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  return { config, logger: createLogger(config.logLevel), registry: createMetricsRegistry() };
}

/** Opens the store and brings its schema up to date (migrations, retention). */
export async function openStore(runtime: Runtime): Promise<ClickHouseClient> {
  const { url, cluster, retentionDays } = runtime.config.clickhouse;
  const target = parseStoreUrl(url);
  if (cluster !== undefined && target.kind === 'embedded') throw new Error('CLICKHOUSE_CLUSTER needs a ClickHouse server (CLICKHOUSE_URL=http(s)://...)');
  const client = createStoreClient(target, { cluster });
  const result = await migrate(client, undefined, { cluster });
  const retention = await applyRetention(client, retentionDays, { cluster });
  runtime.logger.info(
    { store: describeTarget(target), migrations_applied: result.applied.map((m) => m.version), retention_changed: retention },
    'store ready',
  );
  return client;
}

/** Loopback addresses need no tokens; anything else exposes the data to the network. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Runs `stop` once on SIGTERM/SIGINT and exits; a second signal or a stuck stop exits at once. */
export function onShutdown(logger: Logger, stop: () => Promise<void>, timeoutMs = 20_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** Alerter settings and rules, checked before anything starts: a bad one exits 2 with its message. */
export function loadAlerterSetup(): { settings: AlerterSettings; rules: Rule[] } {
  try {
    const settings = loadAlerterSettings();
    return { settings, rules: loadRules(settings.rulesFile) };
  } catch (error) {
    if (error instanceof AlerterConfigError || error instanceof RulesError) {
      process.stderr.write(`csbs-errors: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** /healthz, /readyz (the `readiness` checks) and /metrics on HOST:PORT, for the services that run without the API. */
export async function serveOperations(runtime: Runtime, what: string, readiness: ReadinessCheck[] = []): Promise<FastifyInstance> {
  const { config, logger, registry } = runtime;
  const server = Fastify();
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_request, reply) => {
    const checks = Object.fromEntries(readiness.map((check) => [check.name, check.status()]));
    const ready = Object.values(checks).every((status) => status.ready);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', ...checks });
  });
  server.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  const address = await server.listen({ host: config.api.host, port: config.api.port });
  logger.info({ metrics: `${address}/metrics` }, `${what} serving metrics`);
  return server;
}
