import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDomainError, type MeteringRecord } from '../../src/index.js';
import { createTestCore, type FakeBuyer, FakeMarketplace, type TestCore } from '../../src/testing/index.js';
import { FC_SEED, NUM_RUNS, UNITS_CATALOG } from '../fixtures.js';
import { buyer, customer, deliver, HOUR, operator, platform, read } from '../support.js';

/*
 * The four metering invariants of DESIGN §4, over generated histories of usage (late, duplicated),
 * billing-method changes, lifecycle events, planning, and sending with lost responses, throttling,
 * outages and workers that die after claiming or after sending:
 *  (1) every unit of usage of a bound workspace is accepted by AWS exactly once, or explicitly reported as
 *      not billable with a reason;
 *  (2) AWS never sees two different quantities for one (account, dimension, hour);
 *  (3) nothing is billed to an account for hours after its cancellation;
 *  (4) every workspace bound to a cancelled account ends locked.
 */

type Acct = 'A' | 'B';
type Step =
  | { kind: 'advance'; minutes: number }
  | {
      kind: 'usage';
      ws: number;
      item: 'events' | 'hosts' | 'spans';
      hoursAgo: number;
      quantity: number;
      repeat: boolean;
    }
  | { kind: 'move'; ws: number; to: Acct | 'billing-center' }
  | {
      kind: 'lifecycle';
      acct: Acct;
      action: 'unsubscribe-pending' | 'unsubscribe-success' | 'subscribe-success';
      redeliver: boolean;
    }
  | { kind: 'plan' }
  | {
      kind: 'submit';
      fault: 'none' | 'lost-response' | 'throttle' | 'outage' | 'crash-after-claim' | 'crash-after-send';
    };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      minutes: fc.integer({ min: 1, max: 300 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('usage' as const),
      ws: fc.integer({ min: 0, max: 2 }),
      item: fc.constantFrom('events' as const, 'hosts' as const, 'spans' as const),
      hoursAgo: fc.integer({ min: 0, max: 4 }),
      quantity: fc.integer({ min: 0, max: 5000 }),
      repeat: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      ws: fc.integer({ min: 0, max: 2 }),
      to: fc.constantFrom('A' as const, 'B' as const, 'billing-center' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('lifecycle' as const),
      acct: fc.constantFrom('A' as const, 'B' as const),
      action: fc.constantFrom(
        'unsubscribe-pending' as const,
        'unsubscribe-success' as const,
        'subscribe-success' as const,
      ),
      redeliver: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'plan' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      fault: fc.constantFrom(
        'none' as const,
        'none' as const,
        'lost-response' as const,
        'throttle' as const,
        'outage' as const,
        'crash-after-claim' as const,
        'crash-after-send' as const,
      ),
    }),
  },
);

interface World {
  core: TestCore;
  ownerId: string;
  ws: string[];
  accts: Record<Acct, { id: string; buyer: FakeBuyer }>;
  /** cancellation intervals per account: [cancelled at, resubscribed at | null] */
  cancelled: Record<Acct, Array<[number, number | null]>>;
  keys: Array<{
    idempotencyKey: string;
    workspaceId: string;
    itemCode: string;
    hour: string;
    quantity: number;
  }>;
  lastMessage: Record<Acct, { id: string; action: string; at: Date } | null>;
}

async function setup(): Promise<World> {
  const core = createTestCore({ catalog: UNITS_CATALOG });
  core.marketplace.enforceSubscriptions = false; // the core alone must keep invariant (3)
  const owner = await core.useCases.registerAccount.execute({
    username: 'owner',
    email: 'owner@example.com',
    password: 'correct horse battery',
    company: 'O',
  });
  const by = customer(owner.id);
  const ws: string[] = [];
  for (const name of ['W1', 'W2', 'W3']) {
    ws.push(
      (
        await core.useCases.createWorkspace.execute({
          ownerAccountId: owner.id,
          name,
          language: 'en',
          siteId: 'us1',
          by,
        })
      ).id,
    );
  }
  const accts = {} as World['accts'];
  for (const [name, bind] of [
    ['A', [ws[0], ws[1]]],
    ['B', [ws[2]]],
  ] as const) {
    const b = buyer();
    const t = await core.useCases.openRegistrationTicket.execute({
      partition: 'aws',
      token: core.marketplace.issueToken(b),
    });
    const r = await core.useCases.completeRegistrationForAccount.execute({
      ticketId: t.id,
      by,
      bindWorkspaceIds: [...bind] as string[],
    });
    await deliver(core, b, 'subscribe-success', core.clock.now());
    accts[name] = { id: r.cloudAccount.id, buyer: b };
  }
  return {
    core,
    ownerId: owner.id,
    ws,
    accts,
    cancelled: { A: [], B: [] },
    keys: [],
    lastMessage: { A: null, B: null },
  };
}

async function submit(w: World, fault: Extract<Step, { kind: 'submit' }>['fault']) {
  const { core } = w;
  const m = core.marketplace;
  if (fault === 'lost-response') m.loseNextResponses = 1;
  if (fault === 'throttle') m.throttleNextRecords = 2;
  if (fault === 'outage') m.failNextCalls = 1;
  if (fault === 'crash-after-claim') {
    await core.useCases.submitMetering.claim('doomed', 10);
    return;
  }
  if (fault === 'crash-after-send') {
    const claimed = await core.useCases.submitMetering.claim('doomed', 10);
    if (claimed.length) await m.submit(claimed);
    return;
  }
  await core.useCases.submitMetering.execute({ workerId: 'w', limit: 10 });
  m.loseNextResponses = 0;
  m.throttleNextRecords = 0;
  m.failNextCalls = 0;
}

async function checkCascade(w: World, acct: Acct, settledBefore: string[]) {
  const { core } = w;
  const id = w.accts[acct].id;
  expect(await read(core, (tx) => tx.workspaces.listSettledBy(id))).toEqual([]);
  for (const wsId of settledBefore) {
    const ws = await read(core, (tx) => tx.workspaces.get(wsId));
    expect(ws?.isLocked).toBe(true); // invariant (4)
    expect(ws?.cloudAccountId).toBeNull();
  }
}

async function run(w: World, step: Step) {
  const { core } = w;
  const ignoreRuleErrors = (e: unknown) => {
    if (!isDomainError(e)) throw e;
  };
  switch (step.kind) {
    case 'advance':
      core.clock.advance(step.minutes * 60_000);
      return;
    case 'usage': {
      const now = core.clock.now().getTime();
      const prior = w.keys[w.keys.length - 1];
      const rec =
        step.repeat && prior
          ? prior
          : {
              idempotencyKey: `u${w.keys.length}`,
              workspaceId: w.ws[step.ws] as string,
              itemCode: step.item,
              hour: new Date(now - step.hoursAgo * HOUR).toISOString(),
              quantity: step.quantity,
            };
      const [res] = await core.useCases.recordUsage.execute({ records: [rec], by: platform });
      if (res?.result === 'accepted') w.keys.push(rec);
      return;
    }
    case 'move': {
      const wsId = w.ws[step.ws] as string;
      const method =
        step.to === 'billing-center'
          ? { kind: 'billing-center' as const }
          : { kind: 'cloud-account' as const, cloudAccountId: w.accts[step.to].id };
      const ws = await read(core, (tx) => tx.workspaces.get(wsId));
      const uc = ws?.isLocked ? core.useCases.unlockWorkspace : core.useCases.changeBillingMethod;
      await uc
        .execute({ workspaceId: wsId, method, by: operator, force: true } as never)
        .catch(ignoreRuleErrors);
      return;
    }
    case 'lifecycle': {
      const a = w.accts[step.acct];
      const last = w.lastMessage[step.acct];
      if (step.redeliver && last) {
        await deliver(core, a.buyer, last.action, last.at, last.id); // SNS retried: deduplicated
        return;
      }
      const at = core.clock.now();
      const settledBefore = (await read(core, (tx) => tx.workspaces.listSettledBy(a.id))).map((x) => x.id);
      const id = `m-${step.acct}-${at.getTime()}-${step.action}`;
      const r = await deliver(core, a.buyer, step.action, at, id);
      w.lastMessage[step.acct] = { id, action: step.action, at };
      const intervals = w.cancelled[step.acct];
      if (r.duplicate) return; // the same message again (same id and stamp): deduplicated by the inbox
      if (r.outcome?.endsWith('->cancelled')) {
        intervals.push([at.getTime(), null]);
        await checkCascade(w, step.acct, settledBefore);
      }
      // Back from a cancellation: to active, or (same stamp, later in the lifecycle) straight to unsubscribe-pending.
      if (r.outcome === 'cancelled->active' || r.outcome === 'cancelled->unsubscribe-pending') {
        const open = intervals[intervals.length - 1];
        if (open) open[1] = at.getTime();
      }
      return;
    }
    case 'plan':
      await core.useCases.planMetering.execute();
      return;
    case 'submit':
      await submit(w, step.fault);
      return;
  }
}

async function drain(w: World) {
  const { core } = w;
  for (let i = 0; i < 6; i++) {
    core.clock.advance(HOUR);
    await core.useCases.planMetering.execute();
    for (let j = 0; j < 50; j++) {
      const s = await core.useCases.submitMetering.execute({ workerId: 'drain', limit: 25 });
      if (s.claimed + s.expired === 0) break; // a round that only expired old records is not the end
    }
  }
}

async function checkInvariants(w: World) {
  const { core } = w;
  const records = [...core.db.tables.metering.rows.values()] as MeteringRecord[];
  const usage = [...core.db.tables.usage.rows.values()];
  const billed = (r: MeteringRecord | undefined) => r?.status === 'accepted' || r?.status === 'duplicate';
  const payers = core.db.tables.cloudAccounts.rows;
  const dimensionOf = (item: string) => UNITS_CATALOG.items.find((i) => i.code === item)?.dimension;
  // What became of each unit, derived as the product reports it: the payer's watermark and the one record
  // whose seal absorbed it (no usage row is written when it is metered).
  const recordOf = new Map<string, MeteringRecord>();
  const status = new Map<string, string>();
  for (const u of usage) {
    const absorbing = records.filter((r) => r.absorbed(u, dimensionOf(u.itemCode)));
    expect(absorbing.length).toBeLessThanOrEqual(1);
    if (absorbing[0]) recordOf.set(u.id, absorbing[0]);
    const reported = u.reportedStatus(
      u.payerCloudAccountId ? (payers.get(u.payerCloudAccountId) ?? null) : null,
    );
    status.set(u.id, reported);
    expect(reported === 'metered').toBe(absorbing.length === 1);
  }

  // (1) nothing pending; every unit metered into a settled record or not billable with a reason; exact sums.
  for (const u of usage) {
    if (u.payerCloudAccountId === null) continue;
    expect(status.get(u.id) === 'metered' || u.status === 'not-billable').toBe(true);
    if (u.status === 'not-billable') expect(u.reason).not.toBeNull();
    if (status.get(u.id) === 'metered') expect(recordOf.get(u.id)?.isTerminal).toBe(true);
  }
  for (const acct of Object.values(w.accts)) {
    const events = usage.filter(
      (u) =>
        u.itemCode === 'events' &&
        status.get(u.id) === 'metered' &&
        u.payerCloudAccountId === acct.id &&
        billed(recordOf.get(u.id)),
    );
    const billedEvents = records.filter(
      (r) => r.cloudAccountId === acct.id && r.dimension === 'events' && billed(r),
    );
    expect(billedEvents.reduce((s, r) => s + r.quantity, 0)).toBe(events.reduce((s, u) => s + u.quantity, 0));
    for (const r of billedEvents) {
      const mine = usage.filter((u) => recordOf.get(u.id) === r);
      for (const wsId of new Set(mine.map((u) => u.workspaceId))) {
        const q = mine.filter((u) => u.workspaceId === wsId).reduce((s, u) => s + u.quantity, 0);
        expect(r.allocations.find((a) => a.workspaceId === wsId)?.quantity ?? 0).toBe(q);
      }
      expect(r.allocations.reduce((s, a) => s + a.quantity, 0)).toBe(r.quantity);
    }
    // What AWS holds is exactly what we think is billed, except records whose answer was lost until their
    // deadline: those are reported as outcome-unknown (expired, with an alert), and AWS may hold them.
    const held = new Map(
      core.marketplace
        .accepted()
        .filter((x) => x.customer === FakeMarketplace.customerKey(acct.buyer))
        .map((x) => [`${x.dimension}|${x.hour}`, x.quantity]),
    );
    for (const r of records.filter((m) => m.cloudAccountId === acct.id)) {
      const key = `${r.dimension}|${r.hour.getTime()}`;
      if (billed(r)) expect(held.get(key)).toBe(r.quantity);
      else if (held.has(key)) expect([r.status, r.outcomeUnknown]).toEqual(['expired', true]);
      held.delete(key);
    }
    expect([...held.keys()]).toEqual([]);
    // Cost rating loses nothing: whole cents sealed + carried fraction = exact cost of metered spans.
    const book = core.db.tables.ratingBooks.rows.get(acct.id);
    const states = (book?.states ?? []).filter((s) => s.itemCode === 'spans');
    for (const st of states) {
      const spans = usage.filter(
        (u) =>
          u.itemCode === 'spans' &&
          status.get(u.id) === 'metered' &&
          u.payerCloudAccountId === acct.id &&
          u.workspaceId === st.workspaceId,
      );
      const exactNumerator = BigInt(spans.reduce((s, u) => s + u.quantity, 0)) * 37_000_000n; // 0.37 USD in micro-dollars × 100 cents
      const sealedCents = records
        .filter((r) => r.cloudAccountId === acct.id && r.dimension === 'cost')
        .reduce(
          (s, r) => s + BigInt(r.allocations.find((a) => a.workspaceId === st.workspaceId)?.quantity ?? 0),
          0n,
        );
      expect(sealedCents * BigInt(st.denominator) + BigInt(st.carry)).toBe(exactNumerator);
    }
  }
  // (2) AWS never saw two quantities for one (customer, dimension, hour).
  for (const [key, qs] of core.marketplace.seenQuantities) expect([key, qs.size]).toEqual([key, 1]);
  // (3) nothing billed for an hour wholly inside a cancellation.
  for (const [name, acct] of Object.entries(w.accts) as Array<[Acct, World['accts'][Acct]]>) {
    for (const [c, r] of w.cancelled[name]) {
      const violating = records.filter(
        (m) =>
          m.cloudAccountId === acct.id &&
          billed(m) &&
          m.hour.getTime() >= c &&
          (r === null || m.hour.getTime() + HOUR <= r),
      );
      expect(violating.map((m) => m.hour.toISOString())).toEqual([]);
    }
  }
  // (4) no workspace is settled by a cancelled account.
  for (const acct of Object.values(w.accts)) {
    const ca = await read(core, (tx) => tx.cloudAccounts.get(acct.id));
    if (ca?.state === 'cancelled')
      expect(await read(core, (tx) => tx.workspaces.listSettledBy(acct.id))).toEqual([]);
  }
}

describe('metering invariants under generated histories', () => {
  it('hold for usage, binding changes, lifecycle events, late and duplicate usage, lost results and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 45 }), async (steps) => {
        const w = await setup();
        for (const s of steps) await run(w, s);
        await drain(w);
        await checkInvariants(w);
      }),
      { numRuns: NUM_RUNS, seed: FC_SEED },
    );
  }, 600_000);
});
