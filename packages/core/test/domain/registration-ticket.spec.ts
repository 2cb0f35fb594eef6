import { describe, expect, it } from 'vitest';
import { mother } from '../../src/testing/mothers.js';
import { expectDomainError, utc } from './helpers.js';

const CREATED = utc('2026-11-02T10:00:00Z');
const EXPIRES = utc('2026-11-02T11:00:00Z');
const ticket = () => mother.ticket({ id: 'ticket-1', createdAt: CREATED, expiresAt: EXPIRES });

describe('RegistrationTicket', () => {
  it('is usable until just before it expires', () => {
    const t = ticket();
    expect(t.isExpired(utc('2026-11-02T10:59:59.999Z'))).toBe(false);
    expect(() => t.assertUsable(utc('2026-11-02T10:59:59.999Z'))).not.toThrow();
  });

  it('expires at exactly expiresAt: registration-ticket-expired', () => {
    const t = ticket();
    expect(t.isExpired(EXPIRES)).toBe(true);
    const e = expectDomainError(() => t.assertUsable(EXPIRES), 'registration-ticket-expired', 'conflict');
    expect(e.details).toEqual({ ticketId: 'ticket-1' });
  });

  it('complete records who completed it and the cloud account', () => {
    const t = ticket();
    const now = utc('2026-11-02T10:30:00Z');
    t.complete('acc-1', 'ca-1', now);
    expect(t).toMatchObject({
      status: 'completed',
      completedAt: now,
      completedByAccountId: 'acc-1',
      cloudAccountId: 'ca-1',
    });
  });

  it('a completed ticket cannot be used again: registration-ticket-used', () => {
    const t = ticket();
    t.complete('acc-1', 'ca-1', utc('2026-11-02T10:30:00Z'));
    const e = expectDomainError(
      () => t.assertUsable(utc('2026-11-02T10:31:00Z')),
      'registration-ticket-used',
      'conflict',
    );
    expect(e.details).toEqual({ ticketId: 'ticket-1' });
    expectDomainError(
      () => t.complete('acc-2', 'ca-2', utc('2026-11-02T10:31:00Z')),
      'registration-ticket-used',
    );
    expect(t.completedByAccountId).toBe('acc-1');
    expect(t.cloudAccountId).toBe('ca-1');
  });

  it('a completed ticket reports "used" even after it expired', () => {
    const t = ticket();
    t.complete('acc-1', 'ca-1', utc('2026-11-02T10:30:00Z'));
    expectDomainError(() => t.assertUsable(utc('2026-11-03T00:00:00Z')), 'registration-ticket-used');
  });

  it('an expired ticket cannot be completed and stays open', () => {
    const t = ticket();
    expectDomainError(() => t.complete('acc-1', 'ca-1', EXPIRES), 'registration-ticket-expired');
    expect(t).toMatchObject({
      status: 'open',
      completedAt: null,
      completedByAccountId: null,
      cloudAccountId: null,
    });
  });
});
