// End to end over real HTTP with the typed client generated from the OpenAPI document (openapi-fetch):
// a browser-like customer (cookie jar, CSRF header), a REST client with a personal token, and the platform
// with a service key. Then a graceful shutdown with a request in flight.
import createClient, { type Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { paths } from './generated/api.js';
import { newBuyer, serviceKey, startTestApi, type TestApi, unique } from './support/test-api.js';

/** A browser's cookie jar and the CSRF header it sends on writes, as client middleware. */
function browser() {
  const jar = new Map<string, string>();
  let csrf = '';
  const middleware: Middleware = {
    onRequest({ request }) {
      if (jar.size) request.headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      if (csrf && request.method !== 'GET') request.headers.set('x-csrf-token', csrf);
      return request;
    },
    async onResponse({ response }) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, value] = (pair ?? '').split('=');
        if (!name) continue;
        if (value) jar.set(name, value);
        else jar.delete(name);
      }
      return response;
    },
  };
  const setCsrf = (token: string) => {
    csrf = token;
  };
  return { middleware, jar, setCsrf };
}

describe('end to end with the generated client', () => {
  let api: TestApi;
  let baseUrl: string;
  beforeAll(async () => {
    api = await startTestApi();
    baseUrl = await api.server.listen();
  });
  afterAll(() => api?.close());

  it('walks the documented flows as a browser, a REST client and the platform', async () => {
    const b = browser();
    const client = createClient<paths>({ baseUrl });
    client.use(b.middleware);
    const username = unique('e2e');
    const password = 'correct horse battery staple';

    const registered = await client.POST('/v1/accounts', {
      body: { username, email: `${username}@example.com`, password, company: 'Acme' },
    });
    expect(registered.response.status).toBe(201);
    const session = await client.POST('/v1/sessions', { body: { login: username, password } });
    expect(session.data?.account.username).toBe(username);
    b.setCsrf(session.data?.csrfToken ?? '');
    expect([...b.jar.keys()]).toEqual(['__Host-bc_session']);

    const me = await client.GET('/v1/me');
    expect(me.data?.id).toBe(registered.data?.id);
    const ws = await client.POST('/v1/workspaces', { body: { name: 'Web', language: 'en', siteId: 'us1' } });
    expect(ws.data?.billingMethod).toEqual({ kind: 'billing-center', cloudAccountId: null });
    const workspaceId = ws.data?.id ?? '';

    // AWS posts the buyer's browser to the fulfillment URL; the browser follows the 303 to the ticket page
    const token = api.marketplace.issueToken(newBuyer('aws'));
    const posted = await fetch(`${baseUrl}/marketplace/aws/fulfillment`, {
      method: 'POST',
      body: new URLSearchParams({ 'x-amzn-marketplace-token': token }),
      redirect: 'manual',
    });
    expect(posted.status).toBe(303);
    const ticketId = String(posted.headers.get('location')).split('/').pop() ?? '';
    const ticket = await client.GET('/v1/registration-tickets/{ticketId}', {
      params: { path: { ticketId } },
    });
    expect(ticket.data?.status).toBe('open');
    const completed = await client.POST('/v1/registration-tickets/{ticketId}/complete', {
      params: { path: { ticketId } },
      body: { bindWorkspaceIds: [workspaceId] },
    });
    const cloudAccountId = completed.data?.cloudAccount.id ?? '';
    expect(completed.data?.workspaces[0]?.billingMethod).toEqual({ kind: 'cloud-account', cloudAccountId });
    const cas = await client.GET('/v1/cloud-accounts');
    expect(cas.data?.items.map((c) => c.id)).toEqual([cloudAccountId]);

    // a rule violation arrives typed, with its code
    const again = await client.PUT('/v1/workspaces/{workspaceId}/billing-method', {
      params: { path: { workspaceId } },
      body: { method: { kind: 'billing-center' } },
    });
    expect(again.response.status).toBe(422);
    expect(again.error?.error.code).toBe('billing-method-change-limit');

    // a REST client with a personal API token
    const issued = await client.POST('/v1/me/api-tokens', { body: { name: 'ci' } });
    const rest = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${issued.data?.token}` } });
    const listed = await rest.GET('/v1/workspaces', { params: { query: { cloudAccountId, limit: 10 } } });
    expect(listed.data?.items.map((w) => w.id)).toEqual([workspaceId]);

    // the platform with service keys
    const platform = createClient<paths>({
      baseUrl,
      headers: { authorization: `Bearer ${await serviceKey(api, ['usage:write', 'workspaces:read'])}` },
    });
    const usage = await platform.POST('/v1/platform/usage', {
      body: {
        records: [
          {
            idempotencyKey: unique('e2e-usage'),
            workspaceId,
            itemCode: 'log-events',
            hour: api.clock.now().toISOString(),
            quantity: 42,
          },
        ],
      },
    });
    expect(usage.data?.accepted).toBe(1);
    const status = await platform.GET('/v1/platform/workspaces/{workspaceId}/billing-status', {
      params: { path: { workspaceId } },
    });
    expect(status.data).toMatchObject({ workspaceId, locked: false, fullyLocked: false, lock: null });
    expect(status.data?.nextPayer?.method).toEqual({ kind: 'cloud-account', cloudAccountId });

    const out = await client.DELETE('/v1/sessions/current');
    expect(out.response.status).toBe(204);
    expect(b.jar.size).toBe(0);
    const after = await client.GET('/v1/me');
    expect(after.response.status).toBe(401);
    expect(after.error?.error.code).toBe('unauthenticated');
  });

  it('finishes a request in flight when told to stop, then refuses new connections', async () => {
    const other = await startTestApi();
    const url = await other.server.listen();
    const key = await serviceKey(other, ['workspaces:read']);
    const queries = other.runtime.useCases.workspaces;
    const list = queries.list.bind(queries);
    queries.list = async (input) => {
      await new Promise((r) => setTimeout(r, 300));
      return list(input);
    };
    const inFlight = fetch(`${url}/v1/platform/workspaces`, { headers: { authorization: `Bearer ${key}` } });
    await new Promise((r) => setTimeout(r, 100));
    const closed = other.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ items: [], nextCursor: null });
    await closed;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
