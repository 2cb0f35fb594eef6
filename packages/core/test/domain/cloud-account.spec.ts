import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloudAccount,
  foldLifecycle,
  LIFECYCLE_ACTIONS,
  type LifecycleAction,
  type LifecycleFact,
  SUBSCRIPTION_STATES,
  type SubscriptionState,
} from '../../src/domain/cloud-account/cloud-account.js';
import type { CustomerRef } from '../../src/domain/cloud-account/customer-ref.js';
import { mother } from '../../src/testing/mothers.js';
import { expectDomainError, FC_NUM_RUNS, HOUR, utc } from './helpers.js';

const T0 = utc('2026-11-02T10:20:00Z');
const at = (h: number) => new Date(T0.getTime() + h * HOUR);
const LICENSE = 'arn:aws:license-manager::123456789012:license:l-0abc123def456';

const register = (o: Partial<Parameters<typeof CloudAccount.register>[0]> = {}) =>
  CloudAccount.register({
    id: 'ca-1',
    ownerAccountId: 'acc-1',
    partition: 'aws',
    productCode: 'prodglobal0001',
    customerAwsAccountId: '123456789012',
    licenseArn: LICENSE,
    offerId: 'offer-1',
    now: T0,
    ...o,
  });

const legacy = () =>
  register({
    customerIdentifier: 'CUST-LEGACY-1',
    customerAwsAccountId: null,
    licenseArn: null,
    offerId: null,
  });

/** Own enumerable fields, to prove that an ignored event changed nothing. */
const snapshot = (ca: CloudAccount) => JSON.parse(JSON.stringify(ca)) as Record<string, unknown>;

describe('CloudAccount.register', () => {
  it('registers a pending subscription metered from the registration hour', () => {
    const ca = register({ freeTrial: true });
    expect(ca).toMatchObject({
      id: 'ca-1',
      ownerAccountId: 'acc-1',
      provider: 'aws-marketplace',
      partition: 'aws',
      productCode: 'prodglobal0001',
      customerIdentifier: null,
      customerAwsAccountId: '123456789012',
      licenseArn: LICENSE,
      licenseId: 'l-0abc123def456',
      agreementId: null,
      offerId: 'offer-1',
      freeTrial: true,
      state: 'pending',
      lastEventAt: null,
      lastEventRank: null,
      cancelledAt: null,
      meteredThrough: null,
      finalFlushRequestedAt: null,
      entitlements: [],
      entitlementsCheckedAt: null,
      version: 1,
    });
    expect(ca.stateChangedAt).toBe(T0);
    expect(ca.createdAt).toBe(T0);
    expect(ca.meteringFrom.toISOString()).toBe('2026-11-02T10:00:00.000Z');
  });

  it('accepts a legacy buyer identified by customer identifier only', () => {
    const ca = legacy();
    expect(ca.customerIdentifier).toBe('CUST-LEGACY-1');
    expect(ca.customerAwsAccountId).toBeNull();
    expect(ca.licenseArn).toBeNull();
    expect(ca.licenseId).toBeNull();
    expect(ca.offerId).toBeNull();
    expect(ca.freeTrial).toBe(false);
  });

  it('requires a product code', () => {
    expectDomainError(() => register({ productCode: '' }), 'invalid-cloud-account', 'validation');
  });

  it('requires a customer identifier, or a license ARN together with the AWS account id', () => {
    expectDomainError(
      () => register({ customerIdentifier: null, licenseArn: null, customerAwsAccountId: '123456789012' }),
      'invalid-cloud-account',
    );
    expectDomainError(
      () => register({ customerIdentifier: null, licenseArn: LICENSE, customerAwsAccountId: null }),
      'invalid-cloud-account',
    );
    expectDomainError(
      () => register({ customerIdentifier: '', licenseArn: '', customerAwsAccountId: '' }),
      'invalid-cloud-account',
    );
  });

  it('requires a 12-digit AWS account id when one is given', () => {
    for (const id of ['12345678901', '1234567890123', '12345678901a', ' 123456789012']) {
      expectDomainError(() => register({ customerAwsAccountId: id }), 'invalid-cloud-account', 'validation');
    }
    expectDomainError(
      () => register({ customerIdentifier: 'C1', licenseArn: null, customerAwsAccountId: '42' }),
      'invalid-cloud-account',
    );
  });
});

describe('CloudAccount state flags', () => {
  const flags: Record<SubscriptionState, [meterable: boolean, acceptsNew: boolean, inForce: boolean]> = {
    pending: [false, true, false],
    active: [true, true, true],
    'unsubscribe-pending': [true, false, true],
    cancelled: [false, false, false],
    failed: [false, false, false],
  };
  for (const state of SUBSCRIPTION_STATES) {
    it(`${state}: isMeterable/acceptsNewWorkspaces/subscriptionInForce = ${flags[state].join('/')}`, () => {
      const ca = register();
      ca.state = state;
      expect([ca.isMeterable, ca.acceptsNewWorkspaces, ca.subscriptionInForce]).toEqual(flags[state]);
    });
  }
});

describe('CloudAccount.nextHourToMeter', () => {
  it('starts at meteringFrom before any hour is sealed', () => {
    expect(register().nextHourToMeter.toISOString()).toBe('2026-11-02T10:00:00.000Z');
  });

  it('is the hour after the last sealed hour', () => {
    const ca = register();
    ca.meteredThrough = utc('2026-11-02T13:00:00Z');
    expect(ca.nextHourToMeter.toISOString()).toBe('2026-11-02T14:00:00.000Z');
  });

  it('never goes before meteringFrom (hours skipped by a resubscription)', () => {
    const ca = register();
    ca.meteredThrough = utc('2026-11-02T13:00:00Z');
    ca.meteringFrom = utc('2026-11-03T08:00:00Z');
    expect(ca.nextHourToMeter.toISOString()).toBe('2026-11-03T08:00:00.000Z');
  });
});

describe('foldLifecycle: replaying the history in AWS order', () => {
  let seq = 0;
  const fact = (action: LifecycleAction, h: number, messageId = `m-${++seq}`): LifecycleFact => ({
    action,
    occurredAt: at(h),
    messageId,
  });
  const fold = (...facts: LifecycleFact[]) => foldLifecycle(facts);

  it('an empty history is pending', () => {
    expect(foldLifecycle([])).toEqual({ state: 'pending', cancelledAt: null, resumedAt: null, last: null });
  });

  describe('the state machine: pending → active ⇄ unsubscribe-pending → cancelled; failed', () => {
    const reach: Record<SubscriptionState, LifecycleAction[]> = {
      pending: [],
      active: ['subscribe-success'],
      'unsubscribe-pending': ['subscribe-success', 'unsubscribe-pending'],
      cancelled: ['unsubscribe-success'],
      failed: ['subscribe-fail'],
    };
    const expected: Record<SubscriptionState, Record<LifecycleAction, SubscriptionState>> = {
      pending: {
        'subscribe-success': 'active',
        'subscribe-fail': 'failed',
        'unsubscribe-pending': 'pending',
        'unsubscribe-success': 'cancelled',
      },
      active: {
        'subscribe-success': 'active',
        'subscribe-fail': 'active',
        'unsubscribe-pending': 'unsubscribe-pending',
        'unsubscribe-success': 'cancelled',
      },
      'unsubscribe-pending': {
        'subscribe-success': 'active',
        'subscribe-fail': 'unsubscribe-pending',
        'unsubscribe-pending': 'unsubscribe-pending',
        'unsubscribe-success': 'cancelled',
      },
      cancelled: {
        'subscribe-success': 'active',
        'subscribe-fail': 'cancelled',
        'unsubscribe-pending': 'cancelled',
        'unsubscribe-success': 'cancelled',
      },
      failed: {
        'subscribe-success': 'active',
        'subscribe-fail': 'failed',
        'unsubscribe-pending': 'failed',
        'unsubscribe-success': 'cancelled',
      },
    };
    for (const from of SUBSCRIPTION_STATES) {
      for (const action of LIFECYCLE_ACTIONS) {
        it(`${from} + ${action} → ${expected[from][action]}`, () => {
          const prefix = reach[from].map((a, i) => fact(a, i));
          expect(foldLifecycle(prefix).state).toBe(from);
          expect(foldLifecycle([...prefix, fact(action, 10)]).state).toBe(expected[from][action]);
        });
      }
    }
  });

  it('replays in the order AWS stamped the messages, not the order they arrived', () => {
    const r = fold(
      fact('unsubscribe-success', 3),
      fact('subscribe-success', 1),
      fact('unsubscribe-pending', 2),
    );
    expect(r.state).toBe('cancelled');
    expect(r.cancelledAt).toEqual(at(3));
    expect(r.last?.action).toBe('unsubscribe-success');
  });

  it('a stale subscribe-success never reactivates a subscription that a later message ended', () => {
    expect(fold(fact('unsubscribe-success', 3), fact('subscribe-success', 1)).state).toBe('cancelled');
  });

  it('an unsubscribe-pending stamped after the cancellation does not reopen it', () => {
    expect(
      fold(fact('subscribe-success', 0), fact('unsubscribe-success', 1), fact('unsubscribe-pending', 2))
        .state,
    ).toBe('cancelled');
  });

  it('a resubscription after cancellation or failure is active again', () => {
    expect(fold(fact('unsubscribe-success', 1), fact('subscribe-success', 2)).state).toBe('active');
    expect(fold(fact('subscribe-fail', 1), fact('subscribe-success', 2)).state).toBe('active');
  });

  describe('ties on the same timestamp replay subscribe-fail < subscribe-success < unsubscribe-pending < unsubscribe-success', () => {
    const cases: Array<[LifecycleAction[], SubscriptionState]> = [
      [['unsubscribe-success', 'subscribe-success'], 'cancelled'],
      [['subscribe-success', 'subscribe-fail'], 'active'],
      [['subscribe-success', 'unsubscribe-pending'], 'unsubscribe-pending'],
      [['unsubscribe-pending', 'unsubscribe-success', 'subscribe-success'], 'cancelled'],
      [['subscribe-success', 'subscribe-fail', 'unsubscribe-pending'], 'unsubscribe-pending'],
      [['unsubscribe-pending'], 'pending'],
    ];
    for (const [actions, state] of cases) {
      it(`${actions.join(' + ')} at one instant → ${state}, in every arrival order`, () => {
        const facts = actions.map((a) => fact(a, 1));
        for (const order of [facts, [...facts].reverse()]) expect(foldLifecycle(order).state).toBe(state);
      });
    }

    it('the highest-ranked message of the instant is the last one', () => {
      const r = fold(fact('unsubscribe-success', 1), fact('subscribe-fail', 1), fact('subscribe-success', 1));
      expect(r.last?.action).toBe('unsubscribe-success');
    });

    it('equal time and action fall back to the message id', () => {
      const a = fact('subscribe-success', 1, 'm-b');
      const b = fact('subscribe-success', 1, 'm-a');
      expect(foldLifecycle([a, b]).last).toBe(a);
      expect(foldLifecycle([b, a]).last).toBe(a);
    });
  });

  it('ignores redeliveries of a message id', () => {
    const first = fact('subscribe-success', 1, 'm-dup');
    const redelivered = { ...first };
    const r = fold(first, fact('unsubscribe-success', 2, 'm-x'), redelivered);
    expect(r.state).toBe('cancelled');
    expect(fold(first, redelivered).last).toBe(first);
  });

  describe('cancelledAt', () => {
    it('is the time the final cancellation took effect', () => {
      expect(fold(fact('subscribe-success', 0), fact('unsubscribe-success', 2)).cancelledAt).toEqual(at(2));
    });

    it('a repeated unsubscribe-success (e.g. SNS and EventBridge) keeps the first, in every order', () => {
      const a = fact('unsubscribe-success', 1);
      const b = fact('unsubscribe-success', 2);
      expect(foldLifecycle([a, b]).cancelledAt).toEqual(at(1));
      expect(foldLifecycle([b, a]).cancelledAt).toEqual(at(1));
    });

    it('messages that cannot leave cancelled keep it', () => {
      const r = fold(
        fact('unsubscribe-success', 1),
        fact('subscribe-fail', 2),
        fact('unsubscribe-pending', 3),
      );
      expect(r).toMatchObject({ state: 'cancelled', cancelledAt: at(1) });
    });

    it('a resubscription clears it, a new cancellation sets it again', () => {
      expect(fold(fact('unsubscribe-success', 1), fact('subscribe-success', 2)).cancelledAt).toBeNull();
      expect(
        fold(fact('unsubscribe-success', 1), fact('subscribe-success', 2), fact('unsubscribe-success', 3))
          .cancelledAt,
      ).toEqual(at(3));
    });

    it('a failed subscription that is cancelled records the cancellation', () => {
      expect(fold(fact('subscribe-fail', 0), fact('unsubscribe-success', 1))).toMatchObject({
        state: 'cancelled',
        cancelledAt: at(1),
      });
    });

    it('is null whenever the state is not cancelled', () => {
      for (const r of [
        fold(fact('subscribe-success', 0)),
        fold(fact('subscribe-fail', 0)),
        fold(fact('subscribe-success', 0), fact('unsubscribe-pending', 1)),
      ]) {
        expect(r.cancelledAt).toBeNull();
      }
    });
  });
});

describe('CloudAccount.applyLifecycle', () => {
  let seq = 0;
  const fact = (action: LifecycleAction, h: number, messageId = `m-${++seq}`): LifecycleFact => ({
    action,
    occurredAt: at(h),
    messageId,
  });

  it('subscribe-success activates a pending subscription', () => {
    const ca = register();
    const now = at(1);
    expect(ca.applyLifecycle([fact('subscribe-success', 0.5)], now)).toEqual({
      applied: true,
      from: 'pending',
      to: 'active',
    });
    expect(ca.state).toBe('active');
    expect(ca.stateChangedAt).toBe(now);
    expect(ca.lastEventAt).toEqual(at(0.5));
    expect(ca.lastEventRank).toBe(1);
    expect(ca.cancelledAt).toBeNull();
    expect(ca.meteringFrom.toISOString()).toBe('2026-11-02T10:00:00.000Z');
  });

  it('records the newest message of the history and its rank', () => {
    for (const [action, rank] of [
      ['subscribe-fail', 0],
      ['subscribe-success', 1],
      ['unsubscribe-pending', 2],
      ['unsubscribe-success', 3],
    ] as const) {
      const ca = register();
      ca.applyLifecycle([fact('subscribe-success', 0), fact(action, 1)], at(1));
      expect(ca.lastEventAt).toEqual(at(1));
      expect(ca.lastEventRank).toBe(rank);
    }
  });

  it('a newer message that leaves the state as it is: no-change', () => {
    const ca = register();
    const s1 = fact('subscribe-success', 1);
    ca.applyLifecycle([s1], at(1));
    const changedAt = ca.stateChangedAt;
    expect(ca.applyLifecycle([s1, fact('subscribe-success', 5)], at(6))).toEqual({
      applied: false,
      reason: 'no-change',
    });
    expect(ca.lastEventAt).toEqual(at(5));
    expect(ca.stateChangedAt).toBe(changedAt);
  });

  it('an older message that changes nothing: stale, and nothing moves', () => {
    const ca = register();
    const history = [fact('subscribe-success', 1), fact('unsubscribe-success', 3)];
    ca.applyLifecycle(history, at(3));
    const before = snapshot(ca);
    expect(ca.applyLifecycle([...history, fact('subscribe-success', 2)], at(9))).toEqual({
      applied: false,
      reason: 'stale',
    });
    expect(snapshot(ca)).toEqual(before);
    expect(ca.state).toBe('cancelled');
  });

  it('a redelivered message is stale', () => {
    const ca = register();
    const s1 = fact('subscribe-success', 1, 'm-same');
    ca.applyLifecycle([s1], at(1));
    const before = snapshot(ca);
    expect(ca.applyLifecycle([s1, { ...s1 }], at(5))).toEqual({ applied: false, reason: 'stale' });
    expect(snapshot(ca)).toEqual(before);
  });

  it('an older message that arrives late can still change the replayed state', () => {
    const ca = register();
    const upend = fact('unsubscribe-pending', 2);
    // unsubscribe-pending on a pending subscription changes nothing…
    expect(ca.applyLifecycle([upend], at(2))).toEqual({ applied: false, reason: 'no-change' });
    expect(ca.state).toBe('pending');
    // …until the subscribe-success stamped before it arrives
    expect(ca.applyLifecycle([upend, fact('subscribe-success', 1)], at(3))).toEqual({
      applied: true,
      from: 'pending',
      to: 'unsubscribe-pending',
    });
    expect(ca.finalFlushRequestedAt).toEqual(at(3));
    expect(ca.lastEventAt).toEqual(at(2));
  });

  it('cancellation records when it happened (the message time, not the processing time)', () => {
    const ca = register();
    const outcome = ca.applyLifecycle([fact('subscribe-success', 1), fact('unsubscribe-success', 2)], at(7));
    expect(outcome).toEqual({ applied: true, from: 'pending', to: 'cancelled' });
    expect(ca.cancelledAt).toEqual(at(2));
    expect(ca.stateChangedAt).toEqual(at(7));
  });

  it('unsubscribe-pending requests the final flush at processing time', () => {
    const ca = register();
    const s = fact('subscribe-success', 1);
    ca.applyLifecycle([s], at(1));
    expect(ca.applyLifecycle([s, fact('unsubscribe-pending', 2)], at(2.5))).toEqual({
      applied: true,
      from: 'active',
      to: 'unsubscribe-pending',
    });
    expect(ca.finalFlushRequestedAt).toEqual(at(2.5));
    expect(ca.cancelledAt).toBeNull();
  });

  it('returning to active from unsubscribe-pending withdraws the final-flush request', () => {
    const ca = register();
    const h = [fact('subscribe-success', 0), fact('unsubscribe-pending', 1)];
    ca.applyLifecycle(h, at(1));
    ca.applyLifecycle([...h, fact('subscribe-success', 2)], at(2));
    expect(ca.state).toBe('active');
    expect(ca.finalFlushRequestedAt).toBeNull();
    expect(ca.meteringFrom.toISOString()).toBe('2026-11-02T10:00:00.000Z');
  });

  it('a resubscription after cancellation meters from the hour of resubscription and clears cancelledAt', () => {
    const ca = register();
    const h = [fact('subscribe-success', 0), fact('unsubscribe-success', 2)];
    ca.applyLifecycle(h, at(2));
    expect(ca.cancelledAt).toEqual(at(2));
    const now = utc('2026-11-03T15:42:10Z');
    const resub: LifecycleFact = {
      action: 'subscribe-success',
      occurredAt: utc('2026-11-03T15:40:00Z'),
      messageId: 'm-r',
    };
    expect(ca.applyLifecycle([...h, resub], now)).toEqual({ applied: true, from: 'cancelled', to: 'active' });
    expect(ca.cancelledAt).toBeNull();
    expect(ca.meteringFrom.toISOString()).toBe('2026-11-03T15:00:00.000Z');
  });

  it('a resubscription after failure also meters from the hour of resubscription', () => {
    const ca = register();
    const h = [fact('subscribe-fail', 0)];
    ca.applyLifecycle(h, at(0));
    ca.applyLifecycle([...h, fact('subscribe-success', 5)], at(5));
    expect(ca.state).toBe('active');
    expect(ca.meteringFrom.toISOString()).toBe('2026-11-02T15:00:00.000Z');
  });

  it('meteringFrom never starts before the registration hour', () => {
    const ca = register();
    const registered = ca.meteringFrom.toISOString();
    ca.applyLifecycle(
      [{ action: 'subscribe-success', occurredAt: utc('2020-01-01T00:00:00Z'), messageId: 'old' }],
      at(1),
    );
    expect(ca.meteringFrom.toISOString()).toBe(registered);
  });

  it('a first message is applied whatever its time', () => {
    const ca = register();
    const old: LifecycleFact = {
      action: 'subscribe-success',
      occurredAt: utc('2020-01-01T00:00:00Z'),
      messageId: 'm-o',
    };
    expect(ca.applyLifecycle([old], T0).applied).toBe(true);
  });

  // BUG (cloud-account meteringFrom depends on delivery order): the resubscription rule moves meteringFrom only
  // when the stored state goes cancelled/failed → active. If the resubscription is delivered before the
  // cancellation it follows, the stored state never leaves `active`, so the hours between the cancellation
  // and the resubscription stay billable; delivered in AWS order, they are skipped. The same messages thus
  // lead to different billing windows. Fix: derive it from the fold, e.g. have foldLifecycle return the
  // occurredAt of the subscribe-success that ended the last cancelled/failed run (`resubscribedAt`) and set
  // meteringFrom = max(meteringFrom, hourStart(resubscribedAt)) (or keep the ended intervals and let the
  // planner skip hours inside them), instead of comparing the stored `from` with the new state and using `now`.
  it('BUG: a cancellation delivered after the resubscription that followed it gives the same meteringFrom', () => {
    const sub: LifecycleFact = { action: 'subscribe-success', occurredAt: at(0), messageId: 'm-sub' };
    const cancel: LifecycleFact = { action: 'unsubscribe-success', occurredAt: at(2), messageId: 'm-cancel' };
    const resub: LifecycleFact = { action: 'subscribe-success', occurredAt: at(3), messageId: 'm-resub' };
    const now = at(3.5); // both late messages are processed at 13:50, in one order or the other
    const inOrder = register();
    inOrder.applyLifecycle([sub], at(0));
    inOrder.applyLifecycle([sub, cancel], now);
    inOrder.applyLifecycle([sub, cancel, resub], now);
    const reversed = register();
    reversed.applyLifecycle([sub], at(0));
    reversed.applyLifecycle([sub, resub], now);
    reversed.applyLifecycle([sub, resub, cancel], now);
    expect(inOrder.state).toBe('active');
    expect(reversed.state).toBe('active');
    expect(reversed.meteringFrom.toISOString()).toBe(inOrder.meteringFrom.toISOString());
  });
});

describe('CloudAccount.applyLifecycle is independent of delivery order', () => {
  const ACTIONS = [...LIFECYCLE_ACTIONS];
  /** Distinct messages (few distinct times, so ties are common), plus redeliveries of some of them. */
  const deliveries = fc
    .array(fc.record({ action: fc.constantFrom(...ACTIONS), h: fc.integer({ min: 0, max: 4 }) }), {
      maxLength: 10,
    })
    .chain((events) => {
      const facts: LifecycleFact[] = events.map((e, i) => ({
        action: e.action,
        occurredAt: at(e.h),
        messageId: `m-${i}`,
      }));
      const redeliveries = facts.length
        ? fc
            .array(fc.integer({ min: 0, max: facts.length - 1 }), { maxLength: 4 })
            .map((ix) => ix.map((i) => ({ ...facts[i]! })))
        : fc.constant([] as LifecycleFact[]);
      return redeliveries.chain((again) => {
        const all = [...facts, ...again];
        const perm = fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
        return fc.tuple(fc.constant(facts), perm, perm);
      });
    });
  /** Deliver one message at a time, each time with the history received so far, as the use case does. */
  const deliver = (order: readonly LifecycleFact[]) => {
    const ca = register();
    const history: LifecycleFact[] = [];
    for (const f of order) {
      history.push(f);
      ca.applyLifecycle([...history], at(10));
    }
    return ca;
  };

  it('any two delivery orders, with redeliveries, end in the same state and cancelledAt as the fold', () => {
    fc.assert(
      fc.property(deliveries, ([facts, p1, p2]) => {
        const a = deliver(p1);
        const b = deliver(p2);
        const expected = foldLifecycle(facts);
        expect(a.state).toBe(b.state);
        expect(a.state).toBe(expected.state);
        expect(a.cancelledAt).toEqual(b.cancelledAt);
        expect(a.cancelledAt).toEqual(expected.cancelledAt);
        expect(a.lastEventAt).toEqual(b.lastEventAt);
        expect(a.lastEventRank).toBe(b.lastEventRank);
      }),
      { numRuns: FC_NUM_RUNS },
    );
  });

  it('the state is cancelled exactly when cancelledAt is set', () => {
    fc.assert(
      fc.property(deliveries, ([, p1]) => {
        const ca = deliver(p1);
        expect(ca.cancelledAt !== null).toBe(ca.state === 'cancelled');
      }),
      { numRuns: Math.max(1, Math.floor(FC_NUM_RUNS / 4)) },
    );
  });
});

describe('CloudAccount.matches', () => {
  const ref = (o: Partial<CustomerRef> = {}): CustomerRef => ({ partition: 'aws', ...o });

  it('matches a full license ARN', () => {
    expect(register().matches(ref({ licenseArn: LICENSE }))).toBe(true);
  });

  it('matches a license ARN without the "arn:" prefix (EventBridge form) and a bare l-… id', () => {
    const ca = register();
    expect(ca.matches(ref({ licenseArn: 'aws:license-manager::123456789012:license:l-0abc123def456' }))).toBe(
      true,
    );
    expect(ca.matches(ref({ licenseArn: 'license-manager::123456789012:license/l-0abc123def456' }))).toBe(
      true,
    );
    expect(ca.matches(ref({ licenseArn: 'l-0abc123def456' }))).toBe(true);
    expect(ca.matches(ref({ licenseArn: '  l-0abc123def456  ' }))).toBe(true);
  });

  it('does not match another license, or one that only shares a prefix', () => {
    const ca = register();
    expect(
      ca.matches(ref({ licenseArn: 'arn:aws:license-manager::123456789012:license:l-0abc123def45' })),
    ).toBe(false);
    expect(
      ca.matches(ref({ licenseArn: 'arn:aws:license-manager::123456789012:license:l-0abc123def4567' })),
    ).toBe(false);
    expect(ca.matches(ref({ licenseArn: 'not-a-license' }))).toBe(false);
  });

  it('never matches across partitions, whatever the identity', () => {
    const ca = register();
    expect(ca.matches({ partition: 'aws-cn', licenseArn: LICENSE })).toBe(false);
    expect(
      ca.matches({
        partition: 'aws-cn',
        customerAwsAccountId: '123456789012',
        productCode: 'prodglobal0001',
      }),
    ).toBe(false);
    expect(legacy().matches({ partition: 'aws-cn', customerIdentifier: 'CUST-LEGACY-1' })).toBe(false);
  });

  it('matches a legacy customer identifier, with or without the same product code', () => {
    const ca = legacy();
    expect(ca.matches(ref({ customerIdentifier: 'CUST-LEGACY-1' }))).toBe(true);
    expect(ca.matches(ref({ customerIdentifier: 'CUST-LEGACY-1', productCode: 'prodglobal0001' }))).toBe(
      true,
    );
    expect(ca.matches(ref({ customerIdentifier: 'CUST-LEGACY-1', productCode: 'otherproduct' }))).toBe(false);
    expect(ca.matches(ref({ customerIdentifier: 'CUST-LEGACY-2' }))).toBe(false);
  });

  it('a customer identifier for another product is final: no fallback to the AWS account id', () => {
    const ca = register({ customerIdentifier: 'CUST-1' });
    expect(
      ca.matches(
        ref({
          customerIdentifier: 'CUST-1',
          productCode: 'otherproduct',
          customerAwsAccountId: '123456789012',
        }),
      ),
    ).toBe(false);
  });

  it('matches a learned agreement id', () => {
    const ca = register();
    expect(ca.matches(ref({ agreementId: 'agmt-1' }))).toBe(false);
    ca.learnIdentity(ref({ agreementId: 'agmt-1' }));
    expect(ca.matches(ref({ agreementId: 'agmt-1' }))).toBe(true);
    expect(ca.matches(ref({ agreementId: 'agmt-2' }))).toBe(false);
  });

  it('matches the AWS account id only together with the product code or, failing that, the offer id', () => {
    const ca = register();
    expect(ca.matches(ref({ customerAwsAccountId: '123456789012' }))).toBe(false);
    expect(ca.matches(ref({ customerAwsAccountId: '123456789012', productCode: 'prodglobal0001' }))).toBe(
      true,
    );
    expect(ca.matches(ref({ customerAwsAccountId: '123456789012', productCode: 'otherproduct' }))).toBe(
      false,
    );
    expect(ca.matches(ref({ customerAwsAccountId: '123456789012', offerId: 'offer-1' }))).toBe(true);
    expect(ca.matches(ref({ customerAwsAccountId: '123456789012', offerId: 'offer-2' }))).toBe(false);
    // the product code is decisive when both are present
    expect(
      ca.matches(
        ref({ customerAwsAccountId: '123456789012', productCode: 'otherproduct', offerId: 'offer-1' }),
      ),
    ).toBe(false);
    expect(ca.matches(ref({ customerAwsAccountId: '999999999999', productCode: 'prodglobal0001' }))).toBe(
      false,
    );
  });

  it('an empty reference matches nothing', () => {
    expect(register().matches(ref())).toBe(false);
    expect(legacy().matches(ref())).toBe(false);
  });
});

describe('CloudAccount.learnIdentity', () => {
  it('learns a license ARN (and its id), agreement and AWS account id that a legacy account lacked', () => {
    const ca = legacy();
    ca.learnIdentity({
      partition: 'aws',
      agreementId: 'agmt-9',
      licenseArn: 'aws:license-manager::210987654321:license:l-fff000',
      customerAwsAccountId: '210987654321',
    });
    expect(ca.agreementId).toBe('agmt-9');
    expect(ca.licenseArn).toBe('aws:license-manager::210987654321:license:l-fff000');
    expect(ca.licenseId).toBe('l-fff000');
    expect(ca.customerAwsAccountId).toBe('210987654321');
    expect(
      ca.matches({ partition: 'aws', licenseArn: 'arn:aws:license-manager::210987654321:license:l-fff000' }),
    ).toBe(true);
  });

  it('never overwrites an identity it already has', () => {
    const ca = register();
    ca.learnIdentity({ partition: 'aws', agreementId: 'agmt-1' });
    ca.learnIdentity({
      partition: 'aws',
      agreementId: 'agmt-2',
      licenseArn: 'arn:aws:license-manager::999999999999:license:l-other',
      customerAwsAccountId: '999999999999',
    });
    expect(ca.agreementId).toBe('agmt-1');
    expect(ca.licenseArn).toBe(LICENSE);
    expect(ca.licenseId).toBe('l-0abc123def456');
    expect(ca.customerAwsAccountId).toBe('123456789012');
  });

  it('ignores empty values', () => {
    const ca = legacy();
    ca.learnIdentity({
      partition: 'aws',
      agreementId: '',
      licenseArn: null,
      customerAwsAccountId: undefined,
    });
    expect([ca.agreementId, ca.licenseArn, ca.licenseId, ca.customerAwsAccountId]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('CloudAccount.setEntitlements', () => {
  it('replaces the entitlements and records when they were read', () => {
    const ca = register();
    const now = at(3);
    ca.setEntitlements([{ dimension: 'usage_cost', value: null, expiresAt: null }], now);
    expect(ca.entitlements).toEqual([{ dimension: 'usage_cost', value: null, expiresAt: null }]);
    expect(ca.entitlementsCheckedAt).toBe(now);
    ca.setEntitlements([], at(4));
    expect(ca.entitlements).toEqual([]);
  });
});

describe('cloud account mother', () => {
  it('builds a pending aws account with a matching license', () => {
    const ca = mother.cloudAccount({ ownerAccountId: 'acc-m' });
    expect(ca.state).toBe('pending');
    expect(ca.partition).toBe('aws');
    expect(ca.licenseId).toMatch(/^l-lic\d{8}$/);
    expect(ca.matches({ partition: 'aws', licenseArn: ca.licenseArn })).toBe(true);
  });
});
