import type { Actor, TransactionContext } from '@billing-center/core';
import {
  activatedCustomer,
  createTestCore,
  customer,
  deliver,
  type FakeBuyer,
  read,
} from '@billing-center/core/testing';
import { expect, it } from 'vitest';
import type { Persistence } from '../../src/index.js';

/*
 * Core use cases end to end with this package's unit of work in place of the in-memory database: the same
 * CoreContext as the core's test core (fake clock, ids, AWS Marketplace), only `uow` replaced.
 */

let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(++seq).toString(36)}`;

/** A core whose unit of work is `p`'s (or the core's in-memory database when none is given). */
export function coreOn(p?: Persistence) {
  const core = createTestCore({ uow: p?.uow });
  return {
    ...core,
    read: <T>(fn: (tx: TransactionContext) => Promise<T>) => read(core, fn),
    customer,
    activatedCustomer: () => activatedCustomer(core),
    deliver: (b: FakeBuyer, action: string, occurredAt: Date) => deliver(core, b, action, occurredAt),
  };
}

/** The flows, defined once and run on each database by the spec files; `fresh` empties it per test. */
export function defineUseCaseFlows(fresh: () => Promise<Persistence>) {
  it('registration: account, cloud account and a workspace settled by it, with audit, in one commit', async () => {
    const c = coreOn(await fresh());
    const { account, cloudAccount, workspace, ticket } = await c.activatedCustomer();
    expect(workspace).toMatchObject({ billingMethod: 'cloud-account', cloudAccountId: cloudAccount.id });
    const stored = await c.read((tx) => tx.workspaces.get(workspace.id));
    expect(stored?.method).toEqual({ kind: 'cloud-account', cloudAccountId: cloudAccount.id });
    const bindings = await c.read((tx) => tx.bindings.listForWorkspace(workspace.id));
    expect(bindings.map((b) => b.from.toISOString())).toEqual(['2026-11-02T10:00:00.000Z']);
    const audit = await c.read((tx) => tx.audit.listForAccount(account.id, { limit: 50 }));
    expect(audit.items.map((e) => e.action).sort()).toEqual([
      'account.registered',
      'cloud-account.registered',
      'workspace.created',
    ]);
    // the ticket is used up: a second completion is refused and writes nothing
    const ticketId = (await c.read((tx) => tx.tickets.get(ticket.id)))?.id ?? ticket.id;
    await expect(
      c.useCases.completeRegistrationAsNewAccount.execute({
        ticketId,
        account: {
          username: `again${uniq()}`,
          email: `again${uniq()}@example.com`,
          password: 'correct horse battery',
          company: 'X',
        },
        workspace: { name: 'Again', language: 'en' },
        termsAccepted: true,
      }),
    ).rejects.toMatchObject({ code: 'registration-ticket-used' });
    expect((await c.read((tx) => tx.cloudAccounts.listByOwner(account.id))).map((x) => x.id)).toEqual([
      cloudAccount.id,
    ]);
  });

  it('cancellation: unsubscribe-success unlinks and locks every bound workspace and queues notices', async () => {
    const c = coreOn(await fresh());
    const { account, cloudAccount, buyer: b, workspace } = await c.activatedCustomer();
    const second = await c.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'Second',
      language: 'en',
      siteId: 'us1',
      method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
      by: c.customer(account.id),
    });
    await c.deliver(b, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    c.clock.set('2026-11-02T12:30:00Z');
    expect((await c.deliver(b, 'unsubscribe-pending', new Date('2026-11-02T12:29:00Z'))).outcome).toBe(
      'active->unsubscribe-pending',
    );
    c.clock.set('2026-11-02T13:10:00Z');
    expect((await c.deliver(b, 'unsubscribe-success', new Date('2026-11-02T13:09:00Z'))).outcome).toBe(
      'unsubscribe-pending->cancelled',
    );
    for (const id of [workspace.id, second.id]) {
      const ws = await c.read((tx) => tx.workspaces.get(id));
      expect(ws).toMatchObject({
        lockReason: 'cloud-subscription-cancelled',
        lockCloudAccountId: cloudAccount.id,
        billingMethod: null,
      });
      expect(ws?.lockGraceEndsAt?.toISOString()).toBe('2026-11-16T13:10:00.000Z');
      const [b0] = await c.read((tx) => tx.bindings.listForWorkspace(id));
      expect(b0?.to?.toISOString()).toBe('2026-11-02T14:00:00.000Z');
    }
    expect((await c.read((tx) => tx.cloudAccounts.get(cloudAccount.id)))?.state).toBe('cancelled');
    await c.useCases.dispatchOutbox.execute({ limit: 500 });
    expect(c.notifier.owners.map((n) => n.template)).toContain('cloud-subscription-cancelled');
    expect(c.publisher.events.filter((e) => e.type === 'workspace.locked')).toHaveLength(2);
  });

  it('metering: usage in, one hour planned and sealed, submitted to the fake AWS and accepted', async () => {
    const c = coreOn(await fresh());
    const { account, cloudAccount, buyer: b, workspace } = await c.activatedCustomer();
    const second = await c.useCases.createWorkspace.execute({
      ownerAccountId: account.id,
      name: 'Second',
      language: 'en',
      siteId: 'eu1',
      method: { kind: 'cloud-account', cloudAccountId: cloudAccount.id },
      by: c.customer(account.id),
    });
    await c.deliver(b, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
    const by: Actor = { type: 'platform', keyId: 'key-1' };
    const k = uniq();
    const first = await c.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: `${k}-1`,
          workspaceId: workspace.id,
          itemCode: 'log-events',
          hour: '2026-11-02T10:20:00Z',
          quantity: 7_000_000,
        },
        {
          idempotencyKey: `${k}-2`,
          workspaceId: second.id,
          itemCode: 'log-events',
          hour: '2026-11-02T10:40:00Z',
          quantity: 3_000_000,
        },
      ],
      by,
    });
    expect(first).toBeDefined();
    // a redelivered batch is idempotent on the key
    await c.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: `${k}-1`,
          workspaceId: workspace.id,
          itemCode: 'log-events',
          hour: '2026-11-02T10:20:00Z',
          quantity: 7_000_000,
        },
      ],
      by,
    });
    expect(await c.read((tx) => tx.usage.findByKeys([`${k}-1`, `${k}-2`]))).toHaveLength(2);
    c.clock.set('2026-11-02T11:00:00Z');
    const plan = await c.useCases.planMetering.execute();
    expect(plan).toMatchObject({ accounts: 1, hours: 1 });
    const sealed = await c.read((tx) =>
      tx.metering.find(cloudAccount.id, 'usage_cost', new Date('2026-11-02T10:00:00Z')),
    );
    expect(sealed).toMatchObject({ status: 'sealed' });
    expect(sealed?.quantity).toBeGreaterThan(0);
    expect(sealed?.allocations.reduce((s, a) => s + a.quantity, 0)).toBe(sealed?.quantity);
    // the record names the usage its seal absorbed; the payer reports it metered (no usage row rewritten)
    const absorbed = await c.read((tx) =>
      tx.usage.listForMeteringRecord(
        sealed!,
        [...c.ctx.catalog.items.values()].filter((i) => i.dimension === 'usage_cost').map((i) => i.code),
      ),
    );
    const payer = await c.read((tx) => tx.cloudAccounts.get(cloudAccount.id));
    expect(absorbed.map((u) => u.reportedStatus(payer))).toEqual(['metered', 'metered']);
    expect(await c.useCases.planMetering.execute()).toMatchObject({ accounts: 0, records: 0 });
    const sent = await c.useCases.submitMetering.execute({ workerId: 'w1' });
    expect(sent).toMatchObject({ claimed: plan.records, accepted: plan.records });
    const after = await c.read((tx) => tx.metering.get(sealed!.id));
    expect(after).toMatchObject({ status: 'accepted', attempts: 1 });
    expect(c.marketplace.accepted().map((a) => a.quantity)).toContain(sealed?.quantity);
  });
}
