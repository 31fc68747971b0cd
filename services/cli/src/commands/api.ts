/** `csbs-errors api`: the query API alone (stateless; run as many as needed against a server). */
import { apiLimits, buildApi } from '@csbs-errors/api';
import { isLoopback, loadRuntime, onShutdown, openStore } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const { config, logger, registry } = runtime;
  if (config.api.tokens.length === 0 && !isLoopback(config.api.host)) {
    process.stderr.write(`csbs-errors: refusing to listen on ${config.api.host} without API tokens; set API_TOKENS or API_TOKENS_FILE, or HOST=127.0.0.1\n`);
    return 2;
  }
  const store = await openStore(runtime);
  const api = await buildApi({ store, registry, logger, tokens: config.api.tokens, ...apiLimits(config.api) });
  const address = await api.listen({ host: config.api.host, port: config.api.port });
  process.stdout.write(`csbs-errors API on ${address}\n`);
  onShutdown(logger, async () => {
    await api.close();
    await store.close();
  });
  return new Promise<number>(() => undefined);
}
