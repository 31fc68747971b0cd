/** `csbs-errors ingest`: the ingest worker alone, with /metrics and /healthz on the API port. */
import Fastify from 'fastify';
import { startIngest } from '@csbs-errors/ingest';
import { loadRuntime, onShutdown, openStore } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { config, logger, registry } = runtime;
  const store = await openStore(runtime);
  const ingest = await startIngest({ config, store, logger, registry });
  const server = Fastify();
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/metrics', async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  const address = await server.listen({ host: config.api.host, port: config.api.port });
  logger.info({ metrics: `${address}/metrics` }, 'ingest worker serving metrics');
  onShutdown(logger, async () => {
    await ingest.stop();
    await server.close();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
