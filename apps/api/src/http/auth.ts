import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type Actor,
  isDomainError,
  type RequestMeta,
  type ServiceKeyScope,
  type UseCases,
} from '@billing-center/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';

/**
 * Who may call a route. Customers authenticate with the session cookie (browsers) or a personal API token
 * (`Authorization: Bearer bcp_…`); the platform with a scoped service key (`Authorization: Bearer bcs_…`).
 */
export type AuthRequirement =
  | { kind: 'public' }
  /** public, but a signed-in customer is recognised (registration tickets) */
  | { kind: 'optional-customer' }
  | { kind: 'customer' }
  /** a customer's browser session only (reading the CSRF token, signing out) */
  | { kind: 'session' }
  | { kind: 'service'; scope: ServiceKeyScope };

export type Principal =
  | { via: 'session'; accountId: string; sessionId: string; sessionToken: string; expiresAt: Date }
  | { via: 'api-token'; accountId: string; tokenId: string }
  | { via: 'service-key'; keyId: string; scopes: ServiceKeyScope[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const PUBLIC: AuthRequirement = { kind: 'public' };
export const CUSTOMER: AuthRequirement = { kind: 'customer' };
export const service = (scope: ServiceKeyScope): AuthRequirement => ({ kind: 'service', scope });

export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The session cookie's name: `__Host-` makes browsers insist on Secure, path `/` and no Domain. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-bc_session' : 'bc_session');

/**
 * CSRF token of a session (signed double submit): an HMAC keyed by the session's own secret. Only a page that
 * could read the HttpOnly cookie — none — or that received the token from the API can produce it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('billing-center csrf v1').digest('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The customer a request acts for; routes behind `CUSTOMER` always have one. */
export function customerOf(request: FastifyRequest): { type: 'customer'; accountId: string } {
  const p = request.principal;
  if (p?.via === 'session' || p?.via === 'api-token') return { type: 'customer', accountId: p.accountId };
  throw new HttpError(401, 'unauthenticated', 'Sign in, or send a personal API token as a Bearer token.');
}

/** The platform actor behind a service key. */
export function platformOf(request: FastifyRequest): Actor {
  const p = request.principal;
  if (p?.via === 'service-key') return { type: 'platform', keyId: p.keyId };
  throw new HttpError(401, 'unauthenticated', 'Send a service key as a Bearer token.');
}

export const metaOf = (request: FastifyRequest): RequestMeta => ({ requestId: request.id });

/** The OpenAPI security requirement of each kind of route (kept next to the enforcement). */
export function securityFor(auth: AuthRequirement): Array<Record<string, string[]>> {
  switch (auth.kind) {
    case 'public':
      return [];
    case 'optional-customer':
      return [{}, { session: [] }, { apiToken: [] }];
    case 'customer':
      return [{ session: [] }, { apiToken: [] }];
    case 'session':
      return [{ session: [] }];
    case 'service':
      return [{ serviceKey: [auth.scope] }];
  }
}

export interface AuthOptions {
  useCases: Pick<UseCases, 'authenticateSession' | 'authenticateApiToken' | 'authenticateServiceKey'>;
  cookieName: string;
  cookieSecure: boolean;
}

/**
 * Authenticates every request (before its body is read) and enforces the route's `config.auth`. A route that
 * declares nothing is public outside `/v1/` and customer-only inside it: a forgotten declaration never opens
 * an API route. Bearer requests carry no ambient credential, so only cookie-authenticated writes need the
 * CSRF header.
 */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  const { useCases, cookieName } = options;
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth ?? (route.url.startsWith('/v1/') ? CUSTOMER : PUBLIC);
    route.config = { ...route.config, auth };
    if (route.schema && !route.schema.hide) {
      (route.schema as Record<string, unknown>).security = securityFor(auth);
    }
    if (auth.kind === 'public') return;
    // A route-level hook, added after the rate limiter's: a flood of bad credentials is limited too.
    const existing = route.onRequest;
    route.onRequest = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), authenticate];
  });

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const auth = request.routeOptions.config.auth ?? PUBLIC;
    try {
      request.principal = await identify(request, reply);
    } catch (e) {
      // a page open to everyone treats an ended session like no session
      if (auth.kind !== 'optional-customer' || statusOf(e) !== 401) throw e;
    }
    const p = request.principal;
    switch (auth.kind) {
      case 'optional-customer':
        if (p?.via === 'service-key') throw customerOnly();
        break;
      case 'customer':
        if (!p) throw missing();
        if (p.via === 'service-key') throw customerOnly();
        break;
      case 'session':
        if (!p)
          throw new HttpError(
            401,
            'unauthenticated',
            'This endpoint needs a browser session; sign in first.',
          );
        if (p.via !== 'session')
          throw new HttpError(
            403,
            'session-required',
            'This endpoint needs a signed-in browser session; bearer tokens and keys cannot call it.',
          );
        break;
      case 'service':
        if (!p) throw missing();
        if (p.via !== 'service-key')
          throw new HttpError(
            403,
            'service-key-required',
            'This endpoint is for the observability platform and needs a service key.',
          );
        if (!p.scopes.includes(auth.scope))
          throw new HttpError(403, 'missing-scope', `This service key lacks the scope ${auth.scope}.`, {
            scope: auth.scope,
          });
        break;
    }
    if (p?.via === 'session' && UNSAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, csrfTokenFor(p.sessionToken))) {
        throw new HttpError(
          403,
          'csrf-token-invalid',
          `Cookie-authenticated changes need the ${CSRF_HEADER} header with the csrfToken from sign-in (GET /v1/sessions/current returns it again).`,
        );
      }
    }
  }

  async function identify(request: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header.trim());
      if (!m?.[1])
        throw new HttpError(
          401,
          'invalid-authorization',
          'The Authorization header must be "Bearer <token>" with a personal API token (bcp_…) or a service key (bcs_…).',
        );
      const token = m[1];
      if (token.startsWith('bcs_')) {
        const key = await useCases.authenticateServiceKey.execute({ key: token });
        return { via: 'service-key', keyId: key.keyId, scopes: key.scopes };
      }
      if (token.startsWith('bcp_')) {
        const t = await useCases.authenticateApiToken.execute({ token });
        return { via: 'api-token', accountId: t.accountId, tokenId: t.tokenId };
      }
      throw new HttpError(
        401,
        'invalid-authorization',
        'Unknown kind of bearer token: personal API tokens start with bcp_, service keys with bcs_.',
      );
    }
    const cookie = request.cookies[cookieName];
    if (!cookie) return null;
    try {
      const s = await useCases.authenticateSession.execute({ token: cookie });
      return {
        via: 'session',
        accountId: s.accountId,
        sessionId: s.sessionId,
        sessionToken: cookie,
        expiresAt: s.expiresAt,
      };
    } catch (e) {
      // the browser should stop sending a cookie that no longer signs anyone in
      clearSessionCookie(reply, cookieName, options.cookieSecure);
      throw e;
    }
  }
}

const statusOf = (e: unknown) =>
  e instanceof HttpError ? e.statusCode : isDomainError(e) && e.kind === 'unauthenticated' ? 401 : 0;

const missing = () =>
  new HttpError(
    401,
    'unauthenticated',
    'Sign in (session cookie), or send a personal API token as "Authorization: Bearer bcp_…".',
  );
const customerOnly = () =>
  new HttpError(
    403,
    'customer-only',
    'This endpoint acts for a customer account; service keys cannot call it.',
  );

export function setSessionCookie(
  reply: FastifyReply,
  name: string,
  secure: boolean,
  token: string,
  expiresAt: Date,
): void {
  reply.setCookie(name, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: expiresAt });
}

export function clearSessionCookie(reply: FastifyReply, name: string, secure: boolean): void {
  reply.clearCookie(name, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}
