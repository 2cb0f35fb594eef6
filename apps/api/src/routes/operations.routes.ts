import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ApiDependencies } from '../app.js';
import { PUBLIC } from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { ErrorSchema, ref, STRICT } from '../http/schemas.js';

const Status = Type.Object({ status: Type.String() }, STRICT);

/** Probes and metrics: public, never rate limited (a busy minute must not fail a liveness probe). */
export const operationsRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDependencies }> = async (
  app,
  { deps },
) => {
  const config = { auth: PUBLIC, rateLimit: false as const };

  app.get(
    '/healthz',
    {
      config,
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config,
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers',
        response: { 200: Status, 503: ref(ErrorSchema) },
      },
    },
    async (request) => {
      try {
        await deps.readiness();
      } catch (e) {
        request.log.warn({ err: e }, 'readiness check failed');
        throw new HttpError(
          503,
          'not-ready',
          'The database does not answer; this instance cannot serve requests.',
        );
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    {
      config,
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );

  app.get(
    '/openapi.json',
    {
      config,
      schema: { hide: true },
    },
    async () => app.swagger(),
  );
};
