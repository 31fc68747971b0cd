/**
 * The query API: a Fastify app built from plugins with one job each. Parameters are validated with
 * zod; every failure leaves as application/problem+json naming the parameter, never a stack trace.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler, jsonSchemaTransform } from 'fastify-type-provider-zod';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ParameterError } from './filters.js';
import { boundQuery, type ApiDeps } from './deps.js';
import { frequencyRoutes } from './routes/frequency.js';
import { healthRoutes } from './routes/health.js';
import type { ClickHouseClient } from '@csbs-errors/store';
import type { Logger, Registry } from '@csbs-errors/observability';
import type { ApiToken } from '@csbs-errors/config';

function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}) {
  return { type: 'about:blank', title, status, detail, ...extra };
}

export async function buildApi(options: { store: ClickHouseClient; registry: Registry; logger: Logger; tokens?: ApiToken[] }): Promise<FastifyInstance> {
  const deps: ApiDeps = { store: options.store, query: boundQuery(options.store), registry: options.registry, logger: options.logger, tokens: options.tokens ?? [] };
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger, disableRequestLogging: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issue = error.validation[0];
      const path = issue?.instancePath.replace(/^\//, '').split('/')[0] ?? '';
      const parameter = path !== '' ? path : (issue?.params as { issue?: { keys?: string[] } } | undefined)?.issue?.keys?.[0] ?? 'query';
      return reply
        .code(400)
        .type('application/problem+json')
        .send(problem(400, 'Invalid parameter', `${parameter}: ${issue?.message ?? 'invalid'}`, { parameter }));
    }
    if (error instanceof ParameterError) {
      return reply.code(400).type('application/problem+json').send(problem(400, 'Invalid parameter', `${error.parameter}: ${error.message}`, { parameter: error.parameter }));
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    return reply
      .code(status)
      .type('application/problem+json')
      .send(problem(status, status === 500 ? 'Internal error' : 'Bad request', status === 500 ? 'the request could not be answered; see the server log' : error.message));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('application/problem+json').send(problem(404, 'Not found', 'no such resource')));

  await app.register(swagger, {
    openapi: { openapi: '3.0.3', info: { title: 'csbs-errors query API', version: '0.1.0', description: 'CSBS error frequency, trends and events' } },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, deps);
  await app.register(frequencyRoutes, deps);
  return app;
}
