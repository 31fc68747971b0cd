/** Process health, store readiness and Prometheus metrics. */
import type { FastifyPluginAsync } from 'fastify';
import { migrationsApplied } from '@csbs-errors/store';
import type { ApiDeps } from '../deps.js';

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const reachable = await deps.store.ping().then((r) => r.success, () => false);
    const migrated = reachable && (await migrationsApplied(deps.store));
    if (!reachable || !migrated) return reply.code(503).send({ status: 'unavailable', store: reachable, migrations: migrated });
    return { status: 'ready', store: true, migrations: true };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
};
