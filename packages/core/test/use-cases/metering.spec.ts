import { describe, expect, it } from 'vitest';
import { UNITS_CATALOG } from '../fixtures.js';
import { activatedCustomer, createTestCore, customer, deliver, platform, read } from '../support.js';

async function meteredCustomer() {
  const core = createTestCore({ catalog: UNITS_CATALOG });
  const a = await activatedCustomer(core);
  const second = await core.useCases.createWorkspace.execute({
    ownerAccountId: a.account.id,
    name: 'Second',
    language: 'en',
    siteId: 'eu1',
    method: { kind: 'cloud-account', cloudAccountId: a.cloudAccount.id },
    by: customer(a.account.id),
  });
  await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T10:16:00Z'));
  let k = 0;
  const push = (workspaceId: string, itemCode: string, hour: string, quantity: number) =>
    core.useCases.recordUsage.execute({
      records: [{ idempotencyKey: `k${++k}`, workspaceId, itemCode, hour, quantity }],
      by: platform,
    });
  return { core, ...a, second, push };
}

describe('planning an hour', () => {
  it('seals one record per dimension with per-workspace allocations, and zero records without usage', async () => {
    const { core, workspace, second, push, cloudAccount } = await meteredCustomer();
    await push(workspace.id, 'events', '2026-11-02T10:20:00Z', 70);
    await push(second.id, 'events', '2026-11-02T10:40:00Z', 30);
    await push(workspace.id, 'events', '2026-11-02T10:59:59Z', 5);
    core.clock.set('2026-11-02T11:00:00Z');
    expect(await core.useCases.planMetering.execute()).toEqual({ accounts: 1, hours: 1, records: 3 });
    const r = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T10:00:00Z')),
    );
    expect(r).toMatchObject({ status: 'sealed', quantity: 105 });
    expect(r?.allocations).toEqual([
      { workspaceId: workspace.id, quantity: 75 },
      { workspaceId: second.id, quantity: 30 },
    ]);
    const hosts = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'hosts', new Date('2026-11-02T10:00:00Z')),
    );
    expect(hosts).toMatchObject({ quantity: 0, allocations: [] });
    expect(await core.useCases.planMetering.execute()).toEqual({ accounts: 0, hours: 0, records: 0 });
  });

  it('reports usage of a billing item removed from the catalog as not billable, audited and alerted', async () => {
    const { core, workspace, push, cloudAccount } = await meteredCustomer();
    await push(workspace.id, 'events', '2026-11-02T10:20:00Z', 7);
    await push(workspace.id, 'hosts', '2026-11-02T10:30:00Z', 3);
    // the operator removed "hosts"... from a catalog that no longer knows it: stored usage keeps its code
    const stored = [...core.db.tables.usage.rows.values()].find((u) => u.itemCode === 'hosts');
    if (!stored) throw new Error('the hosts usage was not stored');
    core.db.tables.usage.put(
      Object.assign(Object.create(Object.getPrototypeOf(stored)), stored, { itemCode: 'retired' }),
    );
    core.clock.set('2026-11-02T11:00:00Z');
    expect(await core.useCases.planMetering.execute()).toMatchObject({ records: 3 });
    const usage = await read(core, (tx) =>
      tx.usage.listForWorkspace(workspace.id, new Date(0), new Date('2030-01-01')),
    );
    const payer = await read(core, (tx) => tx.cloudAccounts.get(cloudAccount.id));
    expect(usage.map((u) => [u.itemCode, u.reportedStatus(payer), u.reason])).toEqual([
      ['events', 'metered', null],
      ['retired', 'not-billable', 'billing-item-not-in-catalog'],
    ]);
    const audit = await read(core, (tx) => tx.audit.listForEntity('cloud-account', cloudAccount.id));
    expect(audit.find((e) => e.action === 'usage.not-billable')?.details).toMatchObject({
      reason: 'billing-item-not-in-catalog',
      usageRecords: 1,
      itemCodes: ['retired'],
    });
    await core.useCases.dispatchOutbox.execute({ limit: 100 });
    expect(core.notifier.alerts.filter((a) => a.code === 'usage-item-not-in-catalog')).toHaveLength(1);
    // the next hour has nothing left of it: reported once
    core.clock.set('2026-11-02T12:00:00Z');
    await core.useCases.planMetering.execute();
    await core.useCases.dispatchOutbox.execute({ limit: 100 });
    expect(core.notifier.alerts.filter((a) => a.code === 'usage-item-not-in-catalog')).toHaveLength(1);
  });

  it('carries late usage for a sealed hour into the next open hour, never into a re-send', async () => {
    const { core, workspace, push, cloudAccount } = await meteredCustomer();
    await push(workspace.id, 'events', '2026-11-02T10:20:00Z', 10);
    core.clock.set('2026-11-02T11:05:00Z');
    await core.useCases.planMetering.execute();
    await push(workspace.id, 'events', '2026-11-02T10:30:00Z', 4); // late for the sealed 10:00 hour
    await push(workspace.id, 'events', '2026-11-02T11:10:00Z', 1);
    core.clock.set('2026-11-02T12:00:00Z');
    await core.useCases.planMetering.execute();
    const h10 = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T10:00:00Z')),
    );
    const h11 = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T11:00:00Z')),
    );
    expect([h10?.quantity, h11?.quantity]).toEqual([10, 5]);
    const usage = await read(core, (tx) =>
      tx.usage.listForWorkspace(workspace.id, new Date(0), new Date('2030-01-01')),
    );
    // which seal absorbed each: the late one went into hour 11 (no usage row was rewritten)
    const meteredHour = (u: (typeof usage)[number]) =>
      [h10, h11]
        .find((r) => r?.absorbed(u, 'events'))
        ?.hour.toISOString()
        .slice(11, 13);
    expect(usage.map((u) => [u.hour.toISOString().slice(11, 13), meteredHour(u)])).toEqual([
      ['10', '10'],
      ['10', '11'],
      ['11', '11'],
    ]);
  });

  it('bills max items as the rise of the day’s running maximum, resetting each UTC day', async () => {
    const { core, workspace, push, cloudAccount } = await meteredCustomer();
    const readings: Array<[string, number]> = [
      ['2026-11-02T10:00:00Z', 5],
      ['2026-11-02T10:30:00Z', 8],
      ['2026-11-02T11:00:00Z', 6],
      ['2026-11-02T12:00:00Z', 11],
      ['2026-11-03T00:00:00Z', 4],
    ];
    for (const [h, q] of readings) {
      core.clock.set(h);
      await push(workspace.id, 'hosts', h, q);
    }
    core.clock.set('2026-11-03T01:00:00Z');
    await core.useCases.planMetering.execute();
    const q = async (h: string) =>
      (await read(core, (tx) => tx.metering.find(cloudAccount.id, 'hosts', new Date(h))))?.quantity;
    expect([
      await q('2026-11-02T10:00:00Z'),
      await q('2026-11-02T11:00:00Z'),
      await q('2026-11-02T12:00:00Z'),
      await q('2026-11-03T00:00:00Z'),
    ]).toEqual([8, 0, 3, 4]);
  });

  it('rates cost dimensions exactly, carrying fractions of a cent forward', async () => {
    const { core, workspace, push, cloudAccount } = await meteredCustomer();
    // 0.37 USD per 1,000 spans: 1,500 spans = 55.5 cents → 55 now, the half cent carried.
    await push(workspace.id, 'spans', '2026-11-02T10:00:00Z', 1500);
    core.clock.set('2026-11-02T11:00:00Z');
    await push(workspace.id, 'spans', '2026-11-02T11:00:00Z', 1500);
    core.clock.set('2026-11-02T12:00:00Z');
    await core.useCases.planMetering.execute();
    const c10 = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'cost', new Date('2026-11-02T10:00:00Z')),
    );
    const c11 = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'cost', new Date('2026-11-02T11:00:00Z')),
    );
    expect([c10?.quantity, c11?.quantity]).toEqual([55, 56]);
  });

  it('meters nothing while the subscription is pending, then catches up in order once active', async () => {
    const core = createTestCore({ catalog: UNITS_CATALOG });
    const a = await activatedCustomer(core);
    await core.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: 'p1',
          workspaceId: a.workspace.id,
          itemCode: 'events',
          hour: '2026-11-02T10:30:00Z',
          quantity: 9,
        },
      ],
      by: platform,
    });
    core.clock.set('2026-11-02T13:00:00Z');
    expect((await core.useCases.planMetering.execute()).records).toBe(0);
    await deliver(core, a.buyer, 'subscribe-success', new Date('2026-11-02T12:59:00Z'));
    expect(await core.useCases.planMetering.execute()).toEqual({ accounts: 1, hours: 3, records: 9 });
    const r = await read(core, (tx) =>
      tx.metering.find(a.cloudAccount.id, 'events', new Date('2026-11-02T10:00:00Z')),
    );
    expect(r?.quantity).toBe(9);
  });
});

describe('the end of a subscription', () => {
  it('seals the partial hour at once on unsubscribe-pending, then bills nothing after unsubscribe-success', async () => {
    const { core, workspace, push, cloudAccount, buyer } = await meteredCustomer();
    core.clock.set('2026-11-02T12:20:00Z');
    await push(workspace.id, 'events', '2026-11-02T12:10:00Z', 7);
    await deliver(core, buyer, 'unsubscribe-pending', new Date('2026-11-02T12:19:00Z'));
    const s = await core.useCases.planMetering.execute();
    expect(s.hours).toBe(3); // 10:00 and 11:00 completed, 12:00 partial (final)
    const final = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T12:00:00Z')),
    );
    expect(final).toMatchObject({ quantity: 7, isFinal: true, status: 'sealed' });
    await push(workspace.id, 'events', '2026-11-02T12:40:00Z', 2); // after the final flush
    core.clock.set('2026-11-02T12:50:00Z');
    await deliver(core, buyer, 'unsubscribe-success', new Date('2026-11-02T12:49:00Z'));
    core.clock.set('2026-11-02T15:00:00Z');
    expect((await core.useCases.planMetering.execute()).records).toBe(0);
    const usage = await read(core, (tx) =>
      tx.usage.listForWorkspace(workspace.id, new Date(0), new Date('2030-01-01')),
    );
    const payer = await read(core, (tx) => tx.cloudAccounts.get(cloudAccount.id));
    expect(usage.map((u) => [u.reportedStatus(payer), u.reason])).toEqual([
      ['metered', null],
      ['not-billable', 'subscription-cancelled'],
    ]);
    const after = await core.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: 'late',
          workspaceId: workspace.id,
          itemCode: 'events',
          hour: '2026-11-02T12:45:00Z',
          quantity: 1,
        },
      ],
      by: platform,
    });
    expect(after[0]).toMatchObject({ result: 'accepted', status: 'not-billable' });
  });
});

describe('sending to AWS', () => {
  async function sealedHour() {
    const m = await meteredCustomer();
    await m.push(m.workspace.id, 'events', '2026-11-02T10:20:00Z', 12);
    m.core.clock.set('2026-11-02T11:00:00Z');
    await m.core.useCases.planMetering.execute();
    return m;
  }

  it('accepts each record once; a lost response re-sends the identical record after the lease', async () => {
    const { core, cloudAccount } = await sealedHour();
    core.marketplace.loseNextResponses = 1;
    expect((await core.useCases.submitMetering.execute({ workerId: 'w1' })).unknown).toBe(3);
    expect((await core.useCases.submitMetering.execute({ workerId: 'w2' })).claimed).toBe(0); // still leased
    core.clock.advance(121_000);
    const s = await core.useCases.submitMetering.execute({ workerId: 'w2' });
    expect(s).toMatchObject({ claimed: 3, accepted: 3 });
    const r = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T10:00:00Z')),
    );
    expect(r).toMatchObject({ status: 'accepted', attempts: 2, quantity: 12 });
    expect(
      core.marketplace
        .accepted()
        .filter((x) => x.dimension === 'events')
        .map((x) => x.quantity),
    ).toEqual([12]);
  });

  it('keeps the settled results of a submit when only some calls lost their answer', async () => {
    const { core, cloudAccount } = await sealedHour();
    const real = core.marketplace.submit.bind(core.marketplace);
    core.marketplace.submit = async (records) => {
      const results = await real(records); // AWS took them all …
      core.marketplace.submit = real;
      return results.map((r) =>
        r.recordId === records[0]?.id
          ? { recordId: r.recordId, outcome: 'unknown' as const, error: 'socket hang up' }
          : r,
      );
    };
    const s1 = await core.useCases.submitMetering.execute({ workerId: 'w1' });
    expect(s1).toMatchObject({ claimed: 3, accepted: 2, unknown: 1 });
    core.clock.advance(5 * 60_000);
    const s2 = await core.useCases.submitMetering.execute({ workerId: 'w1' });
    expect(s2).toMatchObject({ claimed: 1, accepted: 1 });
    const records = await read(core, (tx) => tx.metering.listForCloudAccount(cloudAccount.id, { limit: 10 }));
    expect(records.items.map((r) => [r.status, r.unansweredSends]).sort()).toEqual([
      ['accepted', 0],
      ['accepted', 0],
      ['accepted', 1],
    ]);
  });

  it('retries throttled records with back-off, ignores results for records another worker took over', async () => {
    const { core } = await sealedHour();
    core.marketplace.throttleNextRecords = 2;
    const s1 = await core.useCases.submitMetering.execute({ workerId: 'w1' });
    expect(s1).toMatchObject({ claimed: 3, retry: 2, accepted: 1 });
    expect((await core.useCases.submitMetering.execute({ workerId: 'w1' })).claimed).toBe(0); // backing off
    core.clock.advance(60_000);
    expect(await core.useCases.submitMetering.execute({ workerId: 'w1' })).toMatchObject({
      claimed: 2,
      accepted: 2,
    });
    // A slow worker's stale result changes nothing.
    const claimed = await core.useCases.submitMetering.claim('slow', 10);
    expect(claimed).toHaveLength(0);
  });

  it('expires records past their deadline with a critical alert, and warns once before', async () => {
    const { core } = await sealedHour();
    core.marketplace.throttleNextRecords = 3; // answered: AWS did not take them
    core.clock.set('2026-11-03T08:00:00Z'); // the 10:00 hour's deadline is 24 h later: 2026-11-03T10:00Z
    await core.useCases.submitMetering.execute({ workerId: 'w1' });
    core.clock.set('2026-11-03T10:00:00Z');
    const s = await core.useCases.submitMetering.execute({ workerId: 'w1' });
    expect(s.expired).toBe(3);
    await core.useCases.dispatchOutbox.execute({ limit: 100 });
    const codes = core.notifier.alerts.map((a) => a.code);
    expect(codes.filter((c) => c === 'metering-record-near-deadline')).toHaveLength(3);
    expect(codes.filter((c) => c === 'metering-record-expired')).toHaveLength(3);
  });

  it('expired records take no sending slot: the same claim still fills its batch', async () => {
    const { core } = await sealedHour(); // 3 records for 10:00
    core.clock.set('2026-11-03T10:30:00Z'); // past their deadline; hours up to 09:00 are now due too
    await core.useCases.planMetering.execute();
    const s = await core.useCases.submitMetering.execute({ workerId: 'w1', limit: 3 });
    expect(s).toMatchObject({ expired: 3, claimed: 3, accepted: 3 });
  });

  it('says the outcome is unknown when the deadline passes after a send whose answer was lost', async () => {
    const { core, cloudAccount } = await sealedHour();
    core.marketplace.loseNextResponses = 1; // AWS took them; we never heard
    await core.useCases.submitMetering.execute({ workerId: 'w1' });
    core.clock.set('2026-11-03T10:00:00Z'); // the worker was down until after the deadline
    expect((await core.useCases.submitMetering.execute({ workerId: 'w2' })).expired).toBe(3);
    const r = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T10:00:00Z')),
    );
    expect(r).toMatchObject({ status: 'expired', unansweredSends: 1 });
    expect(r?.outcomeUnknown).toBe(true);
    await core.useCases.dispatchOutbox.execute({ limit: 100 });
    expect(core.notifier.alerts.filter((a) => a.code === 'metering-outcome-unknown')).toHaveLength(3);
  });

  it('counts DuplicateRecord as billed (DESIGN §4) and warns that AWS holds another quantity', async () => {
    const { core, cloudAccount } = await sealedHour();
    const real = core.marketplace.submit.bind(core.marketplace);
    core.marketplace.submit = async (records) =>
      records.map((r) => ({ recordId: r.id, outcome: 'duplicate' as const }));
    expect(await core.useCases.submitMetering.execute({ workerId: 'w1' })).toMatchObject({ duplicate: 3 });
    core.marketplace.submit = real;
    const r = await read(core, (tx) =>
      tx.metering.find(cloudAccount.id, 'events', new Date('2026-11-02T10:00:00Z')),
    );
    expect(r?.isBilled).toBe(true);
    await core.useCases.dispatchOutbox.execute({ limit: 100 });
    expect(core.notifier.alerts.filter((a) => a.code === 'metering-duplicate-record')).toHaveLength(3);
  });

  it('treats CustomerNotSubscribed as terminal with an alert', async () => {
    const { core, buyer } = await sealedHour();
    core.marketplace.cancel(buyer, new Date('2026-11-02T09:00:00Z'));
    const s = await core.useCases.submitMetering.execute({ workerId: 'w1' });
    expect(s.customerNotSubscribed).toBe(3);
    await core.useCases.dispatchOutbox.execute({ limit: 100 });
    expect(core.notifier.alerts.some((a) => a.code === 'metering-customer-not-subscribed')).toBe(true);
  });
});

describe('usage ingestion', () => {
  it('answers per record: accepted, duplicate, conflicting key, unknown workspace or item, bad hour or quantity', async () => {
    const { core, workspace } = await meteredCustomer();
    const ok = {
      idempotencyKey: 'a',
      workspaceId: workspace.id,
      itemCode: 'events',
      hour: '2026-11-02T10:00:00Z',
      quantity: 1,
    };
    const res = await core.useCases.recordUsage.execute({
      records: [
        ok,
        ok,
        { ...ok, quantity: 2 },
        { ...ok, idempotencyKey: 'b', workspaceId: 'nope' },
        { ...ok, idempotencyKey: 'c', itemCode: 'gpu-hours' },
        { ...ok, idempotencyKey: 'd', hour: 'yesterday' },
        { ...ok, idempotencyKey: 'e', hour: '2026-11-02T12:00:00Z' },
        { ...ok, idempotencyKey: 'f', hour: '2026-09-01T00:00:00Z' },
        { ...ok, idempotencyKey: 'g', quantity: -1 },
        { ...ok, idempotencyKey: 'h', quantity: 1.5 },
        { ...ok, idempotencyKey: '' },
      ],
      by: platform,
    });
    expect(res.map((r) => (r.result === 'rejected' ? r.error.code : r.result))).toEqual([
      'accepted',
      'duplicate',
      'usage-key-reused',
      'workspace-not-found',
      'unknown-billing-item',
      'invalid-input',
      'usage-in-future',
      'usage-too-old',
      'invalid-quantity',
      'invalid-quantity',
      'invalid-idempotency-key',
    ]);
    const again = await core.useCases.recordUsage.execute({ records: [ok], by: platform });
    expect(again[0]).toMatchObject({ result: 'duplicate', status: 'pending' });
    await expect(
      core.useCases.recordUsage.execute({ records: new Array(1001).fill(ok), by: platform }),
    ).rejects.toMatchObject({
      code: 'usage-batch-too-large',
    });
    await expect(
      core.useCases.recordUsage.execute({ records: [ok], by: customer(workspace.ownerAccountId) }),
    ).rejects.toMatchObject({
      code: 'not-allowed',
    });
  });

  it('fixes the payer of an hour at ingestion: the old payer keeps the hour in which the method changed', async () => {
    const core = createTestCore({ catalog: UNITS_CATALOG });
    const owner = await core.useCases.registerAccount.execute({
      username: 'payer',
      email: 'p@example.com',
      password: 'correct horse battery',
      company: 'P',
    });
    const ws = await core.useCases.createWorkspace.execute({
      ownerAccountId: owner.id,
      name: 'W',
      language: 'en',
      siteId: 'us1',
      by: customer(owner.id),
    });
    const a = await activatedCustomer(core); // unrelated buyer, to prove isolation
    void a;
    const t = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken({
        partition: 'aws',
        productCode: 'prodglobal0001',
        customerIdentifier: 'LEGACY1',
        customerAwsAccountId: null,
        licenseArn: null,
      }),
    });
    const { cloudAccount } = await core.useCases.completeRegistrationForAccount.execute({
      ticketId: t.id,
      by: customer(owner.id),
      bindWorkspaceIds: [ws.id],
    });
    const res = await core.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: 'x1',
          workspaceId: ws.id,
          itemCode: 'events',
          hour: '2026-11-02T10:50:00Z',
          quantity: 1,
        },
        {
          idempotencyKey: 'x2',
          workspaceId: ws.id,
          itemCode: 'events',
          hour: '2026-11-02T11:10:00Z',
          quantity: 1,
        },
      ],
      by: platform,
    });
    core.clock.set('2026-11-02T11:30:00Z');
    const second = await core.useCases.recordUsage.execute({
      records: [
        {
          idempotencyKey: 'x2',
          workspaceId: ws.id,
          itemCode: 'events',
          hour: '2026-11-02T11:10:00Z',
          quantity: 1,
        },
      ],
      by: platform,
    });
    expect(res[0]).toMatchObject({ result: 'accepted', status: 'billing-center' });
    expect(res[1]).toMatchObject({ result: 'rejected', error: { code: 'usage-in-future' } });
    expect(second[0]).toMatchObject({ result: 'accepted', status: 'pending' });
    const [u] = await read(core, (tx) => tx.usage.findByKeys(['x2']));
    expect(u?.payerCloudAccountId).toBe(cloudAccount.id);
  });
});
