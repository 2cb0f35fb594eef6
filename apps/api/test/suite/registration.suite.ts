import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activatedCustomer,
  as,
  COOKIE,
  type DatabaseKind,
  deliver,
  newBuyer,
  newCustomer,
  openTicket,
  serviceKey,
  signIn,
  startTestApi,
  type TestApi,
  unique,
} from '../support/test-api.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (token: string) => new URLSearchParams({ 'x-amzn-marketplace-token': token }).toString();

/** The fulfillment URL, registration tickets, and the cloud accounts they register. */
export function defineRegistrationSuite(database: DatabaseKind) {
  describe(`AWS fulfillment URL and registration tickets (${database})`, () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ database, captureLogs: true });
    });
    afterAll(() => api?.close());

    const post = (token: string, partition = 'aws') =>
      api.app.inject({
        method: 'POST',
        url: `/marketplace/${partition}/fulfillment`,
        headers: FORM,
        payload: form(token),
      });
    const newAccount = (ticketId: string, o: Record<string, unknown> = {}) => {
      const username = unique('reg');
      return api.app.inject({
        method: 'POST',
        url: `/v1/registration-tickets/${ticketId}/new-account`,
        payload: {
          account: {
            username,
            email: `${username}@example.com`,
            password: 'correct horse battery staple',
            company: 'Acme',
          },
          workspace: { name: 'Production', language: 'en' },
          termsAccepted: true,
          ...o,
        },
      });
    };

    it('resolves the token at once and answers 303 to the ticket page; the token is in no URL or log', async () => {
      const b = newBuyer('aws');
      const token = api.marketplace.issueToken(b);
      const res = await post(token);
      expect(res.statusCode).toBe(303);
      const location = String(res.headers.location);
      expect(location).toMatch(/^https:\/\/billing\.example\.com\/registration\/[A-Za-z0-9_-]{20,}$/);
      expect(location).not.toContain(token);
      expect(res.headers['cache-control']).toBe('no-store');
      const viaGet = await api.app.inject({
        method: 'GET',
        url: `/marketplace/aws/fulfillment?x-amzn-marketplace-token=${encodeURIComponent(api.marketplace.issueToken(newBuyer()))}`,
      });
      expect(viaGet.statusCode).toBe(303);
      const ticketId = location.slice(location.lastIndexOf('/') + 1);
      const ticket = await api.app.inject({ method: 'GET', url: `/v1/registration-tickets/${ticketId}` });
      expect(ticket.json()).toMatchObject({
        id: ticketId,
        status: 'open',
        partition: 'aws',
        productCode: 'prodglobal0001',
        customerAwsAccountId: b.customerAwsAccountId,
        expiresAt: '2026-11-02T11:15:00.000Z',
      });
      const logs = api.logs.join('\n');
      expect(logs).toContain('/marketplace/aws/fulfillment');
      expect(logs).not.toContain(token);
    });

    it('sends a browser that posts the same token again to the same ticket, and says so once it is used', async () => {
      const token = api.marketplace.issueToken(newBuyer());
      const first = await post(token);
      const second = await post(token);
      expect(second.statusCode).toBe(303);
      expect(second.headers.location).toBe(first.headers.location);
      const ticketId = String(first.headers.location).split('/').pop() as string;
      expect((await newAccount(ticketId)).statusCode).toBe(201);
      const used = await post(token);
      expect(used.statusCode).toBe(409);
      expect(used.body).toContain('already set up');
    });

    it.each([
      ['a missing token', '', 400, 'No AWS Marketplace registration was received'],
      ['an invalid token', 'forged-token', 400, 'This AWS Marketplace link is not valid'],
    ])('answers %s with its own page', async (_what, token, status, title) => {
      const res = await post(token);
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain(title);
      expect(res.body).toContain('Set up your account');
      expect(res.body).not.toContain('<script');
    });

    it('answers an expired token, an unknown product and an AWS outage with their own pages', async () => {
      const expired = api.marketplace.issueToken(newBuyer());
      api.marketplace.expireToken(expired);
      const e = await post(expired);
      expect(e.statusCode).toBe(410);
      expect(e.body).toContain('has expired');
      const foreign = await post(
        api.marketplace.issueToken(newBuyer('aws', { productCode: 'someoneelse1' })),
      );
      expect(foreign.statusCode).toBe(400);
      expect(foreign.body).toContain('not sold through this Billing Center');
      api.marketplace.resolveOutage = true;
      try {
        const down = await post(api.marketplace.issueToken(newBuyer()));
        expect(down.statusCode).toBe(503);
        expect(down.headers['retry-after']).toBe('120');
        expect(down.body).toContain('not answering');
      } finally {
        api.marketplace.resolveOutage = false;
      }
      // a token of the other partition's marketplace
      const wrongPartition = await post(api.marketplace.issueToken(newBuyer('aws')), 'aws-cn');
      expect(wrongPartition.statusCode).toBe(400);
      const noSuchPartition = await post('x', 'azure');
      expect(noSuchPartition.statusCode).toBe(400);
      expect(noSuchPartition.headers['content-type']).toMatch(/^text\/html/);
    });

    it('completes as a new account: account, cloud account and a workspace settled by it, signed in', async () => {
      const b = newBuyer('aws-cn');
      const ticketId = await openTicket(api, b);
      const res = await newAccount(ticketId, { workspace: { name: 'Ningxia', language: 'zh' } });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body.cloudAccount).toMatchObject({
        partition: 'aws-cn',
        productCode: 'prodchina0001',
        customerAwsAccountId: b.customerAwsAccountId,
        licenseArn: b.licenseArn,
        state: 'pending',
      });
      expect(body.workspaces).toEqual([
        expect.objectContaining({
          name: 'Ningxia',
          siteId: 'cn2',
          billingMethod: { kind: 'cloud-account', cloudAccountId: body.cloudAccount.id },
        }),
      ]);
      const cookie = res.cookies.find((c) => c.name === COOKIE);
      expect(cookie?.httpOnly).toBe(true);
      const me = await api.app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { cookie: `${COOKIE}=${cookie?.value}` },
      });
      expect(me.json().id).toBe(body.account.id);
      // the ticket is now the completer's to see, and used for everyone
      const own = await api.app.inject({
        method: 'GET',
        url: `/v1/registration-tickets/${ticketId}`,
        headers: { cookie: `${COOKIE}=${cookie?.value}` },
      });
      expect(own.json()).toMatchObject({ status: 'completed', cloudAccountId: body.cloudAccount.id });
      const anonymous = await api.app.inject({ method: 'GET', url: `/v1/registration-tickets/${ticketId}` });
      expect(anonymous.statusCode).toBe(409);
      expect(anonymous.json().error.code).toBe('registration-ticket-used');
      const again = await newAccount(ticketId);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('registration-ticket-used');
    });

    it('still answers 201 when the registration is committed but the session cannot start', async () => {
      const ticketId = await openTicket(api, newBuyer());
      const signIn = api.runtime.useCases.signIn;
      const original = signIn.execute;
      signIn.execute = async () => {
        throw new Error('session store down');
      };
      try {
        const res = await newAccount(ticketId);
        expect(res.statusCode).toBe(201);
        expect(res.json().session).toBeUndefined();
        expect(res.cookies).toEqual([]);
        expect(res.json().workspaces).toHaveLength(1);
      } finally {
        signIn.execute = original;
      }
    });

    it('refuses an activation without accepted terms or with a taken username, writing nothing', async () => {
      const ticketId = await openTicket(api, newBuyer());
      const noTerms = await newAccount(ticketId, { termsAccepted: false });
      expect(noTerms.statusCode).toBe(400);
      expect(noTerms.json().error).toMatchObject({
        code: 'terms-not-accepted',
        details: { field: 'termsAccepted' },
      });
      const taken = await newCustomer(api.app);
      const dup = await newAccount(ticketId, {
        account: {
          username: taken.username,
          email: 'fresh@example.com',
          password: 'correct horse battery staple',
          company: 'A',
        },
      });
      expect(dup.statusCode).toBe(409);
      expect(dup.json().error.code).toBe('username-taken');
      const badSite = await newAccount(ticketId, { workspace: { name: 'X', language: 'en', siteId: 'cn2' } });
      expect(badSite.statusCode).toBe(422);
      expect(badSite.json().error.code).toBe('site-not-eligible-for-cloud-account');
      // still open: nothing of the failed attempts was kept
      const ticket = await api.app.inject({ method: 'GET', url: `/v1/registration-tickets/${ticketId}` });
      expect(ticket.json().status).toBe('open');
      expect((await newAccount(ticketId)).statusCode).toBe(201);
    });

    it('reports an expired ticket, and refuses to complete it', async () => {
      const ticketId = await openTicket(api, newBuyer());
      const start = api.clock.now();
      try {
        api.clock.advance(61 * 60_000);
        const res = await api.app.inject({ method: 'GET', url: `/v1/registration-tickets/${ticketId}` });
        expect(res.json().status).toBe('expired');
        const late = await newAccount(ticketId);
        expect(late.statusCode).toBe(409);
        expect(late.json().error.code).toBe('registration-ticket-expired');
      } finally {
        api.clock.set(start);
      }
      const unknown = await api.app.inject({ method: 'GET', url: '/v1/registration-tickets/no-such-ticket' });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().error.code).toBe('registration-ticket-not-found');
    });

    it('completes for the signed-in account: binds existing workspaces and creates one, all or nothing', async () => {
      const c = await newCustomer(api.app);
      const existing = (
        await api.app.inject(
          as(c, {
            method: 'POST',
            url: '/v1/workspaces',
            payload: { name: 'E', language: 'en', siteId: 'eu1' },
          }),
        )
      ).json();
      const china = (
        await api.app.inject(
          as(c, {
            method: 'POST',
            url: '/v1/workspaces',
            payload: { name: 'C', language: 'zh', siteId: 'cn2' },
          }),
        )
      ).json();
      const ticketId = await openTicket(api, newBuyer('aws'));
      const refused = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/registration-tickets/${ticketId}/complete`,
          payload: {
            bindWorkspaceIds: [existing.id, china.id],
            createWorkspace: { name: 'New', language: 'en' },
          },
        }),
      );
      expect(refused.statusCode).toBe(422);
      expect(refused.json().error.code).toBe('workspaces-not-bindable');
      const cas = await api.app.inject(as(c, { method: 'GET', url: '/v1/cloud-accounts' }));
      expect(cas.json().items).toEqual([]); // no cloud account was registered by the refused attempt
      const res = await api.app.inject(
        as(c, {
          method: 'POST',
          url: `/v1/registration-tickets/${ticketId}/complete`,
          payload: { bindWorkspaceIds: [existing.id], createWorkspace: { name: 'New', language: 'en' } },
        }),
      );
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.account.id).toBe(c.accountId);
      expect(body.workspaces.map((w: { name: string }) => w.name).sort()).toEqual(['E', 'New']);
      for (const w of body.workspaces)
        expect(w.billingMethod).toEqual({ kind: 'cloud-account', cloudAccountId: body.cloudAccount.id });
      const unauthenticated = await api.app.inject({
        method: 'POST',
        url: `/v1/registration-tickets/${await openTicket(api, newBuyer())}/complete`,
        payload: {},
      });
      expect(unauthenticated.statusCode).toBe(401);
    });

    it('refuses to register an AWS account that another Billing Center account holds', async () => {
      const first = await activatedCustomer(api);
      const other = await newCustomer(api.app);
      const ticketId = await openTicket(api, first.buyer);
      const res = await api.app.inject(
        as(other, { method: 'POST', url: `/v1/registration-tickets/${ticketId}/complete`, payload: {} }),
      );
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('cloud-account-registered-elsewhere');
    });
  });

  describe(`cloud accounts (${database})`, () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ database });
    });
    afterAll(() => api?.close());

    it('lists and reads cloud accounts with their subscription state and history', async () => {
      const { customer: c, cloudAccountId, buyer } = await activatedCustomer(api);
      const list = await api.app.inject(as(c, { method: 'GET', url: '/v1/cloud-accounts' }));
      expect(list.json().items).toEqual([expect.objectContaining({ id: cloudAccountId, state: 'pending' })]);
      await deliver(api, buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
      await deliver(api, buyer, 'unsubscribe-pending', new Date('2026-11-02T10:20:00Z'));
      const one = await api.app.inject(as(c, { method: 'GET', url: `/v1/cloud-accounts/${cloudAccountId}` }));
      expect(one.json()).toMatchObject({
        id: cloudAccountId,
        state: 'unsubscribe-pending',
        cancelledAt: null,
      });
      const history = await api.app.inject(
        as(c, { method: 'GET', url: `/v1/cloud-accounts/${cloudAccountId}/history` }),
      );
      expect(
        history.json().items.map((e: { action: string; status: string }) => [e.action, e.status]),
      ).toEqual([
        ['subscribe-success', 'processed'],
        ['unsubscribe-pending', 'processed'],
      ]);
      expect(history.body).not.toContain('payload');
    });

    it('lists the metering records of a cloud account, page by page', async () => {
      const activated = await activatedCustomer(api);
      const { cloudAccountId, buyer, workspaceId } = activated;
      await deliver(api, buyer, 'subscribe-success', api.clock.now());
      const key = await serviceKey(api, ['usage:write']);
      const usage = await api.app.inject({
        method: 'POST',
        url: '/v1/platform/usage',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          records: [
            {
              idempotencyKey: unique('u'),
              workspaceId,
              itemCode: 'log-events',
              hour: api.clock.now().toISOString(),
              quantity: 10_000_000,
            },
          ],
        },
      });
      expect(usage.json().accepted).toBe(1);
      const start = api.clock.now();
      try {
        api.clock.advance(3 * 3_600_000);
        await api.runtime.useCases.planMetering.execute();
        // three hours later the first session is idle: sign in again
        const c = await signIn(api.app, activated.customer.username, activated.customer.password);
        const page1 = await api.app.inject(
          as(c, { method: 'GET', url: `/v1/cloud-accounts/${cloudAccountId}/metering-records?limit=1` }),
        );
        expect(page1.statusCode).toBe(200);
        expect(page1.json().items).toHaveLength(1);
        expect(page1.json().items[0]).toMatchObject({ status: 'sealed', dimension: expect.any(String) });
        const page2 = await api.app.inject(
          as(c, {
            method: 'GET',
            url: `/v1/cloud-accounts/${cloudAccountId}/metering-records?limit=200&cursor=${page1.json().nextCursor}`,
          }),
        );
        const all = [...page1.json().items, ...page2.json().items];
        expect(all.length).toBeGreaterThanOrEqual(3);
        // 10 million log events at USD 1.20 per million, in cents; the later hours are metered as 0
        expect(all.map((r: { hour: string; quantity: number }) => [r.hour, r.quantity]).sort()).toEqual([
          ['2026-11-02T10:00:00.000Z', 1200],
          ['2026-11-02T11:00:00.000Z', 0],
          ['2026-11-02T12:00:00.000Z', 0],
        ]);
      } finally {
        api.clock.set(start);
      }
    });
  });
}
