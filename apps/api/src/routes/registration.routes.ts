import type { RegistrationResult } from '@billing-center/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { ApiDependencies } from '../app.js';
import { csrfTokenFor, customerOf, metaOf, PUBLIC, setSessionCookie } from '../http/auth.js';
import { presentAccount, presentCloudAccount, presentTicket, presentWorkspace } from '../http/presenters.js';
import {
  errors,
  Id,
  RegistrationResultSchema,
  RegistrationTicketSchema,
  ref,
  type SessionSchema,
  STRICT,
} from '../http/schemas.js';
import { RegisterAccountBody } from './account.routes.js';

const Params = Type.Object({ ticketId: Id }, STRICT);

const ActivationWorkspace = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    language: Type.Union([Type.Literal('en'), Type.Literal('zh')]),
    siteId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 16,
        description: "Default: the first site of the ticket's AWS partition.",
      }),
    ),
  },
  STRICT,
);

const NewAccountBody = Type.Object(
  {
    account: RegisterAccountBody,
    workspace: ActivationWorkspace,
    termsAccepted: Type.Boolean({ description: 'Must be true: the terms of service were accepted.' }),
  },
  STRICT,
);

const ForAccountBody = Type.Object(
  {
    bindWorkspaceIds: Type.Optional(
      Type.Array(Id, {
        maxItems: 100,
        uniqueItems: true,
        description:
          'Existing workspaces to settle through the new cloud account (locked ones are unlocked).',
      }),
    ),
    createWorkspace: Type.Optional(ActivationWorkspace),
  },
  STRICT,
);

/**
 * The Billing Center page that AWS's "Set up your account" lands on: read the ticket, then complete it as a
 * new account (first commercial registration with activation) or as the signed-in account.
 */
export const registrationRoutes: FastifyPluginAsyncTypebox<{
  deps: ApiDependencies;
  cookieName: string;
}> = async (app, { deps, cookieName }) => {
  const { useCases, ctx, config } = deps;
  const tags = ['registration'];
  const present = (r: RegistrationResult) => ({
    account: presentAccount(r.account),
    cloudAccount: presentCloudAccount(r.cloudAccount),
    workspaces: r.workspaces.map(presentWorkspace),
  });

  app.get(
    '/v1/registration-tickets/:ticketId',
    {
      config: { auth: { kind: 'optional-customer' } },
      schema: {
        tags,
        summary: 'A registration ticket: open, expired or completed',
        description:
          'The ticket id is the secret the fulfillment redirect carried. A completed ticket is shown only to ' +
          'the account that completed it; anyone else gets 409 registration-ticket-used.',
        params: Params,
        response: { 200: ref(RegistrationTicketSchema), ...errors(403, 404, 409) },
      },
    },
    async (request) => {
      const ticket = await useCases.getRegistrationTicket.execute({ ticketId: request.params.ticketId });
      const now = ctx.clock.now();
      const p = request.principal;
      const viewer = p?.via === 'session' || p?.via === 'api-token' ? p.accountId : null;
      if (ticket.status === 'completed' && ticket.completedByAccountId !== viewer) ticket.assertUsable(now);
      return presentTicket(ticket, now);
    },
  );

  app.post(
    '/v1/registration-tickets/:ticketId/new-account',
    {
      config: { auth: PUBLIC, rateLimit: { max: config.signInLimitPerIp, timeWindow: 60_000 } },
      schema: {
        tags,
        summary:
          'Complete as a new account: register, activate the commercial plan and create the first workspace',
        description:
          'One transaction: the account, its cloud account and a workspace settled by it. The new account is ' +
          'signed in (session cookie) and the session is returned.',
        params: Params,
        body: NewAccountBody,
        response: { 201: ref(RegistrationResultSchema), ...errors(400, 404, 409, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { ticketId } = request.params;
      const meta = metaOf(request);
      const result = await useCases.completeRegistrationAsNewAccount.execute(
        { ticketId, ...request.body },
        meta,
      );
      // The registration is committed; signing in is a convenience. If it fails the account still exists and
      // the customer signs in as usual, so the answer stays 201 (without a session) and the cause is logged.
      let session: Static<typeof SessionSchema> | undefined;
      try {
        const signedIn = await useCases.signIn.execute(
          { login: result.account.username, password: request.body.account.password },
          meta,
        );
        const expiresAt = signedIn.session.expiresAt ?? new Date(ctx.clock.now().getTime() + 3_600_000);
        setSessionCookie(reply, cookieName, config.cookieSecure, signedIn.token, expiresAt);
        session = {
          id: signedIn.session.id,
          expiresAt: expiresAt.toISOString(),
          csrfToken: csrfTokenFor(signedIn.token),
          account: presentAccount(signedIn.account),
        };
      } catch (e) {
        request.log.warn({ err: e }, 'registered, but could not start a session');
      }
      return reply.code(201).send({ ...present(result), ...(session ? { session } : {}) });
    },
  );

  app.post(
    '/v1/registration-tickets/:ticketId/complete',
    {
      schema: {
        tags,
        summary: 'Complete as the signed-in account: bind existing workspaces and/or create one',
        description: 'All or nothing. Without workspaces it only registers the cloud account to the account.',
        params: Params,
        body: ForAccountBody,
        response: { 200: ref(RegistrationResultSchema), ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
      },
    },
    async (request) => {
      const result = await useCases.completeRegistrationForAccount.execute(
        { ticketId: request.params.ticketId, by: customerOf(request), ...request.body },
        metaOf(request),
      );
      return present(result);
    },
  );
};
