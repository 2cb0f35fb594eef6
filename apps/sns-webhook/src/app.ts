import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { WebhookConfig } from './config/webhook-config.js';
import type { EventBridgeDeliveryHandler } from './eventbridge/eventbridge-delivery.handler.js';
import { ANSWER_SCHEMA, type Answer } from './http/answer.js';
import type { Readiness } from './http/readiness.js';
import type { Logger } from './logger.js';
import type { SnsDeliveryHandler } from './sns/sns-delivery.handler.js';

/** SNS caps a message at 256 KiB, and so do we (a larger body is answered 413 before it is read whole). */
export const MAX_BODY_BYTES = 256 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface WebhookAppDeps {
  readonly config: Pick<WebhookConfig, 'sns' | 'eventBridge'>;
  readonly sns: SnsDeliveryHandler;
  /** Null when no shared secret is configured: the EventBridge endpoint is then not served. */
  readonly eventBridge: EventBridgeDeliveryHandler | null;
  readonly readiness: Readiness;
}

const ANSWERS = { response: { '2xx': ANSWER_SCHEMA, '4xx': ANSWER_SCHEMA, '5xx': ANSWER_SCHEMA } };
const HEALTH_SCHEMA = {
  response: {
    '2xx': {
      type: 'object',
      properties: { status: { type: 'string' }, database: { type: 'string' }, backlog: { type: 'integer' } },
    },
    '5xx': {
      type: 'object',
      properties: { status: { type: 'string' }, database: { type: 'string' }, reason: { type: 'string' } },
    },
  },
};

/**
 * The webhook as a Fastify plugin: `POST <SNS_PATH>` for SNS HTTP/S deliveries, `POST <EVENTBRIDGE_PATH>`
 * for EventBridge API-destination posts, `/healthz` and `/readyz`. Bodies are read as text (SNS sends its
 * JSON as text/plain; the signature covers the decoded fields, so the handlers parse the text themselves).
 */
export const snsWebhookPlugin: FastifyPluginAsync<WebhookAppDeps> = async (app, deps) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['text/plain', 'application/json'],
    { parseAs: 'string', bodyLimit: MAX_BODY_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not-found', message: `No route ${request.method} ${request.url}.` }),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({
        error: 'internal-error',
        message: 'The webhook failed; see its log (request id in x-request-id).',
      });
    }
    const answer =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? { error: 'body-too-large', message: `The body exceeds ${MAX_BODY_BYTES} bytes.` }
        : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? {
              error: 'unsupported-media-type',
              message: 'Send the message as text/plain (as SNS does) or application/json.',
            }
          : { error: 'bad-request', message: error.message };
    request.log.warn({ code: answer.error, status }, 'request refused');
    return reply.code(status).send(answer);
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // An answer given while shutting down closes its keep-alive connection, so that the close completes.
    if (deps.readiness.stopping) reply.header('connection', 'close');
  });

  const send = (reply: FastifyReply, answer: Answer) => {
    if (answer.retryAfter !== undefined) reply.header('retry-after', String(answer.retryAfter));
    return reply.code(answer.status).send(answer.body);
  };
  const text = (body: unknown): string => (typeof body === 'string' ? body : '');

  app.post(deps.config.sns.path, { schema: ANSWERS }, async (request, reply) =>
    send(reply, await deps.sns.handle(text(request.body), request.log as Logger)),
  );

  const eventBridge = deps.eventBridge;
  if (eventBridge) {
    const header = deps.config.eventBridge.header;
    app.post(deps.config.eventBridge.path, { schema: ANSWERS }, async (request, reply) =>
      send(
        reply,
        await eventBridge.handle(request.headers[header], text(request.body), request.log as Logger),
      ),
    );
  }

  app.get('/healthz', { schema: HEALTH_SCHEMA, logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: HEALTH_SCHEMA, logLevel: 'warn' }, async (_request, reply) => {
    const report = await deps.readiness.check();
    return reply.code(report.ready ? 200 : 503).send(report.body);
  });
};

export interface BuildWebhookAppOptions {
  readonly logger: Logger;
}

/** A Fastify instance with only the webhook plugin: for `app.inject` in tests and for the server. */
export async function buildWebhookApp(
  deps: WebhookAppDeps,
  options: BuildWebhookAppOptions,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: MAX_BODY_BYTES,
    // A caller's x-request-id is kept when it is a plain token (it ends up in the logs); else a new one.
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // While closing, new requests get 503 (SNS retries) and keep-alive connections are let go.
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  await app.register(snsWebhookPlugin, deps);
  await app.ready();
  return app as unknown as FastifyInstance;
}
