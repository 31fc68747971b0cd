/**
 * The /v1 routes that other packages contribute to the query API (the API itself depends on none of
 * them): registered inside its /v1 scope, so tokens, tenant confinement and the rate limit apply.
 */
import { principalOf, type V1RoutePlugin } from '@csbs-errors/api';
import { postmortemRoutes } from '@csbs-errors/report';
import { alertsPlugin } from '@csbs-errors/alerter';

const postmortem: V1RoutePlugin = async (app, deps) => {
  await app.register(postmortemRoutes, { query: deps.query, catalog: deps.catalog, now: deps.now, tenantOf: (request) => principalOf(request)?.tenant });
};

const alerts: V1RoutePlugin = async (app, deps) => {
  await app.register(alertsPlugin, { store: deps.store, now: deps.now, tenantOf: (request) => principalOf(request)?.tenant });
};

export const extraApiRoutes: V1RoutePlugin[] = [postmortem, alerts];
