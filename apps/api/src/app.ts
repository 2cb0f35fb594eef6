import type { CachedWorkspaceList, CoreContext, UseCases } from '@billing-center/core';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerAjvFormats, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from './config/api-config.js';
import { registerAuth, sessionCookieName } from './http/auth.js';
import { HttpError, sendError } from './http/errors.js';
import type { ApiMetrics } from './http/metrics.js';
import { type DestinationStream, loggerOptions, requestIdOf } from './http/request-log.js';
import { SHARED_SCHEMAS } from './http/schemas.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { accountRoutes } from './routes/account.routes.js';
import { cloudAccountRoutes } from './routes/cloud-account.routes.js';
import { fulfillmentRoutes } from './routes/fulfillment.routes.js';
import { operationsRoutes } from './routes/operations.routes.js';
import { platformRoutes } from './routes/platform.routes.js';
import { registrationRoutes } from './routes/registration.routes.js';
import { workspaceRoutes } from './routes/workspace.routes.js';

/** What the routes need; the composition root (container.ts) provides it. */
export interface ApiDependencies {
  config: ApiConfig;
  useCases: UseCases;
  ctx: CoreContext;
  /** Resolves when the database answers; rejects otherwise (GET /readyz). */
  readiness: () => Promise<void>;
  metrics: ApiMetrics;
  /**
   * GET /v1/workspaces: pages as serialized response bodies, kept per account and query while the
   * database's change notifications are live (PostgreSQL; on SQLite every request reads).
   */
  workspaceList: CachedWorkspaceList<Buffer>;
}

export const API_TAGS = [
  { name: 'session', description: 'Register, sign in and out; personal API tokens.' },
  { name: 'account', description: 'The signed-in account and its audit log.' },
  { name: 'workspaces', description: 'Workspaces, their billing method, locks and dissolution.' },
  {
    name: 'cloud-accounts',
    description: 'Registered AWS Marketplace accounts, their subscription and metering.',
  },
  { name: 'registration', description: 'Completing an AWS Marketplace registration ticket.' },
  { name: 'platform', description: 'For the observability platform, with a scoped service key.' },
  { name: 'marketplace', description: 'The AWS Marketplace fulfillment URL (HTML for browsers).' },
  { name: 'operations', description: 'Health, readiness and metrics.' },
];

/**
 * The Billing Center API as a Fastify plugin: security headers, rate limits, authentication, OpenAPI and
 * every route. The caller owns the Fastify instance (see `buildApiApp`).
 */
async function api(app: FastifyInstance, deps: ApiDependencies): Promise<void> {
  const { config } = deps;
  const cookieName = sessionCookieName(config.cookieSecure);

  registerAjvFormats();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new HttpError(
        404,
        'route-not-found',
        `There is no endpoint ${request.method} ${request.url.split('?')[0]}; see /docs.`,
      ),
      request,
      reply,
    ),
  );
  // JSON only; the fulfillment route adds form bodies in its own scope.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  deps.metrics.register(app);

  registerSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'"] },
    },
  });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: config.rateLimitPerMinute > 0,
    max: Math.max(config.rateLimitPerMinute, 1),
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) =>
      new HttpError(429, 'rate-limited', `Too many requests; try again in ${context.after}.`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Billing Center API',
        version: '1.0.0',
        description:
          'Who pays for each workspace, including settlement through AWS Marketplace. Every error answers ' +
          '`{ "error": { "code", "message", "details"? } }`.',
      },
      servers: [{ url: config.publicUrl }],
      tags: API_TAGS,
      components: {
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: cookieName,
            description:
              'The browser session from POST /v1/sessions. Writes also need the X-CSRF-Token header.',
          },
          apiToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'A personal API token (bcp_…) from POST /v1/me/api-tokens; acts as the account.',
          },
          serviceKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A platform service key (bcs_…) with scopes usage:write, workspaces:sync, workspaces:read.',
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  registerAuth(app, { useCases: deps.useCases, cookieName, cookieSecure: config.cookieSecure });

  await app.register(operationsRoutes, { deps });
  await app.register(accountRoutes, { deps, cookieName });
  await app.register(workspaceRoutes, { deps });
  await app.register(cloudAccountRoutes, { deps });
  await app.register(registrationRoutes, { deps, cookieName });
  await app.register(platformRoutes, { deps });
  await app.register(fulfillmentRoutes, { deps });
}

/** Not encapsulated: the error handler, schemas and hooks apply to the instance it is registered on. */
export const apiPlugin = fp(api, { name: 'billing-center-api', fastify: '5.x' });

/** A Fastify instance with the API plugin, ready for `inject` (tests) or `listen` (the server). */
export async function buildApiApp(
  deps: ApiDependencies,
  options: { logStream?: DestinationStream } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.logLevel, options.logStream),
    bodyLimit: deps.config.bodyLimitBytes,
    // Fastify takes a hop count too; its type declaration only lists booleans and addresses
    trustProxy: deps.config.trustProxy as boolean,
    genReqId: requestIdOf,
    requestIdHeader: false,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false } },
  });
  await app.register(apiPlugin, deps);
  await app.ready();
  return app;
}
