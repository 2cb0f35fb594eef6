import { describe, expect, it } from 'vitest';
import {
  activatedCustomer,
  buyer,
  createTestCore,
  customer,
  deliver,
  operator,
  platform,
  read,
} from '../support.js';

async function setup() {
  const core = createTestCore();
  const a = await activatedCustomer(core);
  await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
  const by = customer(a.account.id);
  const plain = await core.useCases.createWorkspace.execute({
    ownerAccountId: a.account.id,
    name: 'Plain',
    language: 'en',
    siteId: 'us1',
    by,
  });
  return { core, ...a, by, plain };
}

describe('billing-method rules', () => {
  it('allows one change per calendar month (billing time zone), counted from the last change', async () => {
    const { core, by, plain, cloudAccount } = await setup();
    await core.useCases.changeBillingMethod.execute({
      workspaceId: plain.id,
      method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
      by,
    });
    // Leaving the active subscription is forbidden anyway; use a second workspace path: operator force.
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: plain.id,
        method: { kind: 'billing-center' },
        by: operator,
        force: true,
      }),
    ).rejects.toMatchObject({ code: 'billing-method-change-limit' });
    core.clock.set('2026-12-01T00:00:00Z');
    const moved = await core.useCases.changeBillingMethod.execute({
      workspaceId: plain.id,
      method: { kind: 'billing-center' },
      by: operator,
      force: true,
    });
    expect(moved.billingMethod).toBe('billing-center');
    const audit = await read(core, (tx) => tx.audit.listForEntity('workspace', plain.id));
    expect(audit.at(-1)).toMatchObject({
      action: 'workspace.billing-method-changed',
      actorType: 'operator',
      details: { forced: true },
    });
  });

  it('counts months in the configured billing time zone', async () => {
    const core = createTestCore({
      config: { billingTimeZone: 'Asia/Shanghai' },
      now: '2026-11-30T16:10:00Z',
    });
    const owner = await core.useCases.registerAccount.execute({
      username: 'tzuser',
      email: 'tz@example.com',
      password: 'correct horse battery',
      company: 'T',
    });
    const by = customer(owner.id);
    const ws = await core.useCases.createWorkspace.execute({
      ownerAccountId: owner.id,
      name: 'W',
      language: 'en',
      siteId: 'us1',
      by,
    });
    const t = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(buyer()),
    });
    const { cloudAccount } = await core.useCases.completeRegistrationForAccount.execute({
      ticketId: t.id,
      by,
    });
    // 16:10 UTC on Nov 30 is already December 1 in Shanghai: in UTC the next change would be allowed.
    await core.useCases.changeBillingMethod.execute({
      workspaceId: ws.id,
      method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
      by,
    });
    core.clock.set('2026-12-01T10:00:00Z');
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: ws.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({ code: 'billing-method-change-limit' });
  });

  it('keeps a workspace on an active subscription unless an operator forces it', async () => {
    const { core, by, workspace } = await setup();
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: workspace.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({ code: 'cloud-subscription-active', kind: 'rule-violation' });
    const forced = await core.useCases.changeBillingMethod.execute({
      workspaceId: workspace.id,
      method: { kind: 'billing-center' },
      by: operator,
      force: true,
    });
    expect(forced.billingMethod).toBe('billing-center');
  });

  it('offers AWS billing only to AWS sites of the same partition unless anyBillingMethod is set', async () => {
    const { core, by, account, cloudAccount } = await setup();
    const hangzhou = await core.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'HZ',
      language: 'zh',
      siteId: 'cn1',
      by,
    });
    const target = { kind: 'cloud-account' as const, cloudAccountId: cloudAccount.id };
    await expect(
      core.useCases.changeBillingMethod.execute({ workspaceId: hangzhou.id, method: target, by }),
    ).rejects.toMatchObject({
      code: 'site-not-eligible-for-cloud-account',
    });
    await expect(
      core.useCases.setAnyBillingMethod.execute({ accountId: account.id, enabled: true, by }),
    ).rejects.toMatchObject({ code: 'operator-only' });
    await core.useCases.setAnyBillingMethod.execute({ accountId: account.id, enabled: true, by: operator });
    expect(
      (await core.useCases.changeBillingMethod.execute({ workspaceId: hangzhou.id, method: target, by }))
        .cloudAccountId,
    ).toBe(cloudAccount.id);
  });

  it('refuses changes on a locked workspace (unlock instead) and a no-op change', async () => {
    const { core, by, plain } = await setup();
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: plain.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({
      code: 'billing-method-unchanged',
    });
    await core.useCases.lockWorkspace.execute({ workspaceId: plain.id, reason: 'arrears', by: platform });
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: plain.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({
      code: 'workspace-locked',
    });
    await expect(
      core.useCases.unlockWorkspace.execute({
        workspaceId: plain.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({
      code: 'arrears-unlock-requires-cloud-account',
    });
  });

  it('lets only operators set operator locks and only the platform report arrears', async () => {
    const { core, by, plain, workspace } = await setup();
    await expect(
      core.useCases.lockWorkspace.execute({ workspaceId: plain.id, reason: 'operator', by }),
    ).rejects.toMatchObject({ code: 'not-allowed' });
    await expect(
      core.useCases.lockWorkspace.execute({ workspaceId: plain.id, reason: 'operator', by: platform }),
    ).rejects.toMatchObject({
      code: 'not-allowed',
    });
    await expect(
      core.useCases.lockWorkspace.execute({ workspaceId: workspace.id, reason: 'arrears', by: platform }),
    ).rejects.toMatchObject({
      code: 'arrears-not-applicable',
    });
    await core.useCases.lockWorkspace.execute({ workspaceId: plain.id, reason: 'operator', by: operator });
    await expect(
      core.useCases.lockWorkspace.execute({ workspaceId: plain.id, reason: 'operator', by: operator }),
    ).rejects.toMatchObject({
      code: 'workspace-already-locked',
    });
    await expect(
      core.useCases.unlockWorkspace.execute({
        workspaceId: plain.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({
      code: 'lock-requires-operator',
      kind: 'forbidden',
    });
  });
});

describe('tenancy and bad input', () => {
  it("answers not-found for another account's workspace or cloud account", async () => {
    const { core, plain, cloudAccount } = await setup();
    const stranger = await core.useCases.registerAccount.execute({
      username: 'mallory',
      email: 'm@example.com',
      password: 'correct horse battery',
      company: 'M',
    });
    const by = customer(stranger.id);
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: plain.id,
        method: { kind: 'billing-center' },
        by,
      }),
    ).rejects.toMatchObject({
      code: 'workspace-not-found',
    });
    await expect(
      core.useCases.dissolveWorkspace.execute({ workspaceId: plain.id, by }),
    ).rejects.toMatchObject({ code: 'workspace-not-found' });
    const mine = await core.useCases.createWorkspace.execute({
      ownerAccountId: stranger.id,
      name: 'Mine',
      language: 'en',
      siteId: 'us1',
      by,
    });
    await expect(
      core.useCases.changeBillingMethod.execute({
        workspaceId: mine.id,
        method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
        by,
      }),
    ).rejects.toMatchObject({ code: 'cloud-account-not-found' });
    await expect(
      core.useCases.bindWorkspaces.execute({ cloudAccountId: cloudAccount.id, workspaceIds: [mine.id], by }),
    ).rejects.toMatchObject({ code: 'cloud-account-not-found' });
    await expect(
      core.useCases.createWorkspace.execute({
        ownerAccountId: plain.ownerAccountId,
        name: 'X',
        language: 'en',
        siteId: 'us1',
        by,
      }),
    ).rejects.toMatchObject({
      code: 'account-not-found',
    });
  });

  it('rejects malformed values with stable codes', async () => {
    const { core, by, account, plain } = await setup();
    const cases: Array<[Promise<unknown>, string]> = [
      [
        core.useCases.createWorkspace.execute({
          ownerAccountId: account.id,
          name: '',
          language: 'en',
          siteId: 'us1',
          by,
        }),
        'invalid-input',
      ],
      [
        core.useCases.createWorkspace.execute({
          ownerAccountId: account.id,
          name: 'x',
          language: 'fr',
          siteId: 'us1',
          by,
        }),
        'invalid-input',
      ],
      [
        core.useCases.createWorkspace.execute({
          ownerAccountId: account.id,
          name: 'x',
          language: 'en',
          siteId: 'mars1',
          by,
        }),
        'unknown-site',
      ],
      [
        core.useCases.changeBillingMethod.execute({
          workspaceId: plain.id,
          method: { kind: 'wallet' } as never,
          by,
        }),
        'invalid-billing-method',
      ],
      [core.useCases.bindWorkspaces.execute({ cloudAccountId: 'x', workspaceIds: [], by }), 'invalid-input'],
      [
        core.useCases.bindWorkspaces.execute({ cloudAccountId: 'x', workspaceIds: 'ws' as never, by }),
        'invalid-input',
      ],
      [
        core.useCases.registerAccount.execute({
          username: 'ab',
          email: 'a@b.co',
          password: 'correct horse battery',
          company: 'c',
        }),
        'invalid-input',
      ],
      [
        core.useCases.registerAccount.execute({
          username: 'abc',
          email: 'not-an-email',
          password: 'correct horse battery',
          company: 'c',
        }),
        'invalid-input',
      ],
      [
        core.useCases.registerAccount.execute({
          username: 'abc',
          email: 'a@b.co',
          password: 'short',
          company: 'c',
        }),
        'weak-password',
      ],
      [
        core.useCases.registerAccount.execute({
          username: account.username,
          email: 'z@b.co',
          password: 'correct horse battery',
          company: 'c',
        }),
        'username-taken',
      ],
      [
        core.useCases.registerAccount.execute({
          username: 'zzz',
          email: account.email.toUpperCase(),
          password: 'correct horse battery',
          company: 'c',
        }),
        'email-taken',
      ],
      [
        core.useCases.authenticateAccount.execute({ login: account.username, password: 'wrong password!' }),
        'invalid-credentials',
      ],
      [
        core.useCases.authenticateAccount.execute({ login: 'nobody', password: 'correct horse battery' }),
        'invalid-credentials',
      ],
      [core.useCases.getRegistrationTicket.execute({ ticketId: 'nope' }), 'registration-ticket-not-found'],
    ];
    for (const [p, code] of cases) await expect(p).rejects.toMatchObject({ code });
    expect(
      (
        await core.useCases.authenticateAccount.execute({
          login: account.email,
          password: 'correct horse battery',
        })
      ).id,
    ).toBe(account.id);
  });
});

describe('transactions', () => {
  it('a failure at any write of the registration leaves nothing behind', async () => {
    for (let failAt = 1; ; failAt++) {
      const core = createTestCore();
      const b = buyer();
      const t = await core.useCases.openRegistrationTicket.execute({
        partition: 'aws',
        token: core.marketplace.issueToken(b),
      });
      const before = JSON.stringify(
        Object.fromEntries(Object.entries(core.db.tables).map(([k, v]) => [k, v.rows.size])),
      );
      core.db.failOnWrite = failAt;
      const run = core.useCases.completeRegistrationAsNewAccount.execute({
        ticketId: t.id,
        account: {
          username: 'atomic',
          email: 'atomic@example.com',
          password: 'correct horse battery',
          company: 'A',
        },
        workspace: { name: 'W', language: 'en' },
        termsAccepted: true,
      });
      const ok = await run.then(
        () => true,
        (e: Error) => {
          expect(e.message).toContain('injected fault');
          return false;
        },
      );
      if (ok) {
        expect(failAt).toBeGreaterThan(5); // the registration writes several rows
        break;
      }
      const after = JSON.stringify(
        Object.fromEntries(Object.entries(core.db.tables).map(([k, v]) => [k, v.rows.size])),
      );
      expect(after).toBe(before);
      expect((await read(core, (tx) => tx.tickets.get(t.id)))?.status).toBe('open');
    }
  });

  it('a failure at any write of the cancellation cascade leaves every workspace as it was; the retry completes it', async () => {
    for (let failAt = 1; ; failAt++) {
      const core = createTestCore();
      const a = await activatedCustomer(core);
      for (let i = 0; i < 3; i++) {
        await core.useCases.createWorkspace.execute({
          ownerAccountId: a.account.id,
          name: `W${i}`,
          language: 'en',
          siteId: 'us1',
          method: { kind: 'cloud-account', cloudAccountId: a.cloudAccount.id },
          by: customer(a.account.id),
        });
      }
      await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
      const r = await core.useCases.receiveMarketplaceEvent.execute({
        source: 'sns',
        messageId: 'cancel-1',
        action: 'unsubscribe-success',
        partition: 'aws',
        licenseArn: a.buyer.licenseArn,
        customerAwsAccountId: a.buyer.customerAwsAccountId,
        productCode: a.buyer.productCode,
        occurredAt: new Date('2026-11-02T10:20:00Z'),
        payload: '{}',
      });
      core.db.failOnWrite = failAt;
      const ok = await core.useCases.processMarketplaceEvent.execute({ eventId: r.eventId }).then(
        () => true,
        () => false,
      );
      core.db.failOnWrite = null;
      const ws = await read(core, (tx) =>
        tx.workspaces.list({ ownerAccountId: a.account.id }, { limit: 10 }),
      );
      if (ok) {
        expect(ws.items.every((w) => w.lockReason === 'cloud-subscription-cancelled')).toBe(true);
        break;
      }
      expect(ws.items.every((w) => w.lockReason === null && w.cloudAccountId === a.cloudAccount.id)).toBe(
        true,
      );
      expect((await read(core, (tx) => tx.marketplaceEvents.get(r.eventId)))?.status).toBe('failed');
      const retry = await core.useCases.processPendingMarketplaceEvents.execute();
      expect(retry).toEqual({ processed: 1, failed: 0 });
      const after = await read(core, (tx) =>
        tx.workspaces.list({ ownerAccountId: a.account.id }, { limit: 10 }),
      );
      expect(
        after.items.every((w) => w.lockReason === 'cloud-subscription-cancelled' && w.billingMethod === null),
      ).toBe(true);
    }
  });

  it('a lost connection at commit writes nothing', async () => {
    const { core, by, plain } = await setup();
    core.db.failNextCommit = true;
    await expect(core.useCases.dissolveWorkspace.execute({ workspaceId: plain.id, by })).rejects.toThrow(
      'lost at commit',
    );
    expect((await read(core, (tx) => tx.workspaces.get(plain.id)))?.dissolvedAt).toBeNull();
  });
});
