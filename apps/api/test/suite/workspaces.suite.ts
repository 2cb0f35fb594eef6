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

/** Workspace Management: create, list, read, change billing method, unlock, dissolve, bind in bulk. */
export function defineWorkspaceSuite(database: DatabaseKind) {
  describe(`workspaces (${database})`, () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ database });
    });
    afterAll(() => api?.close());

    const create = (c: Customer, payload: Record<string, unknown>) =>
      api.app.inject(as(c, { method: 'POST', url: '/v1/workspaces', payload }));
    const get = async (c: Customer, id: string) =>
      (await api.app.inject(as(c, { method: 'GET', url: `/v1/workspaces/${id}` }))).json();
    const changeMethod = (c: Customer, id: string, method: Record<string, unknown>) =>
      api.app.inject(
        as(c, { method: 'PUT', url: `/v1/workspaces/${id}/billing-method`, payload: { method } }),
      );

    it('lists the sites', async () => {
      const c = await newCustomer(api.app);
      const res = await api.app.inject(as(c, { method: 'GET', url: '/v1/sites' }));
      expect(res.json().items).toEqual(
        expect.arrayContaining([
          { id: 'us1', name: 'US 1 (Oregon)', cloud: 'aws', awsPartition: 'aws' },
          { id: 'cn1', name: 'China 1 (Hangzhou)', cloud: 'alibaba', awsPartition: null },
        ]),
      );
    });

    it('creates a workspace settled by the Billing Center balance, and reads it back', async () => {
      const c = await newCustomer(api.app);
      const res = await create(c, { name: ' Staging ', language: 'zh', siteId: 'cn2' });
      expect(res.statusCode).toBe(201);
      const ws = res.json();
      expect(ws).toMatchObject({
        name: 'Staging',
        language: 'zh',
        siteId: 'cn2',
        ownerAccountId: c.accountId,
        billingMethod: { kind: 'billing-center', cloudAccountId: null },
        locked: false,
        lock: null,
        dissolvedAt: null,
      });
      expect(await get(c, ws.id)).toEqual(ws);
    });

    it('refuses an unknown site, language or extra field, creating nothing', async () => {
      const c = await newCustomer(api.app);
      const site = await create(c, { name: 'X', language: 'en', siteId: 'mars1' });
      expect(site.statusCode).toBe(400);
      expect(site.json().error).toMatchObject({ code: 'unknown-site', details: { field: 'siteId' } });
      const lang = await create(c, { name: 'X', language: 'fr', siteId: 'us1' });
      expect(lang.json().error.details.fields).toEqual([
        { in: 'body', path: '/language', message: 'must be one of: "en", "zh"' },
      ]);
      const extra = await create(c, { name: 'X', language: 'en', siteId: 'us1', ownerAccountId: 'someone' });
      expect(extra.json().error.code).toBe('invalid-request');
      const list = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces' }));
      expect(list.json()).toEqual({ items: [], nextCursor: null });
    });

    it('lists page by page with a cursor, and filters by lock state and cloud account', async () => {
      const { customer: c, cloudAccountId, workspaceId: settled } = await activatedCustomer(api);
      const made: string[] = [settled];
      for (const name of ['A', 'B', 'C'])
        made.push((await create(c, { name, language: 'en', siteId: 'us1' })).json().id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/workspaces?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
          await api.app.inject(as(c, { method: 'GET', url }))
        ).json();
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((w) => w.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual([...made].sort());
      const byCloud = await api.app.inject(
        as(c, { method: 'GET', url: `/v1/workspaces?cloudAccountId=${cloudAccountId}` }),
      );
      expect(byCloud.json().items.map((w: { id: string }) => w.id)).toEqual([settled]);
      const locked = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces?locked=true' }));
      expect(locked.json().items).toEqual([]);
      const unlocked = await api.app.inject(
        as(c, { method: 'GET', url: '/v1/workspaces?locked=false&limit=200' }),
      );
      expect(unlocked.json().items).toHaveLength(4);
      const bad = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces?locked=maybe' }));
      expect(bad.statusCode).toBe(400);
    });

    it('changes the billing method from the next UTC hour, once per calendar month', async () => {
      const { customer: c, cloudAccountId } = await activatedCustomer(api);
      const ws = (await create(c, { name: 'Move me', language: 'en', siteId: 'us1' })).json();
      const res = await changeMethod(c, ws.id, { kind: 'cloud-account', cloudAccountId });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        billingMethod: { kind: 'cloud-account', cloudAccountId },
        billingMethodEffectiveFrom: '2026-11-02T11:00:00.000Z',
        lastBillingMethodChangeAt: api.clock.now().toISOString(),
      });
      const bindings = await api.app.inject(
        as(c, { method: 'GET', url: `/v1/workspaces/${ws.id}/bindings` }),
      );
      expect(bindings.json().items).toEqual([
        expect.objectContaining({ cloudAccountId, from: '2026-11-02T11:00:00.000Z', to: null }),
      ]);
      // the subscription is pending (its SNS message has not come), so the workspace is still movable, but
      // the month's one change is used
      const again = await changeMethod(c, ws.id, { kind: 'billing-center' });
      expect(again.statusCode).toBe(422);
      expect(again.json().error.code).toBe('billing-method-change-limit');
      expect((await get(c, ws.id)).billingMethod).toEqual({ kind: 'cloud-account', cloudAccountId });
    });

    it('refuses each rule violation with its code and leaves the workspace as it was', async () => {
      const { customer: c, cloudAccountId, buyer, workspaceId } = await activatedCustomer(api);
      const china = (await create(c, { name: 'CN', language: 'zh', siteId: 'cn2' })).json();
      const site = await changeMethod(c, china.id, { kind: 'cloud-account', cloudAccountId });
      expect(site.statusCode).toBe(422);
      expect(site.json().error).toMatchObject({
        code: 'site-not-eligible-for-cloud-account',
        details: { siteId: 'cn2', partition: 'aws' },
      });
      const same = await changeMethod(c, china.id, { kind: 'billing-center' });
      expect(same.statusCode).toBe(409);
      expect(same.json().error.code).toBe('billing-method-unchanged');
      const incomplete = await changeMethod(c, china.id, { kind: 'cloud-account' });
      expect(incomplete.statusCode).toBe(400);
      expect(incomplete.json().error.code).toBe('invalid-billing-method');
      const unknownCa = await changeMethod(c, china.id, { kind: 'cloud-account', cloudAccountId: 'nope' });
      expect(unknownCa.statusCode).toBe(404);
      expect(unknownCa.json().error.code).toBe('cloud-account-not-found');
      // an active subscription keeps its workspaces
      await deliver(api, buyer, 'subscribe-success', api.clock.now());
      const leave = await changeMethod(c, workspaceId, { kind: 'billing-center' });
      expect(leave.statusCode).toBe(422);
      expect(leave.json().error.code).toBe('cloud-subscription-active');
      expect((await get(c, china.id)).billingMethod).toEqual({
        kind: 'billing-center',
        cloudAccountId: null,
      });
      expect((await get(c, workspaceId)).billingMethod).toEqual({ kind: 'cloud-account', cloudAccountId });
    });

    it('locks the workspaces of a cancelled subscription; unlocking chooses another method', async () => {
      const { customer: c, cloudAccountId, buyer, workspaceId } = await activatedCustomer(api);
      await deliver(api, buyer, 'subscribe-success', api.clock.now());
      await deliver(api, buyer, 'unsubscribe-success', api.clock.now());
      const locked = await get(c, workspaceId);
      expect(locked).toMatchObject({
        locked: true,
        billingMethod: null,
        lock: { reason: 'cloud-subscription-cancelled', cloudAccountId, fullyLockedAt: null },
      });
      const list = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces?locked=true' }));
      expect(list.json().items.map((w: { id: string }) => w.id)).toEqual([workspaceId]);
      const change = await changeMethod(c, workspaceId, { kind: 'billing-center' });
      expect(change.statusCode).toBe(422);
      expect(change.json().error.code).toBe('workspace-locked');
      const cancelledCa = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/workspaces/${workspaceId}/unlock`,
          payload: { method: { kind: 'cloud-account', cloudAccountId } },
        }),
      );
      expect(cancelledCa.statusCode).toBe(422);
      expect(cancelledCa.json().error.code).toBe('cloud-account-not-usable');
      const unlock = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/workspaces/${workspaceId}/unlock`,
          payload: { method: { kind: 'billing-center' } },
        }),
      );
      expect(unlock.statusCode).toBe(200);
      expect(unlock.json()).toMatchObject({
        locked: false,
        lock: null,
        billingMethod: { kind: 'billing-center' },
      });
      const twice = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/workspaces/${workspaceId}/unlock`,
          payload: { method: { kind: 'billing-center' } },
        }),
      );
      expect(twice.statusCode).toBe(409);
      expect(twice.json().error.code).toBe('workspace-not-locked');
    });

    it('dissolves a workspace once; dissolved ones are listed only on request', async () => {
      const c = await newCustomer(api.app);
      const ws = (await create(c, { name: 'Old', language: 'en', siteId: 'ap1' })).json();
      const res = await api.app.inject(as(c, { method: 'POST', url: `/v1/workspaces/${ws.id}/dissolve` }));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ dissolvedAt: api.clock.now().toISOString(), billingMethod: null });
      const again = await api.app.inject(as(c, { method: 'POST', url: `/v1/workspaces/${ws.id}/dissolve` }));
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('workspace-dissolved');
      expect((await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces' }))).json().items).toEqual(
        [],
      );
      const all = await api.app.inject(as(c, { method: 'GET', url: '/v1/workspaces?includeDissolved=true' }));
      expect(all.json().items.map((w: { id: string }) => w.id)).toEqual([ws.id]);
    });

    it('binds several workspaces to one cloud account in one request', async () => {
      const { customer: c, cloudAccountId } = await activatedCustomer(api);
      const ids: string[] = [];
      for (const siteId of ['us1', 'eu1'])
        ids.push((await create(c, { name: siteId, language: 'en', siteId })).json().id);
      const res = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/cloud-accounts/${cloudAccountId}/workspaces`,
          payload: { workspaceIds: ids },
        }),
      );
      expect(res.statusCode).toBe(200);
      expect(res.json().workspaces.map((w: { billingMethod: unknown }) => w.billingMethod)).toEqual([
        { kind: 'cloud-account', cloudAccountId },
        { kind: 'cloud-account', cloudAccountId },
      ]);
    });

    it('binds all or nothing: one ineligible workspace fails the request and changes none', async () => {
      const { customer: c, cloudAccountId } = await activatedCustomer(api);
      const good = (await create(c, { name: 'Good', language: 'en', siteId: 'us1' })).json();
      const bad = (await create(c, { name: 'Bad', language: 'en', siteId: 'cn1' })).json();
      const res = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/cloud-accounts/${cloudAccountId}/workspaces`,
          payload: { workspaceIds: [good.id, bad.id, 'missing-workspace'] },
        }),
      );
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatchObject({
        code: 'workspaces-not-bindable',
        details: {
          failures: [
            { workspaceId: bad.id, code: 'site-not-eligible-for-cloud-account' },
            { workspaceId: 'missing-workspace', code: 'workspace-not-found' },
          ],
        },
      });
      expect(await get(c, good.id)).toEqual(good);
      expect(await get(c, bad.id)).toEqual(bad);
      const dup = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/cloud-accounts/${cloudAccountId}/workspaces`,
          payload: { workspaceIds: [good.id, good.id] },
        }),
      );
      expect(dup.statusCode).toBe(400);
      const none = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/cloud-accounts/${cloudAccountId}/workspaces`,
          payload: { workspaceIds: [] },
        }),
      );
      expect(none.statusCode).toBe(400);
    });
  });
}
