/** `csbs-errors ingest`: the ingest worker alone, with /metrics and /healthz on the API port. */
import { startIngest } from '@csbs-errors/ingest';
import { loadRuntime, onShutdown, openStore, serveOperations } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { config, logger, registry } = runtime;
  const store = await openStore(runtime);
  const ingest = await startIngest({ config, store, logger, registry });
  const server = await serveOperations(runtime, 'ingest worker');
  onShutdown(logger, async () => {
    await ingest.stop();
    await server.close();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
