import { describe, expect, it } from 'vitest';
import {
  type BillingMethod,
  describeMethod,
  LOCK_REASONS,
  sameMethod,
  WORKSPACE_LANGUAGES,
  Workspace,
} from '../../src/domain/workspace/workspace.js';
import { mother } from '../../src/testing/mothers.js';
import { DAY, expectDomainError, HOUR, utc } from './helpers.js';

const NOW = utc('2026-11-02T10:17:23.456Z');
const BC: BillingMethod = { kind: 'billing-center' };
const CA1: BillingMethod = { kind: 'cloud-account', cloudAccountId: 'ca-1' };
const CA2: BillingMethod = { kind: 'cloud-account', cloudAccountId: 'ca-2' };

const create = (o: Partial<Parameters<typeof Workspace.create>[0]> = {}) =>
  Workspace.create({
    id: 'ws-1',
    name: 'Production',
    language: 'en',
    siteId: 'us1',
    ownerAccountId: 'acc-1',
    method: BC,
    now: NOW,
    ...o,
  });

const lockedWorkspace = (graceMs = 14 * DAY) => {
  const ws = create();
  ws.applyLock('cloud-subscription-cancelled', NOW, graceMs, 'ca-1');
  return ws;
};

describe('Workspace.create', () => {
  it('creates an unlocked workspace whose first method covers its creation hour', () => {
    const ws = create({ method: CA1 });
    expect(ws).toMatchObject({
      id: 'ws-1',
      name: 'Production',
      language: 'en',
      siteId: 'us1',
      ownerAccountId: 'acc-1',
      billingMethod: 'cloud-account',
      cloudAccountId: 'ca-1',
      lastBillingMethodChangeAt: null,
      lockReason: null,
      lockedAt: null,
      lockGraceEndsAt: null,
      fullyLockedAt: null,
      lockCloudAccountId: null,
      dissolvedAt: null,
      version: 1,
    });
    expect(ws.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-02T10:00:00.000Z');
    expect(ws.createdAt).toBe(NOW);
    expect(ws.method).toEqual(CA1);
    expect(ws.lock).toBeNull();
    expect(ws.isLocked).toBe(false);
    expect(ws.isFullyLocked).toBe(false);
    expect(ws.isDissolved).toBe(false);
  });

  it('billing-center workspaces have no cloud account id', () => {
    const ws = create({ method: BC });
    expect(ws.billingMethod).toBe('billing-center');
    expect(ws.cloudAccountId).toBeNull();
    expect(ws.method).toEqual({ kind: 'billing-center' });
  });

  it('trims the name and accepts 1 to 100 characters', () => {
    expect(create({ name: '  Staging  ' }).name).toBe('Staging');
    expect(create({ name: 'x' }).name).toBe('x');
    expect(create({ name: 'n'.repeat(100) }).name).toHaveLength(100);
  });

  it('refuses an empty, blank, too long or non-string name', () => {
    for (const name of ['', '   ', 'n'.repeat(101), 42, null, undefined]) {
      const e = expectDomainError(() => create({ name }), 'invalid-input', 'validation');
      expect(e.details).toEqual({ field: 'name' });
    }
  });

  it('accepts exactly the fixed language set', () => {
    expect(WORKSPACE_LANGUAGES).toEqual(['en', 'zh']);
    expect(create({ language: 'en' }).language).toBe('en');
    expect(create({ language: 'zh' }).language).toBe('zh');
  });

  it('refuses any other language', () => {
    for (const language of ['fr', 'EN', 'zh-CN', '', null, 1]) {
      const e = expectDomainError(() => create({ language }), 'invalid-input', 'validation');
      expect(e.details).toEqual({ field: 'language', allowed: ['en', 'zh'] });
    }
  });
});

describe('Workspace.method', () => {
  it('is null while unlinked, and for a cloud-account kind without an id', () => {
    const ws = create();
    ws.billingMethod = null;
    expect(ws.method).toBeNull();
    ws.billingMethod = 'cloud-account';
    ws.cloudAccountId = null;
    expect(ws.method).toBeNull();
  });
});

describe('Workspace.setBillingMethod', () => {
  it('takes effect at the next UTC hour boundary and counts as a customer change', () => {
    const ws = create();
    ws.setBillingMethod(CA1, NOW, true);
    expect(ws.method).toEqual(CA1);
    expect(ws.cloudAccountId).toBe('ca-1');
    expect(ws.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-02T11:00:00.000Z');
    expect(ws.lastBillingMethodChangeAt).toBe(NOW);
  });

  it('a change at exactly 10:00:00.000 takes effect at 11:00, not at once', () => {
    const ws = create();
    const at = utc('2026-11-02T10:00:00.000Z');
    ws.setBillingMethod(CA1, at, true);
    expect(ws.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-02T11:00:00.000Z');
  });

  it('a change at 10:59:59.999 takes effect at 11:00', () => {
    const ws = create();
    ws.setBillingMethod(CA1, utc('2026-11-02T10:59:59.999Z'), true);
    expect(ws.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-02T11:00:00.000Z');
  });

  it('does not count system changes (unlocks, unlinks) toward the monthly limit', () => {
    const ws = create();
    ws.setBillingMethod(CA1, NOW, false);
    expect(ws.lastBillingMethodChangeAt).toBeNull();
    ws.setBillingMethod(CA2, NOW, true);
    ws.setBillingMethod(BC, utc('2026-11-20T00:00:00Z'), false);
    expect(ws.lastBillingMethodChangeAt).toBe(NOW);
  });

  it('moving back to billing-center clears the cloud account id; null unlinks', () => {
    const ws = create({ method: CA1 });
    ws.setBillingMethod(BC, NOW, true);
    expect(ws.billingMethod).toBe('billing-center');
    expect(ws.cloudAccountId).toBeNull();
    ws.setBillingMethod(null, NOW, false);
    expect(ws.billingMethod).toBeNull();
    expect(ws.cloudAccountId).toBeNull();
    expect(ws.method).toBeNull();
  });

  it('is refused on a dissolved workspace', () => {
    const ws = create();
    ws.dissolve(NOW);
    expectDomainError(() => ws.setBillingMethod(CA1, NOW, true), 'workspace-dissolved', 'conflict');
  });
});

describe('Workspace locks', () => {
  it('applyLock takes effect immediately with the grace period', () => {
    const ws = create();
    expect(ws.applyLock('cloud-subscription-cancelled', NOW, 14 * DAY, 'ca-1')).toBe(true);
    expect(ws.isLocked).toBe(true);
    expect(ws.lock).toEqual({
      reason: 'cloud-subscription-cancelled',
      lockedAt: NOW,
      graceEndsAt: new Date(NOW.getTime() + 14 * DAY),
      fullyLockedAt: null,
      cloudAccountId: 'ca-1',
    });
  });

  it('applyLock without a cloud account records null', () => {
    const ws = create();
    expect(ws.applyLock('arrears', NOW, DAY)).toBe(true);
    expect(ws.lockCloudAccountId).toBeNull();
    expect(ws.lock?.reason).toBe('arrears');
  });

  it('applyLock keeps an existing lock and returns false', () => {
    const ws = lockedWorkspace();
    const later = utc('2026-11-05T00:00:00Z');
    expect(ws.applyLock('operator', later, DAY, null)).toBe(false);
    expect(ws.lock).toEqual({
      reason: 'cloud-subscription-cancelled',
      lockedAt: NOW,
      graceEndsAt: new Date(NOW.getTime() + 14 * DAY),
      fullyLockedAt: null,
      cloudAccountId: 'ca-1',
    });
  });

  it('applyLock is refused on a dissolved workspace', () => {
    const ws = create();
    ws.dissolve(NOW);
    expectDomainError(() => ws.applyLock('operator', NOW, DAY), 'workspace-dissolved', 'conflict');
  });

  it('clearLock removes every lock field', () => {
    const ws = lockedWorkspace(0);
    expect(ws.markFullyLocked(NOW)).toBe(true);
    ws.clearLock();
    expect(ws.isLocked).toBe(false);
    expect(ws.lock).toBeNull();
    expect([ws.lockReason, ws.lockedAt, ws.lockGraceEndsAt, ws.fullyLockedAt, ws.lockCloudAccountId]).toEqual(
      [null, null, null, null, null],
    );
  });

  it('clearLock on an unlocked workspace is a conflict workspace-not-locked', () => {
    const e = expectDomainError(() => create().clearLock(), 'workspace-not-locked', 'conflict');
    expect(e.details).toEqual({ workspaceId: 'ws-1' });
  });

  it('markFullyLocked does nothing before the grace ends', () => {
    const ws = lockedWorkspace(14 * DAY);
    expect(ws.markFullyLocked(new Date(NOW.getTime() + 14 * DAY - 1))).toBe(false);
    expect(ws.isFullyLocked).toBe(false);
    expect(ws.fullyLockedAt).toBeNull();
  });

  it('markFullyLocked applies at the exact end of grace and after', () => {
    const end = new Date(NOW.getTime() + 14 * DAY);
    const ws = lockedWorkspace(14 * DAY);
    expect(ws.markFullyLocked(end)).toBe(true);
    expect(ws.fullyLockedAt).toBe(end);
    expect(ws.isFullyLocked).toBe(true);
    expect(ws.lock?.fullyLockedAt).toBe(end);

    const ws2 = lockedWorkspace(14 * DAY);
    const later = new Date(end.getTime() + HOUR);
    expect(ws2.markFullyLocked(later)).toBe(true);
    expect(ws2.fullyLockedAt).toBe(later);
  });

  it('markFullyLocked is false when not locked, already fully locked, or dissolved', () => {
    const far = utc('2027-06-01T00:00:00Z');
    expect(create().markFullyLocked(far)).toBe(false);

    const ws = lockedWorkspace(DAY);
    expect(ws.markFullyLocked(far)).toBe(true);
    expect(ws.markFullyLocked(new Date(far.getTime() + DAY))).toBe(false);
    expect(ws.fullyLockedAt).toBe(far);

    const dissolved = lockedWorkspace(DAY);
    dissolved.dissolve(NOW);
    expect(dissolved.markFullyLocked(far)).toBe(false);
    expect(dissolved.fullyLockedAt).toBeNull();
  });

  it('a new lock after an unlock gets a fresh grace period', () => {
    const ws = lockedWorkspace(DAY);
    ws.clearLock();
    const later = utc('2026-12-01T00:00:00Z');
    expect(ws.applyLock('arrears', later, 2 * DAY)).toBe(true);
    expect(ws.lock).toEqual({
      reason: 'arrears',
      lockedAt: later,
      graceEndsAt: utc('2026-12-03T00:00:00Z'),
      fullyLockedAt: null,
      cloudAccountId: null,
    });
  });
});

describe('Workspace.dissolve', () => {
  it('unlinks the payer from the next hour boundary', () => {
    const ws = create({ method: CA1 });
    ws.dissolve(NOW);
    expect(ws.dissolvedAt).toBe(NOW);
    expect(ws.isDissolved).toBe(true);
    expect(ws.billingMethod).toBeNull();
    expect(ws.cloudAccountId).toBeNull();
    expect(ws.method).toBeNull();
    expect(ws.billingMethodEffectiveFrom.toISOString()).toBe('2026-11-02T11:00:00.000Z');
  });

  it('dissolving twice is a conflict workspace-dissolved', () => {
    const ws = create();
    ws.dissolve(NOW);
    const e = expectDomainError(
      () => ws.dissolve(utc('2026-11-03T00:00:00Z')),
      'workspace-dissolved',
      'conflict',
    );
    expect(e.details).toEqual({ workspaceId: 'ws-1' });
    expect(ws.dissolvedAt).toBe(NOW);
  });

  it('assertNotDissolved passes until the workspace is dissolved', () => {
    const ws = create();
    expect(() => ws.assertNotDissolved()).not.toThrow();
    ws.dissolve(NOW);
    expectDomainError(() => ws.assertNotDissolved(), 'workspace-dissolved');
  });
});

describe('Workspace.rename', () => {
  it('renames with the same validation as create, never after dissolution', () => {
    const ws = create();
    ws.rename('  Renamed ');
    expect(ws.name).toBe('Renamed');
    expectDomainError(() => ws.rename(' '), 'invalid-input');
    expect(ws.name).toBe('Renamed');
    ws.dissolve(NOW);
    expectDomainError(() => ws.rename('Other'), 'workspace-dissolved');
  });
});

describe('billing method helpers', () => {
  it('sameMethod compares kind and cloud account', () => {
    expect(sameMethod(BC, { kind: 'billing-center' })).toBe(true);
    expect(sameMethod(CA1, { kind: 'cloud-account', cloudAccountId: 'ca-1' })).toBe(true);
    expect(sameMethod(CA1, CA2)).toBe(false);
    expect(sameMethod(BC, CA1)).toBe(false);
    expect(sameMethod(CA1, BC)).toBe(false);
    expect(sameMethod(null, null)).toBe(true);
    expect(sameMethod(null, BC)).toBe(false);
    expect(sameMethod(CA1, null)).toBe(false);
  });

  it('describeMethod names the method', () => {
    expect(describeMethod(null)).toBe('none');
    expect(describeMethod(BC)).toBe('billing-center');
    expect(describeMethod(CA1)).toBe('cloud-account:ca-1');
  });

  it('has the four lock reasons of the product', () => {
    expect(LOCK_REASONS).toEqual([
      'cloud-subscription-cancelled',
      'cloud-subscription-failed',
      'arrears',
      'operator',
    ]);
  });
});

describe('workspace mother', () => {
  it('builds a valid billing-center workspace on us1 for the given owner', () => {
    const ws = mother.workspace({ ownerAccountId: 'acc-x' });
    expect(ws).toBeInstanceOf(Workspace);
    expect(ws.ownerAccountId).toBe('acc-x');
    expect(ws.siteId).toBe('us1');
    expect(ws.method).toEqual({ kind: 'billing-center' });
  });
});
