import { describe, expect, it } from 'vitest';
import {
  activatedCustomer,
  createTestCore,
  customer,
  deliver,
  operator,
  platform,
  workspaceMovedToAws,
} from '../support.js';

describe('read side', () => {
  it('shows an account to its owner and operators only (another customer: not found)', async () => {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    const b = await activatedCustomer(core);
    expect(
      await core.useCases.accounts.get({ accountId: a.account.id, by: customer(a.account.id) }),
    ).toMatchObject({
      id: a.account.id,
      username: a.account.username,
    });
    expect((await core.useCases.accounts.get({ accountId: a.account.id, by: operator })).id).toBe(
      a.account.id,
    );
    await expect(
      core.useCases.accounts.get({ accountId: a.account.id, by: customer(b.account.id) }),
    ).rejects.toMatchObject({ code: 'account-not-found', kind: 'not-found' });
  });

  it('lists and gets only the caller’s workspaces; operators and the platform name the account', async () => {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    const b = await activatedCustomer(core);
    const mine = await core.useCases.workspaces.list({
      by: customer(a.account.id),
      ownerAccountId: b.account.id,
    });
    expect(mine.items.map((w) => w.id)).toEqual([a.workspace.id]); // a customer cannot widen the filter
    await expect(
      core.useCases.workspaces.get({ workspaceId: b.workspace.id, by: customer(a.account.id) }),
    ).rejects.toMatchObject({
      code: 'workspace-not-found',
    });
    expect(
      (await core.useCases.workspaces.list({ by: operator, ownerAccountId: b.account.id })).items.map(
        (w) => w.id,
      ),
    ).toEqual([b.workspace.id]);
    await expect(
      core.useCases.workspaces.list({ by: customer(a.account.id), limit: 0 }),
    ).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(
      core.useCases.cloudAccounts.get({ cloudAccountId: b.cloudAccount.id, by: customer(a.account.id) }),
    ).rejects.toMatchObject({
      code: 'cloud-account-not-found',
    });
    await expect(
      core.useCases.audit.forAccount({ accountId: b.account.id, by: customer(a.account.id) }),
    ).rejects.toMatchObject({
      code: 'account-not-found',
    });
  });

  it('tells the platform who pays now and who pays from the next hour', async () => {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    const s1 = await core.useCases.workspaces.billingStatus({ workspaceId: a.workspace.id, by: platform });
    expect(s1).toMatchObject({
      locked: false,
      fullyLocked: false,
      payer: { kind: 'cloud-account', cloudAccountId: a.cloudAccount.id },
      nextPayer: null,
    });
    core.clock.set('2026-11-02T10:40:00Z');
    await deliver(core, a.buyer, 'unsubscribe-success', new Date('2026-11-02T10:39:00Z'));
    const s2 = await core.useCases.workspaces.billingStatus({ workspaceId: a.workspace.id, by: platform });
    expect(s2).toMatchObject({ locked: true, payer: { kind: 'cloud-account' } }); // the current hour stays with the old payer
    expect(s2.nextPayer).toMatchObject({ method: null });
    await core.useCases.unlockWorkspace.execute({
      workspaceId: a.workspace.id,
      method: { kind: 'billing-center' },
      by: customer(a.account.id),
    });
    core.clock.set('2026-11-02T11:05:00Z');
    const s3 = await core.useCases.workspaces.billingStatus({ workspaceId: a.workspace.id, by: platform });
    expect(s3).toMatchObject({ locked: false, payer: { kind: 'billing-center' }, nextPayer: null });
    const history = await core.useCases.cloudAccounts.history({
      cloudAccountId: a.cloudAccount.id,
      by: customer(a.account.id),
    });
    expect(history.map((e) => e.action)).toEqual(['subscribe-success', 'unsubscribe-success']);
    const bindings = await core.useCases.workspaces.bindings({
      workspaceId: a.workspace.id,
      by: customer(a.account.id),
    });
    expect(bindings.map((x) => x.endReason)).toEqual(['subscription-cancelled']);
    const log = await core.useCases.audit.forAccount({
      accountId: a.account.id,
      by: customer(a.account.id),
      limit: 3,
    });
    expect(log.items).toHaveLength(3);
    expect(log.nextCursor).not.toBeNull();
  });

  it('keeps Billing Center settlement as the payer of the current hour when a move to AWS is scheduled', async () => {
    const core = createTestCore();
    const { workspace: ws, cloudAccount } = await workspaceMovedToAws(core);
    const now = await core.useCases.workspaces.billingStatus({ workspaceId: ws.id, by: platform });
    expect(now.payer).toEqual({ kind: 'billing-center' });
    expect(now.nextPayer).toMatchObject({
      method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
    });
    core.clock.set('2026-11-02T11:00:00Z');
    const later = await core.useCases.workspaces.billingStatus({ workspaceId: ws.id, by: platform });
    expect(later).toMatchObject({
      payer: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
      nextPayer: null,
    });
  });

  it('lists a cloud account’s metering records newest first', async () => {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    core.clock.set('2026-11-02T13:00:00Z');
    await core.useCases.planMetering.execute();
    const page = await core.useCases.cloudAccounts.meteringRecords({
      cloudAccountId: a.cloudAccount.id,
      by: customer(a.account.id),
      limit: 2,
    });
    expect(page.items.map((r) => r.hour.toISOString())).toEqual([
      '2026-11-02T12:00:00.000Z',
      '2026-11-02T11:00:00.000Z',
    ]);
  });
});

describe('platform sync', () => {
  it('creates under the platform’s id, renames, and refuses to move site, language or owner', async () => {
    const core = createTestCore();
    const owner = await core.useCases.registerAccount.execute({
      username: 'synced',
      email: 's@example.com',
      password: 'correct horse battery',
      company: 'S',
    });
    const input = {
      id: 'ws_platform_1',
      ownerAccountId: owner.id,
      name: 'Prod',
      language: 'en',
      siteId: 'us1',
      by: platform,
    };
    expect((await core.useCases.syncWorkspace.execute(input)).created).toBe(true);
    const renamed = await core.useCases.syncWorkspace.execute({ ...input, name: 'Production' });
    expect(renamed).toMatchObject({
      created: false,
      workspace: { name: 'Production', billingMethod: 'billing-center' },
    });
    await expect(core.useCases.syncWorkspace.execute({ ...input, siteId: 'eu1' })).rejects.toMatchObject({
      code: 'workspace-site-fixed',
    });
    await expect(core.useCases.syncWorkspace.execute({ ...input, language: 'zh' })).rejects.toMatchObject({
      code: 'workspace-language-fixed',
    });
    await expect(
      core.useCases.syncWorkspace.execute({ ...input, by: customer(owner.id) }),
    ).rejects.toMatchObject({ code: 'not-allowed' });
    await expect(core.useCases.syncWorkspace.execute({ ...input, id: 'bad id!' })).rejects.toMatchObject({
      code: 'invalid-input',
    });
  });
});

describe('the read side opens no transaction', () => {
  it('every query, list and lookup runs in UnitOfWork.read (a transaction would be a BEGIN/COMMIT each)', async () => {
    const core = createTestCore();
    const a = await activatedCustomer(core);
    const by = customer(a.account.id);
    const transactions: string[] = [];
    const inner = core.ctx.uow;
    core.ctx.uow = {
      overlapsTransactions: inner.overlapsTransactions,
      read: (work) => inner.read(work),
      transaction: (work) => {
        transactions.push(new Error().stack ?? '');
        return inner.transaction(work);
      },
    };
    const uc = core.useCases;
    await uc.accounts.get({ accountId: a.account.id, by });
    await uc.workspaces.list({ by });
    await uc.workspaces.get({ workspaceId: a.workspace.id, by });
    await uc.workspaces.bindings({ workspaceId: a.workspace.id, by });
    await uc.workspaces.billingStatus({ workspaceId: a.workspace.id, by });
    await uc.cloudAccounts.list({ by });
    await uc.cloudAccounts.get({ cloudAccountId: a.cloudAccount.id, by });
    await uc.cloudAccounts.history({ cloudAccountId: a.cloudAccount.id, by });
    await uc.cloudAccounts.meteringRecords({ cloudAccountId: a.cloudAccount.id, by });
    await uc.audit.forAccount({ accountId: a.account.id, by });
    await uc.listApiTokens.execute({ by });
    await uc.listServiceKeys.execute({ by: operator });
    await uc.getRegistrationTicket.execute({ ticketId: a.ticket.id });
    await uc.authenticateAccount.execute({ login: a.account.username, password: 'correct horse battery' });
    expect(transactions).toEqual([]);
  });
});
