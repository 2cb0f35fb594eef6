import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { registerAdminRoutes } from './admin/admin.routes.js';
import { AwsError } from './aws-json/aws-error.js';
import { handleAwsJson, sendJsonError } from './aws-json/aws-json.routes.js';
import { registerBuyerPages } from './buyer/buyer-pages.routes.js';
import { esc, page } from './buyer/html.js';
import type { SimulatorServices } from './simulator-services.js';
import { handleSnsQuery, sendQueryError } from './sns/sns-query.routes.js';

export interface AwsSimulatorPluginOptions {
  services: SimulatorServices;
}

function formParams(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * The simulator as a Fastify plugin: AWS JSON 1.1 (metering, entitlements) and the SNS Query API on
 * `POST /`, SNS's SubscribeURL/UnsubscribeURL on `GET /`, the signing certificate, the buyer pages under
 * /marketplace and the admin API under /_admin.
 */
export const awsSimulatorPlugin: FastifyPluginAsync<AwsSimulatorPluginOptions> = async (
  app,
  { services },
) => {
  for (const type of ['application/x-amz-json-1.1', 'application/x-amz-json-1.0']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch {
        done(new AwsError('SerializationException', 'The request body is not valid JSON'), undefined);
      }
    });
  }
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, formParams(body as string));
    },
  );

  app.setErrorHandler((error, request, reply) => {
    const target = request.headers['x-amz-target'];
    const aws =
      error instanceof AwsError
        ? error
        : typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
            (error as { statusCode: number }).statusCode < 500
          ? new AwsError(
              'InvalidParameter',
              (error as Error).message,
              (error as { statusCode: number }).statusCode,
            )
          : undefined;
    if (!aws) request.log.error({ err: error }, 'aws-simulator: unexpected error');
    const answer = aws ?? new AwsError('InternalFailure', 'The simulator failed; see its log', 500);
    if (typeof target === 'string') return sendJsonError(reply, target, answer);
    if (request.url.startsWith('/_admin'))
      return reply.code(answer.statusCode).send({ error: answer.code, message: answer.message });
    if (request.url.startsWith('/marketplace'))
      return reply
        .code(answer.statusCode)
        .header('content-type', 'text/html; charset=utf-8')
        .send(page('Error', `<h1>${esc(answer.code)}</h1><p>${esc(answer.message)}</p>`));
    return sendQueryError(reply, answer);
  });

  app.post('/', async (request, reply) => {
    const target = request.headers['x-amz-target'];
    if (typeof target === 'string') return handleAwsJson(services, target, request, reply);
    const params = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<
      string,
      string
    >;
    return handleSnsQuery(services, params, request, reply);
  });

  app.get<{ Querystring: Record<string, string> }>('/', async (request, reply) => {
    if (request.query.Action) return handleSnsQuery(services, request.query, request, reply);
    return reply.redirect('/marketplace', 302);
  });

  app.get<{ Params: { file: string } }>('/:file', async (request, reply) => {
    if (`/${request.params.file}` !== services.sns.certificatePath)
      return reply.code(404).header('content-type', 'text/plain').send('Not Found');
    return reply
      .header('content-type', 'application/x-x509-ca-cert')
      .send(services.sns.identity.certificatePem);
  });

  registerBuyerPages(app, services);
  registerAdminRoutes(app, services);
};

/** A Fastify instance with only the simulator plugin: for `app.inject` in tests and for the server. */
export async function buildSimulatorApp(
  services: SimulatorServices,
  options: FastifyServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 1_048_576, ...options });
  await app.register(awsSimulatorPlugin, { services });
  await app.ready();
  return app;
}
