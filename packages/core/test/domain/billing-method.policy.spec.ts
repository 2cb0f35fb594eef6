import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/audit/audit-entry.js';
import type { CloudAccount, SubscriptionState } from '../../src/domain/cloud-account/cloud-account.js';
import { type AwsPartition, DEFAULT_SITES, SiteCatalog } from '../../src/domain/site/site.js';
import type { BillingMethod, LockReason } from '../../src/domain/workspace/workspace.js';
import {
  assertBillingMethodChangeAllowed,
  assertCloudAccountEligible,
  type MethodChangeRequest,
} from '../../src/policies/billing-method.policy.js';
import { mother } from '../../src/testing/mothers.js';
import { DAY, expectDomainError, utc } from './helpers.js';

const sites = new SiteCatalog(DEFAULT_SITES);
const NOW = utc('2026-11-20T09:30:00Z');
const BC: BillingMethod = { kind: 'billing-center' };
const operator: Actor = { type: 'operator', operatorId: 'op-1' };

function setup(o: { siteId?: string; anyBillingMethod?: boolean } = {}) {
  const owner = mother.account({ anyBillingMethod: o.anyBillingMethod ?? false });
  const customer: Actor = { type: 'customer', accountId: owner.id };
  const ws = mother.workspace({ ownerAccountId: owner.id, siteId: o.siteId ?? 'us1' });
  const cloud = (
    state: SubscriptionState = 'active',
    partition: AwsPartition = 'aws',
    ownerAccountId = owner.id,
  ) => mother.cloudAccount({ ownerAccountId, state, partition });
  const viaCloud = (ca: CloudAccount): BillingMethod => ({ kind: 'cloud-account', cloudAccountId: ca.id });
  const request = (r: Partial<MethodChangeRequest> = {}): MethodChangeRequest => {
    const workspace = r.workspace ?? ws;
    return {
      mode: 'change',
      workspace,
      site: sites.get(workspace.siteId),
      owner,
      target: BC,
      targetCloudAccount: null,
      currentCloudAccount: null,
      now: NOW,
      billingTimeZone: 'UTC',
      by: customer,
      ...r,
    };
  };
  const check =
    (r: Partial<MethodChangeRequest> = {}) =>
    () =>
      assertBillingMethodChangeAllowed(request(r));
  /** Settle `ws` by `ca` (as if it had been moved there last month). */
  const settle = (ca: CloudAccount) => {
    ws.billingMethod = 'cloud-account';
    ws.cloudAccountId = ca.id;
  };
  const lock = (reason: LockReason, lockedAt = utc('2026-11-19T00:00:00Z'), graceMs = 14 * DAY) =>
    ws.applyLock(reason, lockedAt, graceMs, reason.startsWith('cloud') ? 'ca-x' : null);
  return { owner, customer, ws, cloud, viaCloud, request, check, settle, lock };
}

describe('change mode', () => {
  it('allows moving a billing-center workspace onto an active or pending cloud account of its partition', () => {
    const s = setup();
    for (const state of ['active', 'pending'] as const) {
      const ca = s.cloud(state);
      expect(s.check({ target: s.viaCloud(ca), targetCloudAccount: ca })).not.toThrow();
    }
  });

  it('refuses any change of a locked workspace: workspace-locked', () => {
    const s = setup();
    s.lock('arrears');
    const ca = s.cloud();
    const e = expectDomainError(
      s.check({ target: s.viaCloud(ca), targetCloudAccount: ca }),
      'workspace-locked',
      'rule-violation',
    );
    expect(e.details).toEqual({ workspaceId: s.ws.id, lockReason: 'arrears' });
    expectDomainError(s.check({ by: operator, force: true }), 'workspace-locked');
  });

  it('refuses the method already in use: billing-method-unchanged', () => {
    const s = setup();
    expectDomainError(s.check({ target: BC }), 'billing-method-unchanged', 'conflict');
    const ca = s.cloud();
    s.settle(ca);
    expectDomainError(
      s.check({ target: s.viaCloud(ca), targetCloudAccount: ca, currentCloudAccount: ca }),
      'billing-method-unchanged',
      'conflict',
    );
  });

  it('a locked workspace is reported as locked before anything else', () => {
    const s = setup();
    s.lock('operator');
    expectDomainError(s.check({ target: BC }), 'workspace-locked');
  });

  describe('once per calendar month', () => {
    it('refuses a second change in the same UTC month: billing-method-change-limit', () => {
      const s = setup();
      s.ws.lastBillingMethodChangeAt = utc('2026-11-01T00:00:00Z');
      const ca = s.cloud();
      const e = expectDomainError(
        s.check({ target: s.viaCloud(ca), targetCloudAccount: ca, now: utc('2026-11-30T23:59:59.999Z') }),
        'billing-method-change-limit',
        'rule-violation',
      );
      expect(e.details).toEqual({ workspaceId: s.ws.id, lastChangeAt: '2026-11-01T00:00:00.000Z' });
    });

    it('allows a change from the first instant of the next month', () => {
      const s = setup();
      s.ws.lastBillingMethodChangeAt = utc('2026-11-30T23:59:59.999Z');
      const ca = s.cloud();
      expect(
        s.check({ target: s.viaCloud(ca), targetCloudAccount: ca, now: utc('2026-12-01T00:00:00.000Z') }),
      ).not.toThrow();
    });

    it('allows the first change of a workspace that never changed', () => {
      const s = setup();
      expect(s.ws.lastBillingMethodChangeAt).toBeNull();
      const ca = s.cloud();
      expect(s.check({ target: s.viaCloud(ca), targetCloudAccount: ca })).not.toThrow();
    });

    it('counts months in the configured time zone (Asia/Shanghai)', () => {
      const s = setup();
      const ca = s.cloud();
      const target = { target: s.viaCloud(ca), targetCloudAccount: ca };
      // 2026-10-31T16:30Z is already 1 November in Shanghai
      s.ws.lastBillingMethodChangeAt = utc('2026-10-31T16:30:00Z');
      expectDomainError(
        s.check({ ...target, billingTimeZone: 'Asia/Shanghai' }),
        'billing-method-change-limit',
      );
      expect(s.check({ ...target, billingTimeZone: 'UTC' })).not.toThrow();
      // 23:00 on 31 October in Shanghai, and the next change an hour later on 1 November (Shanghai)
      s.ws.lastBillingMethodChangeAt = utc('2026-10-31T15:00:00Z');
      const now = utc('2026-10-31T16:00:00Z');
      expect(s.check({ ...target, now, billingTimeZone: 'Asia/Shanghai' })).not.toThrow();
      expectDomainError(s.check({ ...target, now, billingTimeZone: 'UTC' }), 'billing-method-change-limit');
    });

    it('the same month of another year is not the same month', () => {
      const s = setup();
      s.ws.lastBillingMethodChangeAt = utc('2025-11-20T00:00:00Z');
      const ca = s.cloud();
      expect(s.check({ target: s.viaCloud(ca), targetCloudAccount: ca })).not.toThrow();
    });

    it('does not limit unlocking', () => {
      const s = setup();
      s.ws.lastBillingMethodChangeAt = utc('2026-11-19T12:00:00Z');
      s.lock('cloud-subscription-cancelled');
      expect(s.check({ mode: 'unlock', target: BC })).not.toThrow();
    });
  });

  describe('while the cloud subscription is in force', () => {
    for (const state of ['active', 'unsubscribe-pending'] as const) {
      it(`a customer cannot move off a ${state} subscription: cloud-subscription-active`, () => {
        const s = setup();
        const ca = s.cloud(state);
        s.settle(ca);
        const e = expectDomainError(
          s.check({ currentCloudAccount: ca }),
          'cloud-subscription-active',
          'rule-violation',
        );
        expect(e.details).toEqual({ workspaceId: s.ws.id, cloudAccountId: ca.id });
        // a customer cannot force it
        expectDomainError(s.check({ currentCloudAccount: ca, force: true }), 'cloud-subscription-active');
      });
    }

    it('an operator can force it, but only explicitly', () => {
      const s = setup();
      const ca = s.cloud('active');
      s.settle(ca);
      expect(s.check({ currentCloudAccount: ca, by: operator, force: true })).not.toThrow();
      expectDomainError(s.check({ currentCloudAccount: ca, by: operator }), 'cloud-subscription-active');
      expectDomainError(
        s.check({ currentCloudAccount: ca, by: operator, force: false }),
        'cloud-subscription-active',
      );
      expectDomainError(
        s.check({ currentCloudAccount: ca, by: { type: 'system', process: 'x' }, force: true }),
        'cloud-subscription-active',
      );
    });

    it('moving between two cloud accounts is refused too while the current one is in force', () => {
      const s = setup();
      const current = s.cloud('active');
      const other = s.cloud('active');
      s.settle(current);
      expectDomainError(
        s.check({ currentCloudAccount: current, target: s.viaCloud(other), targetCloudAccount: other }),
        'cloud-subscription-active',
      );
    });

    for (const state of ['pending', 'cancelled', 'failed'] as const) {
      it(`a ${state} current subscription does not hold the workspace`, () => {
        const s = setup();
        const ca = s.cloud(state);
        s.settle(ca);
        expect(s.check({ currentCloudAccount: ca })).not.toThrow();
      });
    }
  });
});

describe('unlock mode', () => {
  it('refuses to unlock a workspace that is not locked: workspace-not-locked', () => {
    const s = setup();
    const e = expectDomainError(s.check({ mode: 'unlock' }), 'workspace-not-locked', 'conflict');
    expect(e.details).toEqual({ workspaceId: s.ws.id });
    expectDomainError(s.check({ mode: 'unlock', by: operator }), 'workspace-not-locked');
  });

  it('a customer may unlock a cancellation or failure lock with any method, even the same as before', () => {
    for (const reason of ['cloud-subscription-cancelled', 'cloud-subscription-failed'] as const) {
      const s = setup();
      s.lock(reason);
      expect(s.check({ mode: 'unlock', target: BC })).not.toThrow();
      const ca = s.cloud();
      expect(s.check({ mode: 'unlock', target: s.viaCloud(ca), targetCloudAccount: ca })).not.toThrow();
    }
  });

  it('unlocking is not held by an in-force current subscription', () => {
    const s = setup();
    const ca = s.cloud('active');
    s.settle(ca);
    s.lock('cloud-subscription-failed');
    expect(s.check({ mode: 'unlock', currentCloudAccount: ca })).not.toThrow();
  });

  it('an operator lock needs an operator: lock-requires-operator', () => {
    const s = setup();
    s.lock('operator');
    const e = expectDomainError(s.check({ mode: 'unlock' }), 'lock-requires-operator', 'forbidden');
    expect(e.details).toEqual({ workspaceId: s.ws.id });
    expect(s.check({ mode: 'unlock', by: operator })).not.toThrow();
  });

  it('after the grace period only an operator can unlock: lock-grace-expired', () => {
    const s = setup();
    s.lock('cloud-subscription-cancelled', utc('2026-11-01T00:00:00Z'), 14 * DAY);
    expect(s.ws.markFullyLocked(utc('2026-11-15T00:00:00Z'))).toBe(true);
    const e = expectDomainError(s.check({ mode: 'unlock' }), 'lock-grace-expired', 'rule-violation');
    expect(e.message).toContain('2026-11-15T00:00:00.000Z');
    expect(s.check({ mode: 'unlock', by: operator })).not.toThrow();
  });

  it('grace that has run out but was not yet marked fully locked still lets the customer unlock', () => {
    const s = setup();
    s.lock('cloud-subscription-cancelled', utc('2026-11-01T00:00:00Z'), 1 * DAY);
    expect(s.check({ mode: 'unlock' })).not.toThrow();
  });

  it('an operator lock is reported before an expired grace', () => {
    const s = setup();
    s.lock('operator', utc('2026-11-01T00:00:00Z'), 0);
    s.ws.markFullyLocked(utc('2026-11-01T00:00:00Z'));
    expectDomainError(s.check({ mode: 'unlock' }), 'lock-requires-operator');
  });

  it('an arrears lock cannot be lifted by going back to billing-center: arrears-unlock-requires-cloud-account', () => {
    const s = setup();
    s.lock('arrears');
    const e = expectDomainError(
      s.check({ mode: 'unlock', target: BC }),
      'arrears-unlock-requires-cloud-account',
      'rule-violation',
    );
    expect(e.details).toEqual({ workspaceId: s.ws.id });
    const ca = s.cloud();
    expect(s.check({ mode: 'unlock', target: s.viaCloud(ca), targetCloudAccount: ca })).not.toThrow();
    expect(s.check({ mode: 'unlock', target: BC, by: operator })).not.toThrow();
  });
});

describe('the target cloud account', () => {
  for (const mode of ['change', 'unlock'] as const) {
    const prepare = () => {
      const s = setup();
      if (mode === 'unlock') s.lock('cloud-subscription-cancelled');
      return s;
    };

    it(`${mode}: an unknown cloud account is not found`, () => {
      const s = prepare();
      const e = expectDomainError(
        s.check({
          mode,
          target: { kind: 'cloud-account', cloudAccountId: 'ca-missing' },
          targetCloudAccount: null,
        }),
        'cloud-account-not-found',
        'not-found',
      );
      expect(e.details).toEqual({ id: 'ca-missing' });
    });

    it(`${mode}: another owner's cloud account is not found (never revealed)`, () => {
      const s = prepare();
      const foreign = s.cloud('active', 'aws', 'acc-someone-else');
      const e = expectDomainError(
        s.check({ mode, target: s.viaCloud(foreign), targetCloudAccount: foreign }),
        'cloud-account-not-found',
        'not-found',
      );
      expect(e.details).toEqual({ id: foreign.id });
      // not even an operator can attach a workspace to another owner's cloud account
      expectDomainError(
        s.check({
          mode,
          target: s.viaCloud(foreign),
          targetCloudAccount: foreign,
          by: operator,
          force: true,
        }),
        'cloud-account-not-found',
      );
    });

    for (const state of ['unsubscribe-pending', 'cancelled', 'failed'] as const) {
      it(`${mode}: a ${state} cloud account cannot take workspaces: cloud-account-not-usable`, () => {
        const s = prepare();
        const ca = s.cloud(state);
        const e = expectDomainError(
          s.check({ mode, target: s.viaCloud(ca), targetCloudAccount: ca }),
          'cloud-account-not-usable',
          'rule-violation',
        );
        expect(e.details).toEqual({ cloudAccountId: ca.id, state });
      });
    }

    it(`${mode}: an aws-cn account cannot settle a us1 workspace: site-not-eligible-for-cloud-account`, () => {
      const s = prepare();
      const ca = s.cloud('active', 'aws-cn');
      const e = expectDomainError(
        s.check({ mode, target: s.viaCloud(ca), targetCloudAccount: ca }),
        'site-not-eligible-for-cloud-account',
        'rule-violation',
      );
      expect(e.details).toEqual({ workspaceId: s.ws.id, siteId: 'us1', partition: 'aws-cn' });
    });
  }

  it('ownership is checked before usability, and usability before the site', () => {
    const s = setup({ siteId: 'cn1' });
    const foreignCancelledCn = s.cloud('cancelled', 'aws-cn', 'acc-other');
    expectDomainError(
      s.check({ target: s.viaCloud(foreignCancelledCn), targetCloudAccount: foreignCancelledCn }),
      'cloud-account-not-found',
    );
    const cancelledCn = s.cloud('cancelled', 'aws-cn');
    expectDomainError(
      s.check({ target: s.viaCloud(cancelledCn), targetCloudAccount: cancelledCn }),
      'cloud-account-not-usable',
    );
  });
});

describe('assertCloudAccountEligible: sites and partitions', () => {
  const eligible: Record<string, AwsPartition | null> = {
    cn1: null,
    cn2: 'aws-cn',
    cn4: null,
    cn5: null,
    cn6: null,
    us1: 'aws',
    eu1: 'aws',
    ap1: 'aws',
    za1: null,
    id1: null,
  };

  for (const site of DEFAULT_SITES) {
    for (const partition of ['aws', 'aws-cn'] as const) {
      const ok = eligible[site.id] === partition;
      it(`${site.id} with an ${partition} account is ${ok ? 'eligible' : 'refused'}; anyBillingMethod lifts the rule`, () => {
        const s = setup({ siteId: site.id });
        const ca = s.cloud('active', partition);
        const run = () => assertCloudAccountEligible(s.ws, site, s.owner, ca);
        if (ok) expect(run).not.toThrow();
        else expectDomainError(run, 'site-not-eligible-for-cloud-account', 'rule-violation');
        s.owner.anyBillingMethod = true;
        expect(run).not.toThrow();
      });
    }
  }

  it('anyBillingMethod lifts only the site rule, not ownership or usability', () => {
    const s = setup({ siteId: 'cn1', anyBillingMethod: true });
    const site = sites.get('cn1');
    expectDomainError(
      () => assertCloudAccountEligible(s.ws, site, s.owner, s.cloud('active', 'aws', 'acc-other')),
      'cloud-account-not-found',
    );
    expectDomainError(
      () => assertCloudAccountEligible(s.ws, site, s.owner, s.cloud('failed')),
      'cloud-account-not-usable',
    );
  });

  it('through the change policy too: anyBillingMethod allows a cn1 workspace onto an aws account', () => {
    const s = setup({ siteId: 'cn1', anyBillingMethod: true });
    const ca = s.cloud('active', 'aws');
    expect(s.check({ target: s.viaCloud(ca), targetCloudAccount: ca })).not.toThrow();
    s.owner.anyBillingMethod = false;
    expectDomainError(
      s.check({ target: s.viaCloud(ca), targetCloudAccount: ca }),
      'site-not-eligible-for-cloud-account',
    );
  });
});

describe('dissolved workspaces', () => {
  it('cannot change or unlock: workspace-dissolved', () => {
    const s = setup();
    s.lock('cloud-subscription-cancelled');
    s.ws.dissolve(NOW);
    expectDomainError(s.check({ mode: 'unlock' }), 'workspace-dissolved', 'conflict');
    const t = setup();
    t.ws.dissolve(NOW);
    const ca = t.cloud();
    expectDomainError(
      t.check({ mode: 'change', target: t.viaCloud(ca), targetCloudAccount: ca }),
      'workspace-dissolved',
    );
  });
});
