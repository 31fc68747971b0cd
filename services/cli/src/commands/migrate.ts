/** `csbs-errors migrate`: apply pending ClickHouse migrations and exit. */
import { loadRuntime, openStore } from '../runtime.js';

export async function run(): Promise<number> {
  const runtime = loadRuntime();
  const store = await openStore(runtime);
  await store.close();
  process.stdout.write('migrations up to date\n');
  return 0;
}
