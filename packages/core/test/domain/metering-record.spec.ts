import { describe, expect, it } from 'vitest';
import {
  BILLED_METERING_STATUSES,
  MAX_ALLOCATIONS,
  MAX_RECORD_QUANTITY,
  METERING_STATUSES,
  type MeteringRecord,
  type MeteringResult,
  type MeteringStatus,
  meteringDeadline,
  TERMINAL_METERING_STATUSES,
} from '../../src/domain/metering/metering-record.js';
import { mother } from '../../src/testing/mothers.js';
import { expectDomainError, HOUR, utc } from './helpers.js';

const NOW = utc('2026-11-02T11:05:00Z');
const record = (status: MeteringStatus, o: Partial<MeteringRecord> = {}) =>
  mother.meteringRecord({ cloudAccountId: 'ca-1', id: 'mr-1', status, ...o });

type Transition = {
  name: string;
  run: (r: MeteringRecord) => void;
  from: MeteringStatus[];
  to: MeteringStatus;
};
const result = (outcome: MeteringResult['outcome']): MeteringResult => {
  switch (outcome) {
    case 'accepted':
      return { recordId: 'mr-1', outcome, awsMeteringRecordId: 'aws-mr-1' };
    case 'rejected':
      return { recordId: 'mr-1', outcome, error: 'InvalidUsageDimension' };
    case 'retry':
      return { recordId: 'mr-1', outcome, error: 'ThrottlingException', retryAfterMs: 2000 };
    default:
      return { recordId: 'mr-1', outcome } as MeteringResult;
  }
};
const TRANSITIONS: Transition[] = [
  { name: 'seal', run: (r) => r.seal(NOW), from: ['open'], to: 'sealed' },
  {
    name: 'lease',
    run: (r) => r.lease('worker-1', new Date(NOW.getTime() + 120_000)),
    from: ['sealed', 'submitted'],
    to: 'submitted',
  },
  {
    name: 'apply accepted',
    run: (r) => r.apply(result('accepted'), NOW),
    from: ['submitted'],
    to: 'accepted',
  },
  {
    name: 'apply duplicate',
    run: (r) => r.apply(result('duplicate'), NOW),
    from: ['submitted'],
    to: 'duplicate',
  },
  {
    name: 'apply customer-not-subscribed',
    run: (r) => r.apply(result('customer-not-subscribed'), NOW),
    from: ['submitted'],
    to: 'customer-not-subscribed',
  },
  {
    name: 'apply rejected',
    run: (r) => r.apply(result('rejected'), NOW),
    from: ['submitted'],
    to: 'rejected',
  },
  { name: 'apply retry', run: (r) => r.apply(result('retry'), NOW), from: ['submitted'], to: 'sealed' },
  { name: 'expire', run: (r) => r.expire(NOW), from: ['sealed', 'submitted'], to: 'expired' },
  {
    name: 'withdraw',
    run: (r) => r.withdraw('subscription-cancelled', NOW),
    from: ['sealed'],
    to: 'rejected',
  },
];

describe('MeteringRecord constants', () => {
  it('lists the lifecycle, terminal and billed statuses and AWS limits', () => {
    expect(METERING_STATUSES).toEqual([
      'open',
      'sealed',
      'submitted',
      'accepted',
      'duplicate',
      'customer-not-subscribed',
      'rejected',
      'expired',
    ]);
    expect(TERMINAL_METERING_STATUSES).toEqual([
      'accepted',
      'duplicate',
      'customer-not-subscribed',
      'rejected',
      'expired',
    ]);
    expect(BILLED_METERING_STATUSES).toEqual(['accepted', 'duplicate']);
    expect(MAX_RECORD_QUANTITY).toBe(2 ** 31 - 1);
    expect(MAX_ALLOCATIONS).toBe(2500);
  });

  for (const status of METERING_STATUSES) {
    it(`${status}: isTerminal and isBilled`, () => {
      const r = record(status);
      expect(r.isTerminal).toBe(TERMINAL_METERING_STATUSES.includes(status));
      expect(r.isBilled).toBe(status === 'accepted' || status === 'duplicate');
    });
  }
});

describe('MeteringRecord transitions', () => {
  for (const t of TRANSITIONS) {
    for (const status of METERING_STATUSES) {
      const allowed = t.from.includes(status);
      it(`${t.name} from ${status} ${allowed ? `→ ${t.to}` : 'is refused'}`, () => {
        const r = record(status);
        const quantity = r.quantity;
        const allocations = structuredClone(r.allocations);
        if (allowed) {
          t.run(r);
          expect(r.status).toBe(t.to);
        } else {
          const before = JSON.stringify(r);
          const e = expectDomainError(() => t.run(r), 'metering-record-invalid-transition', 'conflict');
          expect(e.details).toEqual({ recordId: 'mr-1', status });
          expect(JSON.stringify(r)).toBe(before);
        }
        expect(r.quantity).toBe(quantity);
        expect(r.allocations).toEqual(allocations);
      });
    }
  }

  it('seal stamps the sealing time', () => {
    const r = record('open', { sealedAt: null });
    r.seal(NOW);
    expect(r.sealedAt).toBe(NOW);
  });

  it('lease takes the record for one send and counts the attempt', () => {
    const r = record('sealed', { attempts: 2, nextAttemptAt: NOW });
    const until = new Date(NOW.getTime() + 120_000);
    r.lease('worker-1', until);
    expect(r).toMatchObject({
      status: 'submitted',
      leaseOwner: 'worker-1',
      leaseUntil: until,
      attempts: 3,
      nextAttemptAt: null,
    });
  });

  it('an expired lease can be taken over by another worker', () => {
    const r = record('submitted', { leaseOwner: 'worker-1', leaseUntil: NOW, attempts: 1 });
    r.lease('worker-2', new Date(NOW.getTime() + 60_000));
    expect(r.leaseOwner).toBe('worker-2');
    expect(r.attempts).toBe(2);
  });

  it('accepted keeps the AWS record id, clears the error and the lease, and resolves', () => {
    const r = record('submitted', { leaseOwner: 'w', leaseUntil: NOW, lastError: 'Throttled' });
    r.apply(result('accepted'), NOW);
    expect(r).toMatchObject({
      status: 'accepted',
      awsMeteringRecordId: 'aws-mr-1',
      lastError: null,
      leaseOwner: null,
      leaseUntil: null,
      resolvedAt: NOW,
    });
    expect(r.isBilled).toBe(true);
  });

  it('accepted without an AWS record id stores null', () => {
    const r = record('submitted');
    r.apply({ recordId: 'mr-1', outcome: 'accepted', awsMeteringRecordId: null }, NOW);
    expect(r.awsMeteringRecordId).toBeNull();
  });

  it('duplicate counts as billed (the sealed record reached AWS before)', () => {
    const r = record('submitted', { lastError: 'timeout' });
    r.apply(result('duplicate'), NOW);
    expect(r).toMatchObject({
      status: 'duplicate',
      lastError: null,
      resolvedAt: NOW,
      awsMeteringRecordId: null,
    });
    expect(r.isBilled).toBe(true);
    expect(r.isTerminal).toBe(true);
  });

  it('customer-not-subscribed is terminal and not billed', () => {
    const r = record('submitted');
    r.apply(result('customer-not-subscribed'), NOW);
    expect(r).toMatchObject({
      status: 'customer-not-subscribed',
      lastError: 'CustomerNotSubscribed',
      resolvedAt: NOW,
    });
    expect(r.isBilled).toBe(false);
    expect(r.isTerminal).toBe(true);
  });

  it('rejected keeps the error', () => {
    const r = record('submitted');
    r.apply(result('rejected'), NOW);
    expect(r).toMatchObject({ status: 'rejected', lastError: 'InvalidUsageDimension', resolvedAt: NOW });
  });

  it('retry returns the record to sealed with a back-off and does not resolve it', () => {
    const r = record('submitted', { leaseOwner: 'w', leaseUntil: NOW });
    r.apply(result('retry'), NOW);
    expect(r).toMatchObject({
      status: 'sealed',
      lastError: 'ThrottlingException',
      leaseOwner: null,
      leaseUntil: null,
      resolvedAt: null,
    });
    expect(r.nextAttemptAt?.toISOString()).toBe('2026-11-02T11:05:02.000Z');
  });

  it('retry without a delay may be sent again at once', () => {
    const r = record('submitted');
    r.apply({ recordId: 'mr-1', outcome: 'retry', error: 'InternalServiceError' }, NOW);
    expect(r.nextAttemptAt?.getTime()).toBe(NOW.getTime());
  });

  it('expire of a never-answered send says the outcome is unknown and drops the lease', () => {
    const r = record('submitted', {
      leaseOwner: 'w',
      leaseUntil: NOW,
      deadline: utc('2026-11-03T10:00:00Z'),
    });
    r.expire(NOW);
    expect(r).toMatchObject({
      status: 'expired',
      unansweredSends: 1,
      leaseOwner: null,
      leaseUntil: null,
      resolvedAt: NOW,
    });
    expect(r.lastError).toMatch(/^Outcome unknown: .*2026-11-03T10:00:00.000Z/);
    expect(r.outcomeUnknown).toBe(true);
  });

  it('expire of a record AWS never saw names the deadline', () => {
    const r = record('sealed', { deadline: utc('2026-11-03T10:00:00Z') });
    r.expire(NOW);
    expect(r).toMatchObject({
      status: 'expired',
      lastError: 'Not accepted by AWS before its deadline 2026-11-03T10:00:00.000Z',
    });
    expect(r.outcomeUnknown).toBe(false);
  });

  it('re-leasing after a lease ran out counts an unanswered send', () => {
    const r = record('submitted', { leaseOwner: 'w1', leaseUntil: NOW });
    r.lease('w2', NOW);
    expect(r.unansweredSends).toBe(1);
  });

  it('withdraw rejects an unsent record with the reason', () => {
    const r = record('sealed');
    r.withdraw('subscription-cancelled', NOW);
    expect(r).toMatchObject({ status: 'rejected', lastError: 'subscription-cancelled', resolvedAt: NOW });
  });

  it('a full send cycle with retries never changes the quantity or allocations', () => {
    const r = record('open', { quantity: 42, allocations: [{ workspaceId: 'ws-1', quantity: 42 }] });
    r.seal(NOW);
    for (let i = 0; i < 3; i++) {
      r.lease(`w-${i}`, new Date(NOW.getTime() + HOUR));
      r.apply(result('retry'), NOW);
    }
    r.lease('w-final', new Date(NOW.getTime() + HOUR));
    r.apply(result('duplicate'), NOW);
    expect(r.status).toBe('duplicate');
    expect(r.attempts).toBe(4);
    expect(r.quantity).toBe(42);
    expect(r.allocations).toEqual([{ workspaceId: 'ws-1', quantity: 42 }]);
  });
});

describe('meteringDeadline', () => {
  const deadline = (hour: string, window: number) => meteringDeadline(utc(hour), window).toISOString();

  it('is the window after the hour within a month', () => {
    expect(deadline('2026-11-15T10:00:00Z', 24)).toBe('2026-11-16T10:00:00.000Z');
    expect(deadline('2026-11-15T10:00:00Z', 6)).toBe('2026-11-15T16:00:00.000Z');
    expect(deadline('2026-11-29T23:00:00Z', 24)).toBe('2026-11-30T23:00:00.000Z');
  });

  it('is capped at 06:00 UTC on the 1st of the next month', () => {
    expect(deadline('2026-11-30T20:00:00Z', 24)).toBe('2026-12-01T06:00:00.000Z');
    expect(deadline('2026-11-30T06:00:00Z', 24)).toBe('2026-12-01T06:00:00.000Z');
    expect(deadline('2026-11-30T05:00:00Z', 24)).toBe('2026-12-01T05:00:00.000Z');
    expect(deadline('2026-11-30T23:00:00Z', 24)).toBe('2026-12-01T06:00:00.000Z');
  });

  it('caps across a year end and a leap-year February', () => {
    expect(deadline('2026-12-31T12:00:00Z', 24)).toBe('2027-01-01T06:00:00.000Z');
    expect(deadline('2028-02-29T23:00:00Z', 24)).toBe('2028-03-01T06:00:00.000Z');
    expect(deadline('2027-02-28T23:00:00Z', 24)).toBe('2027-03-01T06:00:00.000Z');
  });

  it('with a 6-hour window the month-end cap never shortens the window', () => {
    expect(deadline('2026-11-30T23:00:00Z', 6)).toBe('2026-12-01T05:00:00.000Z');
    expect(deadline('2026-11-30T18:00:00Z', 6)).toBe('2026-12-01T00:00:00.000Z');
  });

  it('an hour on the 1st is measured against the following month', () => {
    expect(deadline('2026-12-01T00:00:00Z', 24)).toBe('2026-12-02T00:00:00.000Z');
  });
});
