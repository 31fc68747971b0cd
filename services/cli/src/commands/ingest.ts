/** `csbs-errors ingest`: the ingest worker alone, with /metrics, /healthz and /readyz on the API port. */
import { startIngest } from '@csbs-errors/ingest';
import { loadRuntime, onShutdown, openStore, serveOperations } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { config, logger, registry } = runtime;
  const store = await openStore(runtime);
  // Connecting and joining go on in the background (retried while the broker is down); /readyz tells.
  const ingest = startIngest({ config, store, logger, registry });
  const server = await serveOperations(runtime, 'ingest worker', [{ name: 'ingest', status: () => ingest.health.status() }]);
  onShutdown(logger, async () => {
    await ingest.stop();
    await server.close();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
