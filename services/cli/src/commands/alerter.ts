/**
 * `csbs-errors alerter`: the alert evaluator alone, with /metrics and /healthz on the API port. Several
 * replicas may run against one ClickHouse server: a lease makes one of them the active evaluator, the
 * others stand by (docs/alerting.md).
 */
import Fastify from 'fastify';
import { AlerterConfigError, RulesError, loadAlerterSettings, loadRules, startAlerter, type AlerterSettings, type Rule } from '@csbs-errors/alerter';
import { loadRuntime, onShutdown, openStore } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { config, logger, registry } = runtime;
  // Bad settings or rules fail here, before the store is opened.
  let settings: AlerterSettings;
  let rules: Rule[];
  try {
    settings = loadAlerterSettings();
    rules = loadRules(settings.rulesFile);
  } catch (error) {
    if (error instanceof AlerterConfigError || error instanceof RulesError) {
      process.stderr.write(`csbs-errors: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const store = await openStore(runtime);
  const alerter = startAlerter({ store, logger, registry, settings, rules });
  const server = Fastify();
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  const address = await server.listen({ host: config.api.host, port: config.api.port });
  logger.info({ metrics: `${address}/metrics` }, 'alert evaluator serving metrics');
  onShutdown(logger, async () => {
    await alerter.stop();
    await server.close();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
