import { type AwsPartition, isDomainError } from '@billing-center/core';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { ApiDependencies } from '../app.js';
import { metaOf, PUBLIC } from '../http/auth.js';
import { mapError } from '../http/errors.js';
import { fulfillmentPage, renderPage } from '../marketplace/fulfillment-pages.js';
import { RecentTokens } from '../marketplace/recent-tokens.js';

export const TOKEN_FIELD = 'x-amzn-marketplace-token';

const Params = Type.Object(
  {
    partition: Type.Union([Type.Literal('aws'), Type.Literal('aws-cn')], {
      description: 'aws: the global AWS Marketplace; aws-cn: the China marketplace.',
    }),
  },
  { additionalProperties: false },
);
// AWS decides the form's fields (it may add more, such as an offer type): unknown ones are ignored here.
const TokenFields = Type.Object(
  { [TOKEN_FIELD]: Type.Optional(Type.String({ maxLength: 4096 })) },
  { additionalProperties: true },
);

const HtmlPage = Type.String({ description: 'An HTML page telling the buyer what happened and what to do.' });

/**
 * The fulfillment URL registered with AWS Marketplace. AWS's "Set up your account" posts the buyer's browser
 * here with a registration token; the token is resolved at once (never stored, logged or put in a URL) into
 * a short-lived registration ticket, and the browser is sent with 303 to the Billing Center page of that ticket.
 */
export const fulfillmentRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDependencies }> = async (
  app,
  { deps },
) => {
  const { useCases, ctx, config } = deps;
  const recent = new RecentTokens();
  await app.register(formbody, { bodyLimit: 16_384 });

  const page = (reply: FastifyReply, request: FastifyRequest, code: string, partition: AwsPartition) => {
    const p = fulfillmentPage(code, partition, config.publicUrl, request.id);
    if (p.retryAfterSeconds) reply.header('retry-after', String(p.retryAfterSeconds));
    return reply
      .code(p.status)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(renderPage(p));
  };

  // Everything here answers a person's browser: even a malformed request gets a page, never JSON.
  app.setErrorHandler((error, request, reply) => {
    const mapped = mapError(error, request.id);
    if (mapped.fault) request.log.error({ err: error }, 'fulfillment failed');
    const partition = (request.params as { partition?: string })?.partition === 'aws-cn' ? 'aws-cn' : 'aws';
    const code =
      mapped.status === 429 ? 'rate-limited' : mapped.status < 500 ? 'marketplace-token-invalid' : 'internal';
    return page(reply, request, code, partition);
  });

  const redirectTo = (reply: FastifyReply, ticketId: string) =>
    reply
      .code(303)
      .header('location', `${config.publicUrl}/registration/${encodeURIComponent(ticketId)}`)
      .header('cache-control', 'no-store')
      .send();

  async function fulfil(
    request: FastifyRequest,
    reply: FastifyReply,
    partition: AwsPartition,
    token: unknown,
  ) {
    if (typeof token !== 'string' || token.trim() === '')
      return page(reply, request, 'marketplace-token-missing', partition);
    const now = ctx.clock.now();
    const previous = recent.ticketFor(token, now.getTime());
    if (previous) {
      const ticket = await useCases.getRegistrationTicket.execute({ ticketId: previous }).catch(() => null);
      if (ticket?.status === 'completed') return page(reply, request, 'marketplace-token-used', partition);
      if (ticket && !ticket.isExpired(now)) return redirectTo(reply, ticket.id);
    }
    try {
      const ticket = await useCases.openRegistrationTicket.execute({ partition, token }, metaOf(request));
      recent.remember(token, ticket.id, ticket.expiresAt.getTime());
      request.log.info({ ticketId: ticket.id, partition }, 'registration ticket opened');
      return redirectTo(reply, ticket.id);
    } catch (e) {
      if (!isDomainError(e)) {
        request.log.error({ err: e }, 'resolving an AWS Marketplace registration failed');
        return page(reply, request, 'internal', partition);
      }
      request.log.info({ code: e.code, partition }, 'AWS Marketplace registration refused');
      return page(reply, request, e.code, partition);
    }
  }

  const schema = (summary: string) => ({
    tags: ['marketplace'],
    summary,
    description:
      'Answers 303 to `<PUBLIC_URL>/registration/<ticketId>`. Invalid (400), expired (410) or already used ' +
      '(409) tokens, throttling (429) and outages (503) each answer a page that tells the buyer what to do.',
    params: Params,
    response: {
      303: Type.Null({ description: 'To the Billing Center page of the new registration ticket.' }),
      400: HtmlPage,
      409: HtmlPage,
      410: HtmlPage,
      429: HtmlPage,
      500: HtmlPage,
      503: HtmlPage,
    },
  });

  app.post(
    '/marketplace/:partition/fulfillment',
    {
      config: { auth: PUBLIC },
      schema: {
        ...schema('AWS Marketplace "Set up your account": the form post with the registration token'),
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenFields,
      },
    },
    async (request, reply) => fulfil(request, reply, request.params.partition, request.body?.[TOKEN_FIELD]),
  );

  app.get(
    '/marketplace/:partition/fulfillment',
    {
      config: { auth: PUBLIC },
      schema: {
        ...schema('The same, with the registration token as a query parameter'),
        querystring: TokenFields,
      },
    },
    async (request, reply) => fulfil(request, reply, request.params.partition, request.query?.[TOKEN_FIELD]),
  );
};
