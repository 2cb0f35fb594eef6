import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activatedCustomer,
  as,
  type Customer,
  type DatabaseKind,
  deliver,
  newCustomer,
  startTestApi,
  type TestApi,
} from '../support/test-api.js';

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<
    string,
    Record<string, { operationId?: string; requestBody?: { content: Record<string, { schema: Schema }> } }>
  >;
};

/**
 * A request body that passes the route's schema (so the request reaches the tenancy check rather than
 * stopping at validation): required properties only, the first choice of each union, the smallest values.
 */
export function sampleOf(schema: Schema | undefined): unknown {
  if (!schema) return undefined;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.anyOf)) return sampleOf(schema.anyOf[0] as Schema);
  switch (schema.type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      for (const k of (schema.required ?? []) as string[]) out[k] = sampleOf(props[k]);
      return out;
    }
    case 'array':
      return Array.from({ length: Number(schema.minItems ?? 1) }, () => sampleOf(schema.items as Schema));
    case 'string':
      if (schema.format === 'date-time') return '2026-12-01T00:00:00Z';
      return 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    case 'integer':
    case 'number':
      return Number(schema.minimum ?? 1);
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/**
 * Tenant isolation, generated from the OpenAPI document: every operation with a path parameter is called by
 * account B with each of account A's object ids, with a schema-valid body, under both of B's credentials.
 * None may answer 2xx or show A's data, and afterwards A's objects are exactly as they were.
 */
export function defineIsolationSuite(database: DatabaseKind) {
  describe(`tenant isolation from the OpenAPI document (${database})`, () => {
    let api: TestApi;
    let a: Awaited<ReturnType<typeof activatedCustomer>>;
    let b: Customer;
    let bToken: string;
    const ids: Record<string, string[]> = {};

    beforeAll(async () => {
      api = await startTestApi({ database });
      a = await activatedCustomer(api);
      const ac = a.customer;
      const secondWs = (
        await api.app.inject(
          as(ac, {
            method: 'POST',
            url: '/v1/workspaces',
            payload: { name: 'Secret-A', language: 'en', siteId: 'us1' },
          }),
        )
      ).json();
      const arrears = (
        await api.app.inject(
          as(ac, {
            method: 'POST',
            url: '/v1/workspaces',
            payload: { name: 'Secret-A-2', language: 'en', siteId: 'eu1' },
          }),
        )
      ).json();
      await deliver(api, a.buyer, 'subscribe-success', api.clock.now());
      const token = (
        await api.app.inject(
          as(ac, { method: 'POST', url: '/v1/me/api-tokens', payload: { name: 'A-token' } }),
        )
      ).json();
      ids.workspaceId = [a.workspaceId, secondWs.id, arrears.id];
      ids.cloudAccountId = [a.cloudAccountId];
      ids.tokenId = [token.apiToken.id];
      ids.ticketId = [a.ticketId];
      // not an object id: the marketplace's partition
      ids.partition = ['aws'];
      b = await newCustomer(api.app);
      bToken = (
        await api.app.inject(
          as(b, { method: 'POST', url: '/v1/me/api-tokens', payload: { name: 'B-token' } }),
        )
      ).json().token;
    });
    afterAll(() => api?.close());

    const snapshot = async () => {
      const ac = a.customer;
      const get = async (url: string) => (await api.app.inject(as(ac, { method: 'GET', url }))).json();
      return {
        workspaces: await get('/v1/workspaces?includeDissolved=true&limit=200'),
        cloudAccounts: await get('/v1/cloud-accounts'),
        tokens: await get('/v1/me/api-tokens'),
        bindings: await Promise.all(
          (ids.workspaceId ?? []).map((id) => get(`/v1/workspaces/${id}/bindings`)),
        ),
        ticket: await get(`/v1/registration-tickets/${a.ticketId}`),
      };
    };

    it('never answers 2xx to another account, on any route with a path parameter', async () => {
      const before = await snapshot();
      const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Doc;
      const attempts: string[] = [];
      const leaks: string[] = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
        if (params.length === 0) continue;
        for (const [method, op] of Object.entries(operations)) {
          const content = op.requestBody?.content ?? {};
          const json = content['application/json']?.schema;
          const formSchema = content['application/x-www-form-urlencoded']?.schema;
          for (const param of params) {
            if (!ids[param])
              throw new Error(`The matrix has no ids for path parameter "${param}" (${method} ${path})`);
          }
          // every combination of A's ids for the path's parameters (one parameter per path today)
          const combos = params.reduce<Array<Record<string, string>>>(
            (acc, p) => acc.flatMap((c) => (ids[p] ?? []).map((v) => ({ ...c, [p]: v }))),
            [{}],
          );
          for (const combo of combos) {
            const url = path.replace(/\{(\w+)\}/g, (_m, p: string) => encodeURIComponent(combo[p] as string));
            const payload = json ? sampleOf(json) : formSchema ? '' : undefined;
            const headers: Record<string, string> = formSchema
              ? { 'content-type': 'application/x-www-form-urlencoded' }
              : {};
            for (const [who, auth] of [
              ['session', b.headers],
              ['token', { authorization: `Bearer ${bToken}` }],
            ] as const) {
              const res = await api.app.inject({
                method: method.toUpperCase() as 'GET',
                url,
                headers: { ...headers, ...auth },
                ...(payload === undefined ? {} : { payload: payload as string }),
              });
              attempts.push(`${method.toUpperCase()} ${url} as B (${who}) → ${res.statusCode}`);
              if (res.statusCode >= 200 && res.statusCode < 300) leaks.push(attempts.at(-1) as string);
              if (/Secret-A/.test(res.body) || res.body.includes(a.customer.accountId))
                leaks.push(`${attempts.at(-1)} shows A's data: ${res.body.slice(0, 200)}`);
            }
          }
        }
      }
      expect(leaks).toEqual([]);
      // the document really was walked: every parameterised operation, each of A's ids, both credentials
      expect(attempts.length).toBeGreaterThanOrEqual(30);
      for (const route of [
        'GET /v1/workspaces/',
        'PUT /v1/workspaces/',
        'POST /v1/cloud-accounts/',
        'DELETE /v1/me/api-tokens/',
        'POST /v1/registration-tickets/',
        'GET /v1/platform/workspaces/',
      ])
        expect(attempts.some((x) => x.startsWith(route))).toBe(true);
      expect(await snapshot()).toEqual(before);
    });

    it("answers another account's workspace, cloud account and token as unknown (404), not forbidden", async () => {
      for (const url of [
        `/v1/workspaces/${a.workspaceId}`,
        `/v1/cloud-accounts/${a.cloudAccountId}`,
        `/v1/cloud-accounts/${a.cloudAccountId}/history`,
        `/v1/cloud-accounts/${a.cloudAccountId}/metering-records`,
        `/v1/workspaces/${a.workspaceId}/bindings`,
      ]) {
        const res = await api.app.inject(as(b, { method: 'GET', url }));
        expect(res.statusCode, url).toBe(404);
        const missing = await api.app.inject(
          as(b, { method: 'GET', url: url.replace(/[0-9a-f]{4}-/, 'ffff-') }),
        );
        // the same code whether the object exists elsewhere or not at all
        expect(res.json().error.code).toBe(missing.json().error.code);
      }
      const revoke = await api.app.inject(
        as(b, { method: 'DELETE', url: `/v1/me/api-tokens/${ids.tokenId?.[0]}` }),
      );
      expect(revoke.statusCode).toBe(404);
    });
  });
}
