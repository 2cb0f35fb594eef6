import { ConflictError } from '../../shared/domain-error.js';
import type { AwsPartition } from '../site/site.js';

export const METERING_STATUSES = [
  'open',
  'sealed',
  'submitted',
  'accepted',
  'duplicate',
  'customer-not-subscribed',
  'rejected',
  'expired',
] as const;
export type MeteringStatus = (typeof METERING_STATUSES)[number];
export const TERMINAL_METERING_STATUSES: readonly MeteringStatus[] = [
  'accepted',
  'duplicate',
  'customer-not-subscribed',
  'rejected',
  'expired',
];
/** Statuses in which AWS has the record: its usage is billed. */
export const BILLED_METERING_STATUSES: readonly MeteringStatus[] = ['accepted', 'duplicate'];

/** AWS's `Quantity` is a 32-bit integer; more is carried into the next hour. */
export const MAX_RECORD_QUANTITY = 2_147_483_647;
/** AWS accepts at most 2,500 usage allocations per record. */
export const MAX_ALLOCATIONS = 2_500;

/** Part of a record's quantity attributed to one workspace (AWS `UsageAllocations`, tagged by workspace). */
export interface Allocation {
  /** null: the remainder of a record with more workspaces than AWS accepts allocations for. */
  workspaceId: string | null;
  quantity: number;
}

export type MeteringResult =
  | { recordId: string; outcome: 'accepted'; awsMeteringRecordId: string | null }
  | { recordId: string; outcome: 'duplicate' }
  | { recordId: string; outcome: 'customer-not-subscribed' }
  | { recordId: string; outcome: 'rejected'; error: string }
  /** throttled, 5xx, unprocessed: send the identical record again later */
  | { recordId: string; outcome: 'retry'; error: string; retryAfterMs?: number }
  /** the call's answer was lost: AWS may hold the record; send the identical record again later */
  | { recordId: string; outcome: 'unknown'; error: string; retryAfterMs?: number };

/**
 * One (cloud account, dimension, UTC hour) quantity for AWS. Once sealed its quantity and allocations never
 * change: every retry sends the identical record, so AWS can never see two quantities for one hour.
 */
export class MeteringRecord {
  id!: string;
  cloudAccountId!: string;
  partition!: AwsPartition;
  productCode!: string;
  customerIdentifier!: string | null;
  customerAwsAccountId!: string | null;
  licenseArn!: string | null;
  dimension!: string;
  hour!: Date;
  quantity!: number;
  allocations!: Allocation[];
  status!: MeteringStatus;
  /** The account's final records, sealed early on unsubscribe-pending. */
  isFinal!: boolean;
  attempts!: number;
  /** Sends whose answer never came (lease ran out): AWS may have taken one of them. */
  unansweredSends!: number;
  lastError!: string | null;
  awsMeteringRecordId!: string | null;
  sealedAt!: Date | null;
  resolvedAt!: Date | null;
  /** Last moment AWS accepts this record. */
  deadline!: Date;
  leaseOwner!: string | null;
  leaseUntil!: Date | null;
  nextAttemptAt!: Date | null;
  windowAlertedAt!: Date | null;
  /**
   * Which usage this record absorbed, as the payer's watermark before and after its seal (ADR 0009): the
   * payer's pending usage of this dimension with `hour` ≤ this record's hour and `seq` ≤ `usageThroughSeq`,
   * except what an earlier seal took (`hour` ≤ `usageAfterHour` and `seq` ≤ `usageAfterSeq`).
   */
  usageAfterHour!: Date | null;
  usageAfterSeq!: number;
  usageThroughSeq!: number;
  version!: number;

  constructor(props: Omit<MeteringRecord, MethodNames>) {
    Object.assign(this, props);
  }

  /** Whether this record absorbed `usage` (stored `pending`, paid by this account, of `dimension`). */
  absorbed(
    usage: { payerCloudAccountId: string | null; status: string; hour: Date; seq: number | null },
    dimension: string | undefined,
  ): boolean {
    if (usage.payerCloudAccountId !== this.cloudAccountId || usage.status !== 'pending') return false;
    if (dimension !== this.dimension || usage.seq === null) return false;
    if (usage.hour.getTime() > this.hour.getTime() || usage.seq > this.usageThroughSeq) return false;
    const earlier =
      this.usageAfterHour !== null &&
      usage.hour.getTime() <= this.usageAfterHour.getTime() &&
      usage.seq <= this.usageAfterSeq;
    return !earlier;
  }

  get isTerminal(): boolean {
    return TERMINAL_METERING_STATUSES.includes(this.status);
  }

  get isBilled(): boolean {
    return BILLED_METERING_STATUSES.includes(this.status);
  }

  private expect(allowed: MeteringStatus[], action: string): void {
    if (!allowed.includes(this.status)) {
      throw new ConflictError(
        'metering-record-invalid-transition',
        `Cannot ${action} metering record "${this.id}" in status ${this.status}.`,
        { recordId: this.id, status: this.status },
      );
    }
  }

  seal(now: Date): void {
    this.expect(['open'], 'seal');
    this.status = 'sealed';
    this.sealedAt = now;
  }

  /** Lease the record for one send; an expired lease makes it claimable again (the worker died). */
  lease(owner: string, until: Date): void {
    this.expect(['sealed', 'submitted'], 'lease');
    if (this.status === 'submitted') this.unansweredSends += 1; // the previous sender's lease ran out
    this.status = 'submitted';
    this.leaseOwner = owner;
    this.leaseUntil = until;
    this.attempts += 1;
    this.nextAttemptAt = null;
  }

  apply(result: MeteringResult, now: Date): void {
    this.expect(['submitted'], 'record a result for');
    if (result.outcome === 'unknown') {
      // Stays submitted: the next lease counts this send as unanswered and re-sends the identical record.
      this.leaseOwner = null;
      this.leaseUntil = new Date(now.getTime() + (result.retryAfterMs ?? 0));
      this.lastError = result.error;
      return;
    }
    this.leaseOwner = null;
    this.leaseUntil = null;
    switch (result.outcome) {
      case 'accepted':
        this.status = 'accepted';
        this.awsMeteringRecordId = result.awsMeteringRecordId;
        this.lastError = null;
        break;
      case 'duplicate':
        // Terminal and counted as billed (DESIGN §4); the use case alerts, since AWS holds another quantity.
        this.status = 'duplicate';
        this.lastError = null;
        break;
      case 'customer-not-subscribed':
        this.status = 'customer-not-subscribed';
        this.lastError = 'CustomerNotSubscribed';
        break;
      case 'rejected':
        this.status = 'rejected';
        this.lastError = result.error;
        break;
      case 'retry':
        this.status = 'sealed';
        this.lastError = result.error;
        this.nextAttemptAt = new Date(now.getTime() + (result.retryAfterMs ?? 0));
        return;
    }
    this.resolvedAt = now;
  }

  /**
   * Past its deadline AWS takes the record no more. When an earlier send's response was lost, AWS may have
   * taken it before: the outcome is then unknown, and says so.
   */
  get outcomeUnknown(): boolean {
    return this.status === 'expired' && this.unansweredSends > 0;
  }

  expire(now: Date): void {
    this.expect(['sealed', 'submitted'], 'expire');
    if (this.status === 'submitted') this.unansweredSends += 1;
    this.status = 'expired';
    this.lastError =
      this.unansweredSends > 0
        ? `Outcome unknown: sent ${this.attempts} time(s) without an answer before its deadline ${this.deadline.toISOString()}; AWS may have billed it — check the seller reports`
        : `Not accepted by AWS before its deadline ${this.deadline.toISOString()}`;
    this.leaseOwner = null;
    this.leaseUntil = null;
    this.resolvedAt = now;
  }

  /** Withdraw a record not yet sent: its hour lies after the subscription's end. */
  withdraw(reason: string, now: Date): void {
    this.expect(['sealed'], 'withdraw');
    this.status = 'rejected';
    this.lastError = reason;
    this.resolvedAt = now;
  }
}

type MethodNames =
  | 'absorbed'
  | 'outcomeUnknown'
  | 'isTerminal'
  | 'isBilled'
  | 'expect'
  | 'seal'
  | 'lease'
  | 'apply'
  | 'expire'
  | 'withdraw';

/**
 * The last moment AWS accepts a record for `hour`: `windowHours` after the hour, but never past 06:00 UTC
 * on the first day of the next month (AWS's month-end grace).
 */
export function meteringDeadline(hour: Date, windowHours: number): Date {
  const byWindow = hour.getTime() + windowHours * 3_600_000;
  const monthEnd = Date.UTC(hour.getUTCFullYear(), hour.getUTCMonth() + 1, 1, 6);
  return new Date(Math.min(byWindow, monthEnd));
}
