/** Process health, store readiness and Prometheus metrics. */
import type { FastifyPluginAsync } from 'fastify';
import { migrationsApplied } from '@csbs-errors/store';
import type { ApiDeps } from '../deps.js';

/** Another part of the process /readyz answers for (the ingest worker in `serve`): ready, or why not. */
export interface ReadinessCheck {
  name: string;
  status(): { ready: boolean; reason?: string };
}

export const healthRoutes: FastifyPluginAsync<ApiDeps & { readiness: ReadinessCheck[] }> = async (app, deps) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const reachable = await deps.store.ping().then((r) => r.success, () => false);
    const migrated = reachable && (await migrationsApplied(deps.store));
    const others = Object.fromEntries(deps.readiness.map((check) => [check.name, check.status()]));
    const ready = reachable && migrated && Object.values(others).every((status) => status.ready);
    if (!ready) return reply.code(503).send({ status: 'unavailable', store: reachable, migrations: migrated, ...others });
    return { status: 'ready', store: true, migrations: true, ...others };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
};
