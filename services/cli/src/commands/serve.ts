/** `csbs-errors serve`: ingest worker, API and alert evaluator in one process (one process owns an embedded store). */
import { startIngest } from '@csbs-errors/ingest';
import { apiLimits, buildApi } from '@csbs-errors/api';
import { startAlerter } from '@csbs-errors/alerter';
import { isLoopback, loadAlerterSetup, loadRuntime, onShutdown, openStore } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { config, logger, registry } = runtime;
  if (config.api.tokens.length === 0 && !isLoopback(config.api.host)) {
    process.stderr.write(`csbs-errors: refusing to listen on ${config.api.host} without API tokens; set API_TOKENS or API_TOKENS_FILE, or HOST=127.0.0.1\n`);
    return 2;
  }
  const { settings: alerterSettings, rules: alertRules } = loadAlerterSetup();
  const store = await openStore(runtime);
  const api = await buildApi({ store, registry, logger, tokens: config.api.tokens, ...apiLimits(config.api) });
  const ingest = await startIngest({ config, store, logger, registry });
  const address = await api.listen({ host: config.api.host, port: config.api.port });
  const alerter = startAlerter({ store, logger, registry, settings: alerterSettings, rules: alertRules, defaultDashboardUrl: address });
  logger.info({ url: address }, 'serving');
  process.stdout.write(`csbs-errors serving on ${address} (dashboard ${address}/, API docs ${address}/docs)\n`);
  onShutdown(logger, async () => {
    await ingest.stop();
    await api.close();
    await alerter.stop();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
