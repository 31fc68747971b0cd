/**
 * A child process with INGEST_MEMBERS (default 2) ingest workers in one consumer group, each with
 * its own kafkajs client, group membership and transactional producers, storing into one store:
 * the embedded engine binds one data directory to one process, so two `ingest` processes cannot
 * share a store. Started by `startWorker(env, { members: N })` of faults.ts; SIGTERM stops them all
 * gracefully, as it does `csbs-errors ingest`.
 */
import { startIngest } from '@csbs-errors/ingest';
import { createMetricsRegistry } from '@csbs-errors/observability';
import { loadRuntime, onShutdown, openStore } from '../../services/cli/src/runtime.js';

const members = Number(process.env.INGEST_MEMBERS ?? '2');
if (!Number.isInteger(members) || members < 1) throw new Error(`INGEST_MEMBERS must be a whole number >= 1, got ${process.env.INGEST_MEMBERS}`);

const runtime = loadRuntime();
const store = await openStore(runtime);
// One metrics registry per member: each registers the same metric names.
const running = await Promise.all(
  Array.from({ length: members }, (_, i) => startIngest({ ...runtime, logger: runtime.logger.child({ member: i }), registry: createMetricsRegistry(), store })),
);
onShutdown(runtime.logger, async () => {
  await Promise.all(running.map((ingest) => ingest.stop()));
  await store.close();
});
