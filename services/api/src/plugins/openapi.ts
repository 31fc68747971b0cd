/** The OpenAPI 3 description at /openapi.json (built from the routes' zod schemas) and its UI at /docs. */
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { problemResponsesFor, problemTypesMarkdown } from '../problem.js';
import { skipOverride } from './skip-override.js';

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

/**
 * A route whose answer has several content types (a report as JSON or markdown) cannot give it as
 * one zod response schema; it describes it for the document only, in OpenAPI terms, here.
 */
export interface DocumentedOnly {
  documentedResponses?: Record<string, { description: string; content: Record<string, { schema: Record<string, unknown> }> }>;
}

export const openapiPlugin = skipOverride(async (app: FastifyInstance, options: { tokens: boolean }) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'csbs-errors query API',
        version: '0.2.0',
        description: [
          'CSBS error frequency, trends, error rates, the error catalog with observed counts, and the events themselves.',
          'Windows are [from, to): ISO-8601 instants (UTC unless an offset is given) or relative times such as now-24h; default the last 24 h.',
          'Every error answer is application/problem+json (RFC 9457) with a stable `code` and a `type` URI per problem; every invalid or unknown parameter is a 400 that names it (`parameter`, `invalid_params`). The problem types:',
          problemTypesMarkdown(),
          options.tokens ? 'This server requires `Authorization: Bearer <token>` on /v1; a tenant token sees its tenant only.' : 'This server runs without tokens (loopback only).',
        ].join('\n\n'),
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(options.tokens ? { security: [{ bearer: [] }] } : {}),
      tags: [
        { name: 'errors', description: 'counts, trends and rates' },
        { name: 'codes', description: 'the error catalog with observed counts' },
        { name: 'events', description: 'the events themselves' },
      ],
    },
    transform: (input: TransformInput) => {
      const output = jsonSchemaTransform(input);
      const schema = output.schema as ({ hide?: boolean; response?: Record<string, unknown> } & DocumentedOnly) | undefined;
      if (schema && !schema.hide && input.url.startsWith('/v1/')) schema.response = { ...schema.response, ...problemResponsesFor(input.url, options.tokens) };
      if (schema?.documentedResponses) {
        schema.response = { ...schema.response, ...schema.documentedResponses };
        delete schema.documentedResponses;
      }
      return output;
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});
