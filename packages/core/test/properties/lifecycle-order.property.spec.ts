import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIFECYCLE_ACTIONS, type LifecycleAction } from '../../src/index.js';
import { createTestCore, type FakeBuyer } from '../../src/testing/index.js';
import { FC_SEED, NUM_RUNS } from '../fixtures.js';
import { buyer, customer, deliver, read } from '../support.js';

/*
 * Lifecycle order independence: the same set of marketplace messages (with duplicates and SNS redeliveries),
 * delivered in any order — some before the registration completes, so they are parked — leads to one
 * resulting state of the cloud account and of every workspace it settled.
 */

interface Msg {
  action: LifecycleAction;
  /** minutes after 10:00; equal stamps happen */
  minute: number;
  id: string;
}

const T0 = Date.parse('2026-11-02T10:00:00Z');

const scenarioArb = fc
  .array(
    fc.record({ action: fc.constantFrom(...LIFECYCLE_ACTIONS), minute: fc.integer({ min: 0, max: 6 }) }),
    { minLength: 1, maxLength: 7 },
  )
  .chain((events) => {
    const msgs: Msg[] = events.map((e, i) => ({ ...e, id: `msg-${i}` }));
    // Deliveries: every message once, some again (SNS retries); the registration is one more step.
    const deliveries = fc
      .array(fc.integer({ min: 0, max: msgs.length - 1 }), { maxLength: 4 })
      .map((dups) => [...msgs.map((_, i) => i), ...dups, -1]);
    return fc.tuple(
      fc.constant(msgs),
      deliveries.chain((d) =>
        fc.tuple(
          fc.shuffledSubarray(d, { minLength: d.length }),
          fc.shuffledSubarray(d, { minLength: d.length }),
        ),
      ),
    );
  });

async function play(msgs: Msg[], order: number[], b: FakeBuyer) {
  const core = createTestCore({ now: '2026-11-02T10:30:00Z' });
  const token = core.marketplace.issueToken(b);
  const ticket = await core.useCases.openRegistrationTicket.execute({ partition: 'aws', token });
  const owner = await core.useCases.registerAccount.execute({
    username: 'owner',
    email: 'owner@example.com',
    password: 'correct horse battery',
    company: 'O',
  });
  const by = customer(owner.id);
  const existing = await core.useCases.createWorkspace.execute({
    ownerAccountId: owner.id,
    name: 'Existing',
    language: 'en',
    siteId: 'eu1',
    by,
  });
  for (const i of order) {
    if (i === -1) {
      await core.useCases.completeRegistrationForAccount.execute({
        ticketId: ticket.id,
        by,
        bindWorkspaceIds: [existing.id],
        createWorkspace: { name: 'New', language: 'zh', siteId: 'us1' },
      });
      continue;
    }
    const m = msgs[i] as Msg;
    await deliver(core, b, m.action, new Date(T0 + m.minute * 60_000), m.id);
  }
  const [ca] = await read(core, (tx) => tx.cloudAccounts.listByOwner(owner.id));
  const ws = await read(core, (tx) => tx.workspaces.list({ ownerAccountId: owner.id }, { limit: 10 }));
  const events = await read(core, (tx) => tx.marketplaceEvents.listForCloudAccount(ca?.id ?? ''));
  return {
    cloudAccount: { state: ca?.state, cancelledAt: ca?.cancelledAt?.toISOString() ?? null },
    workspaces: ws.items.map((w) => ({
      name: w.name,
      method: w.billingMethod,
      ca: w.cloudAccountId !== null,
      lock: w.lockReason,
      lockCa: w.lockCloudAccountId !== null,
    })),
    inbox: events.map((e) => e.status).sort(),
    parkedLeft: [...core.db.tables.marketplaceEvents.rows.values()].filter((e) => e.status === 'parked')
      .length,
  };
}

describe('lifecycle order independence', () => {
  it('every delivery order of the same messages, with duplicates and parking, converges to one state', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ([msgs, [orderA, orderB]]) => {
        const b = buyer();
        const a = await play(msgs, orderA, b);
        const c = await play(msgs, orderB, b);
        expect(c).toEqual(a);
        expect(a.parkedLeft).toBe(0);
        expect(a.inbox.every((s) => s === 'processed')).toBe(true);
      }),
      { numRuns: NUM_RUNS, seed: FC_SEED },
    );
  }, 600_000);

  it('a stale subscribe-success never reactivates a subscription that a later message ended', async () => {
    const b = buyer();
    const msgs: Msg[] = [
      { action: 'subscribe-success', minute: 0, id: 's' },
      { action: 'unsubscribe-pending', minute: 1, id: 'p' },
      { action: 'unsubscribe-success', minute: 2, id: 'c' },
    ];
    const r = await play(msgs, [-1, 2, 1, 0], b);
    expect(r.cloudAccount).toEqual({ state: 'cancelled', cancelledAt: '2026-11-02T10:02:00.000Z' });
    expect(r.workspaces.every((w) => w.lock === 'cloud-subscription-cancelled' && w.method === null)).toBe(
      true,
    );
  });
});
