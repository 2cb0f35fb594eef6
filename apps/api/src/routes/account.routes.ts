import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { ApiDependencies } from '../app.js';
import {
  clearSessionCookie,
  csrfTokenFor,
  customerOf,
  metaOf,
  PUBLIC,
  setSessionCookie,
} from '../http/auth.js';
import { HttpError } from '../http/errors.js';
import { presentAccount, presentApiToken, presentAuditEntry } from '../http/presenters.js';
import {
  AccountSchema,
  ApiTokenSchema,
  AuditPageSchema,
  errors,
  Id,
  PageQuery,
  ref,
  SessionSchema,
  STRICT,
} from '../http/schemas.js';

export const RegisterAccountBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 64, description: 'Letters, digits, ".", "_", "-".' }),
    email: Type.String({ minLength: 3, maxLength: 254 }),
    password: Type.String({ minLength: 10, maxLength: 200 }),
    company: Type.String({ minLength: 1, maxLength: 200 }),
  },
  STRICT,
);

const SignInBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: 'Username or email.' }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  STRICT,
);

const IssueTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresAt: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'At most one year away; omit or null for a token valid until revoked.',
      }),
    ),
  },
  STRICT,
);

const IssuedToken = Type.Object(
  {
    apiToken: ref(ApiTokenSchema),
    token: Type.String({ description: 'The secret (bcp_…): shown once, store it now.' }),
  },
  STRICT,
);

/** Sign-in and registration throttles: per client address, and per login name (password guessing). */
function limits(deps: ApiDependencies) {
  return {
    perIp: { max: deps.config.signInLimitPerIp, timeWindow: 60_000 },
    perLogin: {
      max: deps.config.signInLimitPerLogin,
      timeWindow: 15 * 60_000,
      keyGenerator: (request: FastifyRequest) =>
        `login:${String((request.body as { login?: unknown })?.login ?? '')
          .trim()
          .toLowerCase()}`,
    },
  };
}

/** Registration, sessions, the signed-in account (`me`), its API tokens and audit log. */
export const accountRoutes: FastifyPluginAsyncTypebox<{ deps: ApiDependencies; cookieName: string }> = async (
  app,
  { deps, cookieName },
) => {
  const { useCases, config } = deps;
  const secure = config.cookieSecure;
  const { perIp, perLogin } = limits(deps);
  // A second, independent budget per login (the route's own limit is per address): checked by hand,
  // because the plugin runs one limiter per request.
  const loginLimiter = app.createRateLimit(perLogin);
  const limitPerLogin = async (request: FastifyRequest, reply: FastifyReply) => {
    const verdict = await loginLimiter(request);
    if (!verdict.isAllowed && verdict.isExceeded) {
      reply.header('retry-after', String(verdict.ttlInSeconds));
      throw new HttpError(
        429,
        'rate-limited',
        `Too many sign-in attempts for this login; try again in ${verdict.ttlInSeconds} seconds.`,
        { retryAfterSeconds: verdict.ttlInSeconds },
      );
    }
  };

  const sessionBody = async (accountId: string, sessionId: string, token: string, expiresAt: Date) => ({
    id: sessionId,
    expiresAt: expiresAt.toISOString(),
    csrfToken: csrfTokenFor(token),
    account: presentAccount(await loadAccount(accountId)),
  });
  // the account as its owner sees it (the core checks that the caller is that owner)
  const loadAccount = (accountId: string) =>
    deps.useCases.accounts.get({ accountId, by: { type: 'customer', accountId } });

  app.post(
    '/v1/accounts',
    {
      config: { auth: PUBLIC, rateLimit: perIp },
      schema: {
        tags: ['session'],
        summary: 'Register a Billing Center account',
        body: RegisterAccountBody,
        response: { 201: ref(AccountSchema), ...errors(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const account = await useCases.registerAccount.execute(request.body, metaOf(request));
      return reply.code(201).send(presentAccount(account));
    },
  );

  app.post(
    '/v1/sessions',
    {
      config: { auth: PUBLIC, rateLimit: perIp },
      preHandler: limitPerLogin,
      schema: {
        tags: ['session'],
        summary: 'Sign in: starts a browser session (cookie) and returns its CSRF token',
        body: SignInBody,
        response: { 201: ref(SessionSchema), ...errors(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      const signedIn = await useCases.signIn.execute(request.body, metaOf(request));
      const expiresAt = signedIn.session.expiresAt ?? new Date(Date.now() + 3_600_000);
      setSessionCookie(reply, cookieName, secure, signedIn.token, expiresAt);
      return reply.code(201).send({
        id: signedIn.session.id,
        expiresAt: expiresAt.toISOString(),
        csrfToken: csrfTokenFor(signedIn.token),
        account: presentAccount(signedIn.account),
      });
    },
  );

  app.get(
    '/v1/sessions/current',
    {
      config: { auth: { kind: 'session' } },
      schema: {
        tags: ['session'],
        summary: 'The current browser session and its CSRF token (after a page reload)',
        response: { 200: ref(SessionSchema), ...errors(401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      if (p?.via !== 'session') throw new HttpError(401, 'unauthenticated', 'Sign in first.');
      return sessionBody(p.accountId, p.sessionId, p.sessionToken, p.expiresAt);
    },
  );

  app.delete(
    '/v1/sessions/current',
    {
      config: { auth: { kind: 'session' } },
      schema: {
        tags: ['session'],
        summary: 'Sign out: ends the session and clears the cookie',
        response: { 204: Type.Null(), ...errors(401, 403) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      if (p?.via === 'session') await useCases.signOut.execute({ token: p.sessionToken }, metaOf(request));
      clearSessionCookie(reply, cookieName, secure);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/me',
    {
      schema: {
        tags: ['account'],
        summary: 'The signed-in account',
        response: { 200: ref(AccountSchema), ...errors(401, 403) },
      },
    },
    async (request) => presentAccount(await loadAccount(customerOf(request).accountId)),
  );

  app.get(
    '/v1/me/audit-log',
    {
      schema: {
        tags: ['account'],
        summary: "The account's audit log, newest first",
        querystring: Type.Object(PageQuery, STRICT),
        response: { 200: ref(AuditPageSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const by = customerOf(request);
      const page = await useCases.audit.forAccount({
        accountId: by.accountId,
        by,
        limit: request.query.limit,
        cursor: request.query.cursor ?? null,
      });
      return { items: page.items.map(presentAuditEntry), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/me/api-tokens',
    {
      schema: {
        tags: ['session'],
        summary: "The account's personal API tokens (never their secrets)",
        response: {
          200: Type.Object({ items: Type.Array(ref(ApiTokenSchema)) }, STRICT),
          ...errors(401, 403),
        },
      },
    },
    async (request) => {
      const tokens = await useCases.listApiTokens.execute({ by: customerOf(request) });
      return { items: tokens.map(presentApiToken) };
    },
  );

  app.post(
    '/v1/me/api-tokens',
    {
      // Issued from a browser session only: a leaked token cannot mint more tokens.
      config: { auth: { kind: 'session' } },
      schema: {
        tags: ['session'],
        summary: 'Issue a personal API token (the secret is in this response only)',
        body: IssueTokenBody,
        response: { 201: IssuedToken, ...errors(400, 401, 403, 413, 415, 422) },
      },
    },
    async (request, reply) => {
      const { name, expiresAt } = request.body;
      const issued = await useCases.issueApiToken.execute(
        { by: customerOf(request), name, expiresAt: expiresAt ? new Date(expiresAt) : null },
        metaOf(request),
      );
      return reply.code(201).send({ apiToken: presentApiToken(issued.apiToken), token: issued.token });
    },
  );

  app.delete(
    '/v1/me/api-tokens/:tokenId',
    {
      schema: {
        tags: ['session'],
        summary: 'Revoke a personal API token (idempotent)',
        params: Type.Object({ tokenId: Id }, STRICT),
        response: { 200: ref(ApiTokenSchema), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const revoked = await useCases.revokeApiToken.execute(
        { by: customerOf(request), tokenId: request.params.tokenId },
        metaOf(request),
      );
      return presentApiToken(revoked);
    },
  );
};
