import { describe, expect, it } from 'vitest';
import { SNS_UNSUBSCRIBE_CONFIRMATION_ACTION, UNPARK_WINDOW_MS } from '../../src/index.js';
import {
  activatedCustomer,
  buyer,
  createTestCore,
  customer,
  deliver,
  HOUR,
  read,
  workspaceMovedToAws,
} from '../support.js';

/** The six flows of the product documentation, end to end on the in-memory adapters. */
describe('flow 1: first commercial registration with Amazon Cloud Store Activation', () => {
  it('creates the account, the cloud account and a workspace settled by it from its creation hour', async () => {
    const core = createTestCore();
    const { account, cloudAccount, workspace } = await activatedCustomer(core);
    expect(cloudAccount.state).toBe('pending');
    expect(workspace).toMatchObject({
      siteId: 'us1',
      billingMethod: 'cloud-account',
      cloudAccountId: cloudAccount.id,
      language: 'en',
    });
    const bindings = await read(core, (tx) => tx.bindings.listForWorkspace(workspace.id));
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.from.toISOString()).toBe('2026-11-02T10:00:00.000Z');
    const audit = await read(core, (tx) => tx.audit.listForAccount(account.id, { limit: 50 }));
    expect(audit.items.map((e) => e.action).sort()).toEqual([
      'account.registered',
      'cloud-account.registered',
      'workspace.created',
    ]);
  });

  it('refuses activation without accepting the terms, and writes nothing', async () => {
    const core = createTestCore();
    const b = buyer();
    const ticket = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(b),
    });
    await expect(
      core.useCases.completeRegistrationAsNewAccount.execute({
        ticketId: ticket.id,
        account: {
          username: 'newbie',
          email: 'n@example.com',
          password: 'correct horse battery',
          company: 'N',
        },
        workspace: { name: 'W', language: 'en' },
        termsAccepted: false,
      }),
    ).rejects.toMatchObject({ code: 'terms-not-accepted', kind: 'validation' });
    expect(await read(core, (tx) => tx.accounts.findByUsername('newbie'))).toBeNull();
  });

  it('puts a China buyer on the cn2 site by default', async () => {
    const core = createTestCore();
    const { workspace, cloudAccount } = await activatedCustomer(core, { partition: 'aws-cn' });
    expect(workspace.siteId).toBe('cn2');
    expect(cloudAccount.partition).toBe('aws-cn');
  });
});

describe('flow 2: subscribing on the Marketplace product page', () => {
  it('opens a ticket from the token; the token itself is stored nowhere', async () => {
    const core = createTestCore();
    const b = buyer();
    const token = core.marketplace.issueToken(b);
    const ticket = await core.useCases.openRegistrationTicket.execute({ partition: 'aws', token });
    expect(ticket.id).not.toContain(token);
    expect(JSON.stringify([...core.db.tables.tickets.rows.values()])).not.toContain(token);
    expect(JSON.stringify([...core.db.tables.audit.rows.values()])).not.toContain(token);
    expect(ticket.expiresAt.getTime() - ticket.createdAt.getTime()).toBe(60 * 60_000);
  });

  it('distinguishes invalid, expired, used tickets and unknown products', async () => {
    const core = createTestCore();
    const b = buyer();
    await expect(
      core.useCases.openRegistrationTicket.execute({ partition: 'aws', token: 'forged' }),
    ).rejects.toMatchObject({
      code: 'marketplace-token-invalid',
    });
    const expired = core.marketplace.issueToken(b);
    core.marketplace.expireToken(expired);
    await expect(
      core.useCases.openRegistrationTicket.execute({ partition: 'aws', token: expired }),
    ).rejects.toMatchObject({
      code: 'marketplace-token-expired',
    });
    await expect(
      core.useCases.openRegistrationTicket.execute({ partition: 'aws', token: ' ' }),
    ).rejects.toMatchObject({
      code: 'marketplace-token-missing',
    });
    const other = core.marketplace.issueToken(buyer('aws', { productCode: 'someoneelses' }));
    await expect(
      core.useCases.openRegistrationTicket.execute({ partition: 'aws', token: other }),
    ).rejects.toMatchObject({
      code: 'unknown-marketplace-product',
    });
    core.marketplace.resolveOutage = true;
    await expect(
      core.useCases.openRegistrationTicket.execute({
        partition: 'aws',
        token: core.marketplace.issueToken(b),
      }),
    ).rejects.toMatchObject({
      code: 'marketplace-unavailable',
      kind: 'unavailable',
    });
  });

  it('lets an existing customer sign in and complete: the ticket is single-use and expires', async () => {
    const core = createTestCore();
    const first = await activatedCustomer(core);
    const b = buyer();
    const ticket = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(b),
    });
    const res = await core.useCases.completeRegistrationForAccount.execute({
      ticketId: ticket.id,
      by: customer(first.account.id),
      createWorkspace: { name: 'Staging', language: 'zh', siteId: 'eu1' },
    });
    expect(res.cloudAccount.ownerAccountId).toBe(first.account.id);
    expect(res.workspaces[0]).toMatchObject({
      name: 'Staging',
      siteId: 'eu1',
      cloudAccountId: res.cloudAccount.id,
    });
    await expect(
      core.useCases.completeRegistrationForAccount.execute({
        ticketId: ticket.id,
        by: customer(first.account.id),
      }),
    ).rejects.toMatchObject({ code: 'registration-ticket-used' });
    const late = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(buyer()),
    });
    core.clock.advance(HOUR);
    await expect(
      core.useCases.completeRegistrationForAccount.execute({
        ticketId: late.id,
        by: customer(first.account.id),
      }),
    ).rejects.toMatchObject({ code: 'registration-ticket-expired' });
  });

  it('takes the new license when the same AWS account subscribes again', async () => {
    const core = createTestCore();
    const first = await activatedCustomer(core);
    const renewed = { ...first.buyer, licenseArn: `${first.buyer.licenseArn}9` };
    const t = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(renewed),
    });
    const r = await core.useCases.completeRegistrationForAccount.execute({
      ticketId: t.id,
      by: customer(first.account.id),
    });
    expect(r.cloudAccount.id).toBe(first.cloudAccount.id);
    expect(r.cloudAccount.licenseArn).toBe(renewed.licenseArn);
    const audit = await read(core, (tx) => tx.audit.listForEntity('cloud-account', first.cloudAccount.id));
    expect(audit.map((e) => e.action)).toContain('cloud-account.license-changed');
  });

  it('refuses to register one AWS account to two Billing Center accounts', async () => {
    const core = createTestCore();
    const first = await activatedCustomer(core);
    const other = await activatedCustomer(core);
    const again = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(first.buyer),
    });
    await expect(
      core.useCases.completeRegistrationForAccount.execute({
        ticketId: again.id,
        by: customer(other.account.id),
      }),
    ).rejects.toMatchObject({ code: 'cloud-account-registered-elsewhere' });
  });
});

describe('a message parked while its registration was committing', () => {
  // On a real database the processor and the registration can each look before the other commits: the
  // processor finds no cloud account and parks the message, the registration finds nothing parked.
  async function racedMessage(action: string) {
    const core = createTestCore();
    const { cloudAccount, workspace, buyer: b } = await activatedCustomer(core);
    core.clock.advance(10 * 60_000);
    const stored = await core.useCases.receiveMarketplaceEvent.execute({
      source: 'sns',
      messageId: `raced-${action}`,
      action,
      partition: b.partition,
      productCode: b.productCode,
      customerIdentifier: b.customerIdentifier,
      customerAwsAccountId: b.customerAwsAccountId,
      licenseArn: b.licenseArn,
      occurredAt: core.clock.now(),
      payload: JSON.stringify({ action }),
    });
    await core.ctx.uow.transaction(async (tx) => {
      const e = await tx.marketplaceEvents.get(stored.eventId);
      e!.status = 'parked';
      e!.attempts = 1;
      await tx.marketplaceEvents.save(e!);
    });
    return { core, cloudAccount, workspace, eventId: stored.eventId };
  }

  it("is applied by the inbox's parked pass once the registration is visible", async () => {
    const { core, cloudAccount, workspace, eventId } = await racedMessage('unsubscribe-success');
    expect(await core.useCases.applyParkedMarketplaceEvents.execute()).toEqual({ applied: 1 });
    expect(await read(core, (tx) => tx.marketplaceEvents.get(eventId))).toMatchObject({
      status: 'processed',
      cloudAccountId: cloudAccount.id,
    });
    expect((await read(core, (tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('cancelled');
    expect((await read(core, (tx) => tx.workspaces.get(workspace.id)))?.lockReason).toBe(
      'cloud-subscription-cancelled',
    );
    // applied once: the next pass finds nothing parked
    expect(await core.useCases.applyParkedMarketplaceEvents.execute()).toEqual({ applied: 0 });
  });

  it('is left parked while no cloud account matches', async () => {
    const core = createTestCore();
    await deliver(core, buyer('aws'), 'subscribe-success', core.clock.now());
    expect(await core.useCases.applyParkedMarketplaceEvents.execute()).toEqual({ applied: 0 });
    expect(await read(core, (tx) => tx.marketplaceEvents.listParked('aws'))).toHaveLength(1);
  });

  it('is not looked at any more once it was parked longer ago than the sweep window', async () => {
    const { core, eventId } = await racedMessage('unsubscribe-success');
    core.clock.advance(UNPARK_WINDOW_MS + HOUR);
    expect(await core.useCases.applyParkedMarketplaceEvents.execute()).toEqual({ applied: 0 });
    expect((await read(core, (tx) => tx.marketplaceEvents.get(eventId)))?.status).toBe('parked');
  });
});

describe('an ended SNS subscription', () => {
  it('is kept, acted on by nobody, and raises a critical alert (cancellations would no longer arrive)', async () => {
    const core = createTestCore();
    const topicArn = 'arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-prodglobal0001';
    const stored = await core.useCases.receiveMarketplaceEvent.execute({
      source: 'sns',
      messageId: 'unsub-1',
      topicArn,
      action: SNS_UNSUBSCRIBE_CONFIRMATION_ACTION,
      partition: 'aws',
      occurredAt: core.clock.now(),
      payload: JSON.stringify({ Type: 'UnsubscribeConfirmation' }),
    });
    const done = await core.useCases.processMarketplaceEvent.execute({ eventId: stored.eventId });
    expect(done).toMatchObject({ status: 'ignored', outcome: 'sns-subscription-ended' });
    await core.useCases.dispatchOutbox.execute();
    expect(core.notifier.alerts).toEqual([
      expect.objectContaining({
        code: 'marketplace-sns-subscription-ended',
        severity: 'critical',
        details: expect.objectContaining({ topicArn }),
      }),
    ]);
  });
});

describe('flow 3: changing a workspace to Amazon Cloud Account Billing', () => {
  it('moves the selected workspace to the new cloud account from the next hour', async () => {
    const core = createTestCore();
    const { workspace: ws, cloudAccount, moved } = await workspaceMovedToAws(core, { siteId: 'ap1' });
    expect(moved).toMatchObject({ billingMethod: 'cloud-account', cloudAccountId: cloudAccount.id });
    expect(moved.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-02T11:00:00.000Z');
    const [binding] = await read(core, (tx) => tx.bindings.listForWorkspace(ws.id));
    expect(binding?.covers(new Date('2026-11-02T10:00:00Z'))).toBe(false);
    expect(binding?.covers(new Date('2026-11-02T11:00:00Z'))).toBe(true);
  });
});

describe('flow 4: binding several workspaces to one registered AWS account', () => {
  it('binds all or nothing and reports every workspace that cannot be bound', async () => {
    const core = createTestCore();
    const { account, cloudAccount } = await activatedCustomer(core);
    const by = customer(account.id);
    const ok1 = await core.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'A',
      language: 'en',
      siteId: 'us1',
      by,
    });
    const ok2 = await core.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'B',
      language: 'en',
      siteId: 'eu1',
      by,
    });
    const china = await core.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'C',
      language: 'zh',
      siteId: 'cn2',
      by,
    });
    await expect(
      core.useCases.bindWorkspaces.execute({
        cloudAccountId: cloudAccount.id,
        workspaceIds: [ok1.id, china.id, ok2.id],
        by,
      }),
    ).rejects.toMatchObject({
      code: 'workspaces-not-bindable',
      details: { failures: [{ workspaceId: china.id, code: 'site-not-eligible-for-cloud-account' }] },
    });
    expect((await read(core, (tx) => tx.workspaces.get(ok1.id)))?.billingMethod).toBe('billing-center');
    const done = await core.useCases.bindWorkspaces.execute({
      cloudAccountId: cloudAccount.id,
      workspaceIds: [ok1.id, ok2.id, ok1.id],
      by,
    });
    expect(done.map((w) => w.cloudAccountId)).toEqual([cloudAccount.id, cloudAccount.id]);
  });
});

describe('flow 5: cancelling on AWS', () => {
  it('unsubscribe-pending asks for the final flush; unsubscribe-success unlinks and locks every bound workspace and notifies the owner', async () => {
    const core = createTestCore();
    const { account, cloudAccount, buyer: b, workspace } = await activatedCustomer(core);
    const second = await core.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'Second',
      language: 'en',
      siteId: 'us1',
      method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
      by: customer(account.id),
    });
    await deliver(core, b, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    core.clock.set('2026-11-02T12:30:00Z');
    const pending = await deliver(core, b, 'unsubscribe-pending', new Date('2026-11-02T12:29:00Z'));
    expect(pending.outcome).toBe('active->unsubscribe-pending');
    const ca = await read(core, (tx) => tx.cloudAccounts.get(cloudAccount.id));
    expect(ca?.finalFlushRequestedAt?.toISOString()).toBe('2026-11-02T12:30:00.000Z');
    core.clock.set('2026-11-02T13:10:00Z');
    const done = await deliver(core, b, 'unsubscribe-success', new Date('2026-11-02T13:09:00Z'));
    expect(done.outcome).toBe('unsubscribe-pending->cancelled');
    for (const id of [workspace.id, second.id]) {
      const ws = await read(core, (tx) => tx.workspaces.get(id));
      expect(ws).toMatchObject({
        lockReason: 'cloud-subscription-cancelled',
        lockCloudAccountId: cloudAccount.id,
        billingMethod: null,
      });
      expect(ws?.lockGraceEndsAt?.toISOString()).toBe('2026-11-16T13:10:00.000Z');
      const [b0] = await read(core, (tx) => tx.bindings.listForWorkspace(id));
      expect(b0?.to?.toISOString()).toBe('2026-11-02T14:00:00.000Z');
    }
    await core.useCases.dispatchOutbox.execute({ limit: 500 });
    const email = core.notifier.owners.find((n) => n.template === 'cloud-subscription-cancelled');
    // the owner learns until when each workspace can still be unlocked
    expect(email?.data.workspaces).toEqual(
      expect.arrayContaining(
        [workspace, second].map((w) => ({ id: w.id, name: w.name, graceEndsAt: '2026-11-16T13:10:00.000Z' })),
      ),
    );
    expect(core.publisher.events.filter((e) => e.type === 'workspace.locked')).toHaveLength(2);
  });
});

describe('flow 6: unlocking', () => {
  async function cancelledSetup() {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    core.clock.set('2026-11-03T09:00:00Z');
    await deliver(core, a.buyer, 'unsubscribe-success', new Date('2026-11-03T08:59:00Z'));
    return { core, ...a };
  }

  it('unlocks by choosing Billing Center settlement, even after a change this month', async () => {
    const { core, account, workspace } = await cancelledSetup();
    const ws = await core.useCases.unlockWorkspace.execute({
      workspaceId: workspace.id,
      method: { kind: 'billing-center' },
      by: customer(account.id),
    });
    expect(ws).toMatchObject({ lockReason: null, billingMethod: 'billing-center' });
    expect(ws.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-03T10:00:00.000Z');
  });

  it('unlocks by choosing another active registered cloud account', async () => {
    const { core, account, workspace } = await cancelledSetup();
    const b2 = buyer();
    const t = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(b2),
    });
    const { cloudAccount: other } = await core.useCases.completeRegistrationForAccount.execute({
      ticketId: t.id,
      by: customer(account.id),
    });
    await deliver(core, b2, 'subscribe-success', new Date('2026-11-03T09:00:00Z'));
    const ws = await core.useCases.unlockWorkspace.execute({
      workspaceId: workspace.id,
      method: { kind: 'cloud-account', cloudAccountId: other.id },
      by: customer(account.id),
    });
    expect(ws).toMatchObject({ lockReason: null, cloudAccountId: other.id });
  });

  it('re-subscribing the same AWS account re-binds and unlocks exactly what its cancellation locked', async () => {
    const { core, account, workspace, buyer: b, cloudAccount } = await cancelledSetup();
    const by = customer(account.id);
    // One of them the customer already moved to Billing Center settlement; that choice stands.
    const other = await core.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'Other',
      language: 'en',
      siteId: 'us1',
      by,
    });
    core.clock.set('2026-11-04T09:00:00Z');
    await deliver(core, b, 'subscribe-success', new Date('2026-11-04T08:59:00Z'));
    const ws = await read(core, (tx) => tx.workspaces.get(workspace.id));
    expect(ws).toMatchObject({
      lockReason: null,
      billingMethod: 'cloud-account',
      cloudAccountId: cloudAccount.id,
    });
    expect(ws?.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-04T10:00:00.000Z');
    expect((await read(core, (tx) => tx.workspaces.get(other.id)))?.billingMethod).toBe('billing-center');
    const bindings = await read(core, (tx) => tx.bindings.listForWorkspace(workspace.id));
    expect(bindings.map((x) => [x.from.toISOString(), x.to?.toISOString() ?? null])).toEqual([
      ['2026-11-02T10:00:00.000Z', '2026-11-03T10:00:00.000Z'],
      ['2026-11-04T10:00:00.000Z', null],
    ]);
  });

  it('after the grace period the workspace is fully locked, and only an operator can unlock it', async () => {
    const { core, account, workspace } = await cancelledSetup();
    core.clock.set('2026-11-17T09:00:00Z');
    const r = await core.useCases.expireLockGrace.execute();
    expect(r.fullyLocked).toEqual([workspace.id]);
    expect((await core.useCases.expireLockGrace.execute()).fullyLocked).toEqual([]);
    await expect(
      core.useCases.unlockWorkspace.execute({
        workspaceId: workspace.id,
        method: { kind: 'billing-center' },
        by: customer(account.id),
      }),
    ).rejects.toMatchObject({ code: 'lock-grace-expired' });
    const ws = await core.useCases.unlockWorkspace.execute({
      workspaceId: workspace.id,
      method: { kind: 'billing-center' },
      by: { type: 'operator', operatorId: 'op-7' },
    });
    expect(ws.isLocked).toBe(false);
    await core.useCases.dispatchOutbox.execute({ limit: 500 });
    expect(core.publisher.events.map((e) => e.type)).toContain('workspace.fully-locked');
  });

  it('dissolving is allowed while locked', async () => {
    const { core, account, workspace } = await cancelledSetup();
    const ws = await core.useCases.dissolveWorkspace.execute({
      workspaceId: workspace.id,
      by: customer(account.id),
    });
    expect(ws.dissolvedAt).not.toBeNull();
    await expect(
      core.useCases.dissolveWorkspace.execute({ workspaceId: workspace.id, by: customer(account.id) }),
    ).rejects.toMatchObject({
      code: 'workspace-dissolved',
    });
  });
});
