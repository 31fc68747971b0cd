/**
 * `csbs-errors alerter`: the alert evaluator alone, with /metrics and /healthz on the API port. Several
 * replicas may run against one ClickHouse server: a lease makes one of them the active evaluator, the
 * others stand by (docs/alerting.md).
 */
import { startAlerter } from '@csbs-errors/alerter';
import { loadAlerterSetup, loadRuntime, onShutdown, openStore, serveOperations } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { logger, registry } = runtime;
  const { settings, rules } = loadAlerterSetup();
  const store = await openStore(runtime);
  const alerter = startAlerter({ store, logger, registry, settings, rules });
  const server = await serveOperations(runtime, 'alert evaluator');
  onShutdown(logger, async () => {
    await alerter.stop();
    await server.close();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
