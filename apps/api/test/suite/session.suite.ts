import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  as,
  COOKIE,
  type DatabaseKind,
  newCustomer,
  signIn,
  startTestApi,
  type TestApi,
  unique,
} from '../support/test-api.js';

/** Registration, sign-in and out, sessions, personal API tokens, `me` and the audit log. */
export function defineSessionSuite(database: DatabaseKind) {
  describe(`accounts and sessions (${database})`, () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ database });
    });
    afterAll(() => api?.close());

    const register = (username: string, o: Record<string, unknown> = {}) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        payload: {
          username,
          email: `${username}@example.com`,
          password: 'correct horse battery staple',
          company: 'Acme',
          ...o,
        },
      });

    it('registers an account; the username and email are taken afterwards', async () => {
      const name = unique('Ada');
      const res = await register(name);
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        username: name.toLowerCase(),
        email: `${name.toLowerCase()}@example.com`,
      });
      expect(res.json()).not.toHaveProperty('passwordHash');
      const again = await register(name);
      expect(again.statusCode).toBe(409);
      expect(again.json().error).toMatchObject({ code: 'username-taken', details: { field: 'username' } });
      const sameEmail = await register(unique('other'), { email: `${name}@example.com` });
      expect(sameEmail.json().error.code).toBe('email-taken');
    });

    it('refuses weak passwords and malformed fields, writing nothing', async () => {
      const name = unique('weak');
      const weak = await register(name, { password: 'aaaaaaaaaaaa' });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().error).toMatchObject({ code: 'weak-password', details: { field: 'password' } });
      const badName = await register(`${name}!`, {});
      expect(badName.statusCode).toBe(400);
      expect(badName.json().error).toMatchObject({ code: 'invalid-input', details: { field: 'username' } });
      expect((await register(name)).statusCode).toBe(201); // the refused attempt left nothing behind
    });

    it('signs in by username or email with a secure session cookie and a CSRF token', async () => {
      const name = unique('bob');
      await register(name);
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        payload: { login: `${name}@EXAMPLE.com`, password: 'correct horse battery staple' },
      });
      expect(res.statusCode).toBe(201);
      const cookie = res.cookies.find((c) => c.name === COOKIE);
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
      expect(cookie?.value).toMatch(/^bck_/);
      expect(cookie?.expires?.toISOString()).toBe(res.json().expiresAt);
      expect(res.json()).toMatchObject({
        account: { username: name.toLowerCase() },
        csrfToken: expect.any(String),
      });
      expect(res.body).not.toContain(cookie?.value);
    });

    it('refuses a wrong password without telling whether the login exists', async () => {
      const name = unique('carol');
      await register(name);
      const wrong = await api.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        payload: { login: name, password: 'not the password' },
      });
      const unknown = await api.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        payload: { login: unique('nobody'), password: 'not the password' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual(unknown.json());
      expect(wrong.json().error.code).toBe('invalid-credentials');
      expect(wrong.cookies).toEqual([]);
    });

    it('returns the current session with the same CSRF token, then signs out', async () => {
      const c = await newCustomer(api.app);
      const current = await api.app.inject({
        method: 'GET',
        url: '/v1/sessions/current',
        headers: { cookie: c.cookie },
      });
      expect(current.statusCode).toBe(200);
      expect(current.json()).toMatchObject({ csrfToken: c.csrfToken, account: { id: c.accountId } });
      const out = await api.app.inject(as(c, { method: 'DELETE', url: '/v1/sessions/current' }));
      expect(out.statusCode).toBe(204);
      expect(out.cookies.find((x) => x.name === COOKIE)?.value).toBe('');
      const after = await api.app.inject(as(c, { method: 'GET', url: '/v1/me' }));
      expect(after.statusCode).toBe(401);
      expect(after.json().error.code).toBe('session-invalid');
    });

    it('ends a session after the idle timeout', async () => {
      const c = await newCustomer(api.app);
      const start = api.clock.now();
      try {
        api.clock.advance(59 * 60_000);
        expect((await api.app.inject(as(c, { method: 'GET', url: '/v1/me' }))).statusCode).toBe(200);
        api.clock.advance(61 * 60_000);
        const idle = await api.app.inject(as(c, { method: 'GET', url: '/v1/me' }));
        expect(idle.statusCode).toBe(401);
        expect(idle.json().error.code).toBe('session-invalid');
      } finally {
        api.clock.set(start);
      }
    });

    it('shows the signed-in account to sessions and API tokens', async () => {
      const c = await newCustomer(api.app);
      const me = await api.app.inject(as(c, { method: 'GET', url: '/v1/me' }));
      expect(me.json()).toMatchObject({ id: c.accountId, username: c.username, anyBillingMethod: false });
      const issued = await api.app.inject(
        as(c, { method: 'POST', url: '/v1/me/api-tokens', payload: { name: 'ci' } }),
      );
      const viaToken = await api.app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${issued.json().token}` },
      });
      expect(viaToken.json()).toEqual(me.json());
    });

    it('issues personal API tokens from a session only, lists them without secrets, and revokes them', async () => {
      const c = await newCustomer(api.app);
      const issued = await api.app.inject(
        as(c, {
          method: 'POST',
          url: '/v1/me/api-tokens',
          payload: { name: 'deploy', expiresAt: '2027-01-01T00:00:00Z' },
        }),
      );
      expect(issued.statusCode).toBe(201);
      const { apiToken, token } = issued.json();
      expect(token).toMatch(/^bcp_/);
      expect(apiToken).toMatchObject({
        name: 'deploy',
        expiresAt: '2027-01-01T00:00:00.000Z',
        revokedAt: null,
      });
      const bearer = { authorization: `Bearer ${token}` };
      // a token cannot mint more tokens
      const minted = await api.app.inject({
        method: 'POST',
        url: '/v1/me/api-tokens',
        headers: bearer,
        payload: { name: 'x' },
      });
      expect(minted.statusCode).toBe(403);
      expect(minted.json().error.code).toBe('session-required');
      const list = await api.app.inject({ method: 'GET', url: '/v1/me/api-tokens', headers: bearer });
      expect(list.json().items).toEqual([expect.objectContaining({ id: apiToken.id, name: 'deploy' })]);
      expect(list.body).not.toContain(token);
      expect(list.body).not.toMatch(/hash/i);
      const revoked = await api.app.inject({
        method: 'DELETE',
        url: `/v1/me/api-tokens/${apiToken.id}`,
        headers: bearer,
      });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().revokedAt).toBe(api.clock.now().toISOString());
      const after = await api.app.inject({ method: 'GET', url: '/v1/me', headers: bearer });
      expect(after.statusCode).toBe(401);
      expect(after.json().error.code).toBe('api-token-invalid');
      // revoking again is harmless
      const again = await api.app.inject(
        as(c, { method: 'DELETE', url: `/v1/me/api-tokens/${apiToken.id}` }),
      );
      expect(again.statusCode).toBe(200);
    });

    it('refuses a token expiry in the past or too far away', async () => {
      const c = await newCustomer(api.app);
      for (const expiresAt of ['2020-01-01T00:00:00Z', '2030-01-01T00:00:00Z']) {
        const res = await api.app.inject(
          as(c, { method: 'POST', url: '/v1/me/api-tokens', payload: { name: 'x', expiresAt } }),
        );
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe('invalid-expiry');
      }
      const list = await api.app.inject(as(c, { method: 'GET', url: '/v1/me/api-tokens' }));
      expect(list.json().items).toEqual([]);
    });

    it("keeps the account's audit log with request ids, newest first, page by page", async () => {
      const c = await newCustomer(api.app);
      await api.app.inject(
        as(c, {
          method: 'POST',
          url: '/v1/workspaces',
          headers: { 'x-request-id': 'audit-req-1' },
          payload: { name: 'Audited', language: 'en', siteId: 'eu1' },
        }),
      );
      const first = await api.app.inject(as(c, { method: 'GET', url: '/v1/me/audit-log?limit=1' }));
      expect(first.json().items).toHaveLength(1);
      expect(first.json().items[0]).toMatchObject({
        action: 'workspace.created',
        requestId: 'audit-req-1',
        actorType: 'customer',
        actorId: c.accountId,
      });
      const rest = await api.app.inject(
        as(c, { method: 'GET', url: `/v1/me/audit-log?limit=50&cursor=${first.json().nextCursor}` }),
      );
      const actions = rest.json().items.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['session.started', 'account.registered']));
      expect(actions).not.toContain('workspace.created');
    });

    it('signs in a second time with its own session; signing out one keeps the other', async () => {
      const c = await newCustomer(api.app);
      const second = await signIn(api.app, c.username, c.password);
      await api.app.inject(as(c, { method: 'DELETE', url: '/v1/sessions/current' }));
      expect((await api.app.inject(as(second, { method: 'GET', url: '/v1/me' }))).statusCode).toBe(200);
    });
  });
}
