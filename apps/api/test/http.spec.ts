// The HTTP edge itself, on SQLite: the one error body for Fastify's own errors, security headers, request
// ids, metrics, probes, CSRF, rate limits, what never reaches a log, and 5xx answers that hide internals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, newCustomer, startTestApi, type TestApi, unique } from './support/test-api.js';

describe('the HTTP edge', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ env: { BODY_LIMIT_BYTES: '4096' }, captureLogs: true });
  });
  afterAll(() => api?.close());

  const expectError = (res: { statusCode: number; json(): unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(Object.keys(body)).toEqual(['error']);
    return body;
  };

  it('answers the probes; readiness asks the database', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await api.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('reports not ready, in the error shape, once the database is gone', async () => {
    const other = await startTestApi();
    await other.runtime.persistence.close();
    const res = await other.app.inject({ method: 'GET', url: '/readyz' });
    expectError(res, 503, 'not-ready');
    await other.app.close();
  });

  it('sends security headers and a request id on every answer', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(res.headers['x-request-id']).toBe('trace-42');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    const odd = await api.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'a b\nc' },
    });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts requests by route pattern and status in /metrics', async () => {
    const c = await newCustomer(api.app);
    await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces/nope' }));
    const text = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('http_requests_total{route="/healthz",method="GET",status_code="200"}');
    expect(text).toContain('route="/v1/workspaces/:workspaceId",method="GET",status_code="404"');
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).not.toContain('/v1/workspaces/nope');
  });

  it('serves the OpenAPI document and Swagger UI', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/workspaces');
    const ui = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it('answers unknown routes with the error body', async () => {
    expectError(await api.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'route-not-found');
  });

  it('refuses bodies of other media types (415), too large (413), malformed (400)', async () => {
    const url = '/v1/accounts';
    const post = (contentType: string, payload: string) =>
      api.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });
    expectError(await post('text/plain', 'hello'), 415, 'unsupported-media-type');
    expectError(await post('application/x-www-form-urlencoded', 'username=x'), 415, 'unsupported-media-type');
    const big = { username: 'abc', email: 'a@b.co', password: 'x'.repeat(5000), company: 'c' };
    expectError(await api.app.inject({ method: 'POST', url, payload: big }), 413, 'body-too-large');
    expectError(await post('application/json', '{"username": "abc",'), 400, 'malformed-body');
    expectError(await post('application/json', ''), 400, 'malformed-body');
  });

  it('names every failing field of an invalid request, unknown properties included', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { username: 'ab', email: 'a@b.co', company: 'Acme', isAdmin: true },
    });
    const body = expectError(res, 400, 'invalid-request') as unknown as {
      error: { details: { fields: unknown[] } };
    };
    expect(body.error.details.fields).toEqual(
      expect.arrayContaining([
        { in: 'body', path: '/isAdmin', message: 'is not an allowed property' },
        { in: 'body', path: '/password', message: 'is required' },
        { in: 'body', path: '/username', message: expect.stringContaining('3') },
      ]),
    );
    const q = await api.app.inject({ method: 'GET', url: '/v1/workspaces?limit=0&color=red', headers: {} });
    expect(q.statusCode).toBe(401); // authentication comes before the query is looked at
    const c = await newCustomer(api.app);
    const query = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces?limit=0&color=red' }));
    const qb = expectError(query, 400, 'invalid-request') as unknown as {
      error: { details: { fields: unknown[] } };
    };
    expect(qb.error.details.fields).toEqual(
      expect.arrayContaining([
        { in: 'querystring', path: '/color', message: 'is not an allowed property' },
        { in: 'querystring', path: '/limit', message: expect.any(String) },
      ]),
    );
  });

  it('asks for credentials with 401 and says which kind of token is wrong', async () => {
    const none = expectError(
      await api.app.inject({ method: 'GET', url: '/v1/workspaces' }),
      401,
      'unauthenticated',
    );
    expect(none.error.message).toMatch(/Sign in/);
    const res = await api.app.inject({ method: 'GET', url: '/v1/workspaces' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expectError(
      await api.app.inject({ method: 'GET', url: '/v1/workspaces', headers: { authorization: 'Basic abc' } }),
      401,
      'invalid-authorization',
    );
    expectError(
      await api.app.inject({
        method: 'GET',
        url: '/v1/workspaces',
        headers: { authorization: 'Bearer xyz_123' },
      }),
      401,
      'invalid-authorization',
    );
    expectError(
      await api.app.inject({
        method: 'GET',
        url: '/v1/workspaces',
        headers: { authorization: `Bearer bcp_${'a'.repeat(32)}` },
      }),
      401,
      'api-token-invalid',
    );
    expectError(
      await api.app.inject({
        method: 'GET',
        url: '/v1/platform/workspaces',
        headers: { authorization: `Bearer bcs_${'a'.repeat(32)}` },
      }),
      401,
      'service-key-invalid',
    );
    const stale = await api.app.inject({
      method: 'GET',
      url: '/v1/workspaces',
      headers: { cookie: `__Host-bc_session=bck_${'z'.repeat(32)}` },
    });
    expectError(stale, 401, 'session-invalid');
    // the browser is told to drop a cookie that signs nobody in
    expect(String(stale.headers['set-cookie'])).toMatch(/__Host-bc_session=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('refuses cookie-authenticated writes without the CSRF header; bearer tokens need none', async () => {
    const c = await newCustomer(api.app);
    const payload = { name: 'W', language: 'en', siteId: 'us1' };
    const without = await api.app.inject({
      method: 'POST',
      url: '/v1/workspaces',
      headers: { cookie: c.cookie },
      payload,
    });
    expectError(without, 403, 'csrf-token-invalid');
    const wrong = await api.app.inject({
      method: 'POST',
      url: '/v1/workspaces',
      headers: { cookie: c.cookie, 'x-csrf-token': `${c.csrfToken.slice(0, -2)}xx` },
      payload,
    });
    expectError(wrong, 403, 'csrf-token-invalid');
    // reads need no CSRF header
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/workspaces', headers: { cookie: c.cookie } }))
        .statusCode,
    ).toBe(200);
    const list = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces' }));
    expect(list.json().items).toEqual([]); // nothing was created by the refused writes
    const issued = await api.app.inject(
      as(c, { method: 'POST', url: '/v1/me/api-tokens', payload: { name: 'ci' } }),
    );
    const token = issued.json().token as string;
    const viaToken = await api.app.inject({
      method: 'POST',
      url: '/v1/workspaces',
      headers: { authorization: `Bearer ${token}` },
      payload,
    });
    expect(viaToken.statusCode).toBe(201);
  });

  it('hides internals of a fault: a 500 with the request id, the cause only in the log', async () => {
    const c = await newCustomer(api.app);
    const queries = api.runtime.useCases.workspaces;
    const original = queries.list;
    queries.list = async () => {
      throw new Error('connection to 10.1.2.3 refused: password authentication failed for user billing');
    };
    try {
      const res = await api.app.inject(
        as(c, { method: 'GET', url: '/v1/workspaces', headers: { 'x-request-id': 'fault-1' } }),
      );
      const body = expectError(res, 500, 'internal-error');
      expect(body.error.message).toContain('fault-1');
      expect(res.body).not.toMatch(/10\.1\.2\.3|password|stack/);
      const logged = api.logs.filter((l) => l.includes('"reqId":"fault-1"') && l.includes('"level":50'));
      expect(logged.join('\n')).toContain('connection to 10.1.2.3 refused');
    } finally {
      queries.list = original;
    }
  });

  it('never logs passwords, cookies, tokens or CSRF tokens', async () => {
    const c = await newCustomer(api.app);
    const issued = await api.app.inject(
      as(c, { method: 'POST', url: '/v1/me/api-tokens', payload: { name: 'x' } }),
    );
    const token = issued.json().token as string;
    await api.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    await api.app.inject({ method: 'GET', url: `/v1/me?token=${token}` });
    const all = api.logs.join('\n');
    expect(all).toContain('/v1/me');
    for (const secret of [c.password, c.cookie.split('=')[1] as string, c.csrfToken, token]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('rate limits', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      env: { RATE_LIMIT_PER_MINUTE: '5', SIGN_IN_LIMIT_PER_IP: '100', SIGN_IN_LIMIT_PER_LOGIN: '3' },
    });
  });
  afterAll(() => api?.close());

  it('limits requests per client address, in the error shape with Retry-After', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      codes.push(
        (await api.app.inject({ method: 'GET', url: '/v1/me', remoteAddress: '10.9.9.9' })).statusCode,
      );
    }
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await api.app.inject({ method: 'GET', url: '/v1/me', remoteAddress: '10.9.9.9' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate-limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // probes are never limited
    expect(
      (await api.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.9.9.9' })).statusCode,
    ).toBe(200);
    // another address has its own budget
    expect(
      (await api.app.inject({ method: 'GET', url: '/v1/me', remoteAddress: '10.9.9.8' })).statusCode,
    ).toBe(401);
  });

  it('limits sign-in attempts per login name, whatever the address', async () => {
    const login = unique('victim');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        remoteAddress: `10.0.0.${i + 1}`,
        payload: { login, password: 'wrong password guess' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
