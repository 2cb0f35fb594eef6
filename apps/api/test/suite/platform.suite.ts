import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activatedCustomer,
  as,
  type DatabaseKind,
  deliver,
  newCustomer,
  serviceKey,
  startTestApi,
  type TestApi,
  unique,
} from '../support/test-api.js';

/** The observability platform's endpoints, behind scoped service keys. */
export function definePlatformSuite(database: DatabaseKind) {
  describe(`platform endpoints (${database})`, () => {
    let api: TestApi;
    let usageKey: string;
    let readKey: string;
    let syncKey: string;
    beforeAll(async () => {
      api = await startTestApi({ database });
      usageKey = await serviceKey(api, ['usage:write']);
      readKey = await serviceKey(api, ['workspaces:read']);
      syncKey = await serviceKey(api, ['workspaces:sync', 'workspaces:read']);
    });
    afterAll(() => api?.close());

    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const hour = () => api.clock.now().toISOString();
    const push = (records: unknown[], key = usageKey) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/platform/usage',
        headers: bearer(key),
        payload: { records },
      });

    it('ingests a batch with one result per record: accepted, duplicate, rejected', async () => {
      const { workspaceId } = await activatedCustomer(api);
      const k = unique('k');
      const rec = (key: string, o: Record<string, unknown> = {}) => ({
        idempotencyKey: key,
        workspaceId,
        itemCode: 'log-events',
        hour: hour(),
        quantity: 1_000,
        ...o,
      });
      const res = await push([
        rec(`${k}-1`),
        rec(`${k}-1`),
        rec(`${k}-2`, { itemCode: 'no-such-item' }),
        rec(`${k}-3`, { workspaceId: 'unknown-ws' }),
        rec(`${k}-4`, { quantity: -5 }),
        rec(`${k}-5`, { hour: '2026-11-02T14:00:00Z' }),
        rec(`${k}-6`, { hour: 'yesterday' }),
      ]);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ accepted: 1, duplicates: 1, rejected: 5 });
      expect(
        body.results.map((r: { result: string; error?: { code: string } }) => r.error?.code ?? r.result),
      ).toEqual([
        'accepted',
        'duplicate',
        'unknown-billing-item',
        'workspace-not-found',
        'invalid-quantity',
        'usage-in-future',
        'invalid-input',
      ]);
      expect(body.results[0]).toMatchObject({ index: 0, idempotencyKey: `${k}-1`, status: 'pending' });
      // the whole batch again: stored once
      const again = await push([rec(`${k}-1`)]);
      expect(again.json()).toMatchObject({ accepted: 0, duplicates: 1 });
      expect(again.json().results[0].usageId).toBe(body.results[0].usageId);
      const reused = await push([rec(`${k}-1`, { quantity: 2 })]);
      expect(reused.json().results[0].error.code).toBe('usage-key-reused');
    });

    it('refuses a malformed or oversized batch whole, storing nothing', async () => {
      const { workspaceId } = await activatedCustomer(api);
      const k = unique('m');
      const ok = {
        idempotencyKey: `${k}-ok`,
        workspaceId,
        itemCode: 'log-events',
        hour: hour(),
        quantity: 1,
      };
      const malformed = await push([ok, { ...ok, idempotencyKey: `${k}-bad`, quantity: '7' }]);
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.details.fields).toEqual([
        { in: 'body', path: '/records/1/quantity', message: expect.any(String) },
      ]);
      const extra = await push([{ ...ok, note: 'x' }]);
      expect(extra.json().error.details.fields[0]).toMatchObject({ path: '/records/0/note' });
      const tooMany = await push(
        Array.from({ length: 1001 }, (_, i) => ({ ...ok, idempotencyKey: `${k}-${i}` })),
      );
      expect(tooMany.statusCode).toBe(400);
      expect(tooMany.json().error.code).toBe('invalid-request');
      expect((await push([])).statusCode).toBe(400);
      // none of the refused batches stored its valid record
      expect((await push([ok])).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    });

    it('ingests a full batch of 1,000 records', async () => {
      const { workspaceId } = await activatedCustomer(api);
      const k = unique('full');
      const records = Array.from({ length: 1000 }, (_, i) => ({
        idempotencyKey: `${k}-${i}`,
        workspaceId,
        itemCode: i % 2 ? 'log-events' : 'trace-spans',
        hour: new Date(api.clock.now().getTime() - (i % 24) * 3_600_000).toISOString(),
        quantity: i,
      }));
      const res = await push(records);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0 });
    });

    it('requires a service key with the right scope', async () => {
      const c = await newCustomer(api.app);
      const asCustomer = await api.app.inject(
        as(c, { method: 'POST', url: '/v1/platform/usage', payload: { records: [] } }),
      );
      expect(asCustomer.statusCode).toBe(403);
      expect(asCustomer.json().error.code).toBe('service-key-required');
      const wrongScope = await push([{}], readKey);
      expect(wrongScope.statusCode).toBe(403);
      expect(wrongScope.json().error).toMatchObject({
        code: 'missing-scope',
        details: { scope: 'usage:write' },
      });
      const none = await api.app.inject({
        method: 'POST',
        url: '/v1/platform/usage',
        payload: { records: [] },
      });
      expect(none.statusCode).toBe(401);
      // service keys cannot act as a customer
      const asKey = await api.app.inject({ method: 'GET', url: '/v1/workspaces', headers: bearer(syncKey) });
      expect(asKey.statusCode).toBe(403);
      expect(asKey.json().error.code).toBe('customer-only');
      // a revoked key stops working at once
      const key = await serviceKey(api, ['workspaces:read']);
      const { keyId } = await api.runtime.useCases.authenticateServiceKey.execute({ key });
      await api.runtime.useCases.revokeServiceKey.execute({
        by: { type: 'operator', operatorId: 't' },
        keyId,
      });
      const revoked = await api.app.inject({
        method: 'GET',
        url: '/v1/platform/workspaces',
        headers: bearer(key),
      });
      expect(revoked.statusCode).toBe(401);
      expect(revoked.json().error.code).toBe('service-key-invalid');
    });

    it('reads the billing status the platform needs: locked, fully locked, payer now and next', async () => {
      const { customer, workspaceId, cloudAccountId, buyer } = await activatedCustomer(api);
      const status = await api.app.inject({
        method: 'GET',
        url: `/v1/platform/workspaces/${workspaceId}/billing-status`,
        headers: bearer(readKey),
      });
      expect(status.json()).toEqual({
        workspaceId,
        dissolved: false,
        locked: false,
        fullyLocked: false,
        lock: null,
        payer: { kind: 'cloud-account', cloudAccountId },
        nextPayer: null,
      });
      await deliver(api, buyer, 'subscribe-success', api.clock.now());
      await deliver(api, buyer, 'unsubscribe-success', api.clock.now());
      const locked = await api.app.inject({
        method: 'GET',
        url: `/v1/platform/workspaces/${workspaceId}/billing-status`,
        headers: bearer(readKey),
      });
      expect(locked.json()).toMatchObject({
        locked: true,
        fullyLocked: false,
        lock: { reason: 'cloud-subscription-cancelled', graceEndsAt: '2026-11-16T10:15:00.000Z' },
      });
      const unknown = await api.app.inject({
        method: 'GET',
        url: '/v1/platform/workspaces/nope/billing-status',
        headers: bearer(readKey),
      });
      expect(unknown.statusCode).toBe(404);
      const list = await api.app.inject({
        method: 'GET',
        url: `/v1/platform/workspaces?ownerAccountId=${customer.accountId}&locked=true`,
        headers: bearer(readKey),
      });
      expect(list.json().items.map((w: { id: string }) => w.id)).toEqual([workspaceId]);
    });

    it('syncs platform workspaces: create under its id, rename, refuse changing fixed fields', async () => {
      const c = await newCustomer(api.app);
      const id = unique('plat-ws-');
      const put = (payload: Record<string, unknown>) =>
        api.app.inject({
          method: 'PUT',
          url: `/v1/platform/workspaces/${id}`,
          headers: bearer(syncKey),
          payload,
        });
      const base = { ownerAccountId: c.accountId, name: 'Platform one', language: 'en', siteId: 'us1' };
      const created = await put(base);
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ created: true, workspace: { id, name: 'Platform one' } });
      const renamed = await put({ ...base, name: 'Renamed' });
      expect(renamed.statusCode).toBe(200);
      expect(renamed.json()).toMatchObject({ created: false, workspace: { name: 'Renamed' } });
      const moved = await put({ ...base, siteId: 'eu1' });
      expect(moved.statusCode).toBe(409);
      expect(moved.json().error.code).toBe('workspace-site-fixed');
      const orphan = await api.app.inject({
        method: 'PUT',
        url: `/v1/platform/workspaces/${unique('o-')}`,
        headers: bearer(syncKey),
        payload: { ...base, ownerAccountId: 'no-such-account' },
      });
      expect(orphan.statusCode).toBe(404);
      expect(orphan.json().error.code).toBe('account-not-found');
      const readOnly = await api.app.inject({
        method: 'PUT',
        url: `/v1/platform/workspaces/${id}`,
        headers: bearer(readKey),
        payload: base,
      });
      expect(readOnly.statusCode).toBe(403);
      // the customer sees it
      const mine = await api.app.inject(as(c, { method: 'GET', url: `/v1/workspaces/${id}` }));
      expect(mine.json()).toMatchObject({ name: 'Renamed', billingMethod: { kind: 'billing-center' } });
    });

    it('locks a Billing Center workspace for arrears, once; cloud-settled ones cannot be in arrears', async () => {
      const { customer, workspaceId } = await activatedCustomer(api);
      const own = (
        await api.app.inject(
          as(customer, {
            method: 'POST',
            url: '/v1/workspaces',
            payload: { name: 'BC', language: 'en', siteId: 'us1' },
          }),
        )
      ).json();
      const lock = (id: string, payload: Record<string, unknown> = { reason: 'arrears' }) =>
        api.app.inject({
          method: 'POST',
          url: `/v1/platform/workspaces/${id}/lock`,
          headers: bearer(syncKey),
          payload,
        });
      const res = await lock(own.id, { reason: 'arrears', note: 'invoice 42 unpaid' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ locked: true, lock: { reason: 'arrears' } });
      expect((await lock(own.id)).json().error.code).toBe('workspace-already-locked');
      const cloud = await lock(workspaceId);
      expect(cloud.statusCode).toBe(422);
      expect(cloud.json().error.code).toBe('arrears-not-applicable');
      const operatorLock = await lock(own.id, { reason: 'operator' });
      expect(operatorLock.statusCode).toBe(400);
      // the customer can unlock arrears only with a cloud account
      const unlock = await api.app.inject(
        as(customer, {
          method: 'POST',
          url: `/v1/workspaces/${own.id}/unlock`,
          payload: { method: { kind: 'billing-center' } },
        }),
      );
      expect(unlock.statusCode).toBe(422);
      expect(unlock.json().error.code).toBe('arrears-unlock-requires-cloud-account');
    });
  });
}
