import { ValidationError } from '../../shared/domain-error.js';
import { HOUR_MS, hourStart } from '../../shared/time.js';
import type { AwsPartition } from '../site/site.js';
import { type CustomerRef, licenseIdOf } from './customer-ref.js';

export const SUBSCRIPTION_STATES = [
  'pending',
  'active',
  'unsubscribe-pending',
  'cancelled',
  'failed',
] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

export const LIFECYCLE_ACTIONS = [
  'subscribe-success',
  'subscribe-fail',
  'unsubscribe-pending',
  'unsubscribe-success',
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/** A lifecycle message as history: what happened, when AWS stamped it, and its message id (tie-break). */
export interface LifecycleFact {
  action: LifecycleAction;
  occurredAt: Date;
  messageId: string;
}

/**
 * Tie-break for events stamped with the same time: the one further along the lifecycle goes last, so the
 * result does not depend on delivery order.
 */
const RANK: Record<LifecycleAction, number> = {
  'subscribe-fail': 0,
  'subscribe-success': 1,
  'unsubscribe-pending': 2,
  'unsubscribe-success': 3,
};

/** The subscription state machine: pending → active ⇄ unsubscribe-pending → cancelled; failed. */
function transition(state: SubscriptionState, action: LifecycleAction): SubscriptionState {
  switch (action) {
    case 'subscribe-success':
      return 'active'; // also a resubscription after a cancellation or a failed payment
    case 'subscribe-fail':
      return state === 'pending' || state === 'failed' ? 'failed' : state;
    case 'unsubscribe-pending':
      return state === 'active' || state === 'unsubscribe-pending' ? 'unsubscribe-pending' : state;
    case 'unsubscribe-success':
      return 'cancelled';
  }
}

const byLifecycleOrder = (a: LifecycleFact, b: LifecycleFact) =>
  a.occurredAt.getTime() - b.occurredAt.getTime() ||
  RANK[a.action] - RANK[b.action] ||
  (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);

/**
 * The state a set of lifecycle messages leads to: they are replayed in the order AWS stamped them, so the
 * result is the same for every delivery order, with or without duplicates, and a stale subscribe-success
 * never reactivates a subscription that a later message ended.
 */
export function foldLifecycle(facts: readonly LifecycleFact[]): {
  state: SubscriptionState;
  cancelledAt: Date | null;
  /** When the subscription last came back after ending (cancelled or failed), if it did. */
  resumedAt: Date | null;
  last: LifecycleFact | null;
} {
  const seen = new Set<string>();
  const ordered = facts.filter((f) => !seen.has(f.messageId) && seen.add(f.messageId)).sort(byLifecycleOrder);
  let state: SubscriptionState = 'pending';
  let cancelledAt: Date | null = null;
  let resumedAt: Date | null = null;
  for (const f of ordered) {
    const next = transition(state, f.action);
    if ((state === 'cancelled' || state === 'failed') && next !== 'cancelled' && next !== 'failed')
      resumedAt = f.occurredAt;
    if (next === 'cancelled' && state !== 'cancelled') cancelledAt = f.occurredAt;
    if (next === 'active') cancelledAt = null;
    state = next;
  }
  return { state, cancelledAt, resumedAt, last: ordered[ordered.length - 1] ?? null };
}

export interface Entitlement {
  dimension: string;
  value: number | null;
  expiresAt: Date | null;
}

export type LifecycleOutcome =
  | { applied: false; reason: 'stale' | 'no-change' }
  | { applied: true; from: SubscriptionState; to: SubscriptionState };

/** A registered AWS Marketplace buyer (one AWS account's subscription to one product). */
export class CloudAccount {
  id!: string;
  ownerAccountId!: string;
  provider!: 'aws-marketplace';
  partition!: AwsPartition;
  productCode!: string;
  customerIdentifier!: string | null;
  customerAwsAccountId!: string | null;
  licenseArn!: string | null;
  /** Indexed form of `licenseArn` (its `l-…` id). */
  licenseId!: string | null;
  agreementId!: string | null;
  offerId!: string | null;
  freeTrial!: boolean;
  state!: SubscriptionState;
  stateChangedAt!: Date;
  /** Time and rank of the newest lifecycle event applied: older ones are stale and change nothing. */
  lastEventAt!: Date | null;
  lastEventRank!: number | null;
  cancelledAt!: Date | null;
  /** First hour metered; hours before the registration are never billed to this account. */
  meteringFrom!: Date;
  /** Last hour whose records are sealed; null before the first. */
  meteredThrough!: Date | null;
  /**
   * The usage watermark of that seal: the highest usage sequence number it absorbed. Usage paid by this
   * account is metered exactly when its hour is ≤ `meteredThrough` and its `seq` ≤ this (see ADR 0009);
   * anything else still pending waits for the next open hour.
   */
  meteredUsageSeq!: number;
  /** Set on unsubscribe-pending: the worker seals and sends the current partial hour at once. */
  finalFlushRequestedAt!: Date | null;
  entitlements!: Entitlement[];
  entitlementsCheckedAt!: Date | null;
  createdAt!: Date;
  version!: number;

  constructor(props: Omit<CloudAccount, MethodNames>) {
    Object.assign(this, props);
  }

  static register(input: {
    id: string;
    ownerAccountId: string;
    partition: AwsPartition;
    productCode: string;
    customerIdentifier?: string | null;
    customerAwsAccountId?: string | null;
    licenseArn?: string | null;
    offerId?: string | null;
    freeTrial?: boolean;
    now: Date;
  }): CloudAccount {
    if (!input.productCode) throw new ValidationError('invalid-cloud-account', 'A product code is required.');
    if (!input.customerIdentifier && !(input.licenseArn && input.customerAwsAccountId)) {
      throw new ValidationError(
        'invalid-cloud-account',
        'A cloud account needs a customer identifier, or a license ARN with the customer AWS account id.',
      );
    }
    if (input.customerAwsAccountId && !/^\d{12}$/.test(input.customerAwsAccountId)) {
      throw new ValidationError('invalid-cloud-account', 'The customer AWS account id must be 12 digits.');
    }
    return new CloudAccount({
      id: input.id,
      ownerAccountId: input.ownerAccountId,
      provider: 'aws-marketplace',
      partition: input.partition,
      productCode: input.productCode,
      customerIdentifier: input.customerIdentifier ?? null,
      customerAwsAccountId: input.customerAwsAccountId ?? null,
      licenseArn: input.licenseArn ?? null,
      licenseId: licenseIdOf(input.licenseArn),
      agreementId: null,
      offerId: input.offerId ?? null,
      freeTrial: input.freeTrial ?? false,
      state: 'pending',
      stateChangedAt: input.now,
      lastEventAt: null,
      lastEventRank: null,
      cancelledAt: null,
      meteringFrom: hourStart(input.now),
      meteredThrough: null,
      meteredUsageSeq: 0,
      finalFlushRequestedAt: null,
      entitlements: [],
      entitlementsCheckedAt: null,
      createdAt: input.now,
      version: 1,
    });
  }

  /** Whether a sealed hour of this account already absorbed `usage` (which it pays for). */
  hasMetered(usage: { hour: Date; seq: number | null }): boolean {
    return (
      this.meteredThrough !== null &&
      usage.seq !== null &&
      usage.hour.getTime() <= this.meteredThrough.getTime() &&
      usage.seq <= this.meteredUsageSeq
    );
  }

  /** The next hour to seal: hours are sealed in order, never before `meteringFrom`. */
  get nextHourToMeter(): Date {
    return nextHourToMeter(this);
  }

  /** Whether usage of bound workspaces is metered to AWS now. */
  get isMeterable(): boolean {
    return METERABLE_STATES.includes(this.state);
  }

  /** A workspace may be moved onto this account while it is pending (the SNS message may lag) or active. */
  get acceptsNewWorkspaces(): boolean {
    return this.state === 'pending' || this.state === 'active';
  }

  /** The subscription is in force: workspaces settled by it cannot move away unless an operator forces it. */
  get subscriptionInForce(): boolean {
    return this.state === 'active' || this.state === 'unsubscribe-pending';
  }

  matches(ref: CustomerRef): boolean {
    if (ref.partition !== this.partition) return false;
    const lic = licenseIdOf(ref.licenseArn);
    if (lic && this.licenseId === lic) return true;
    if (ref.customerIdentifier && ref.customerIdentifier === this.customerIdentifier) {
      return !ref.productCode || ref.productCode === this.productCode;
    }
    if (ref.agreementId && ref.agreementId === this.agreementId) return true;
    if (ref.customerAwsAccountId && ref.customerAwsAccountId === this.customerAwsAccountId) {
      if (ref.productCode) return ref.productCode === this.productCode;
      if (ref.offerId) return ref.offerId === this.offerId;
    }
    return false;
  }

  /** Learn identifiers a newer message carries (agreement id, license ARN) so later messages match. */
  learnIdentity(ref: CustomerRef): void {
    if (ref.agreementId && !this.agreementId) this.agreementId = ref.agreementId;
    if (ref.licenseArn && !this.licenseArn) {
      this.licenseArn = ref.licenseArn;
      this.licenseId = licenseIdOf(ref.licenseArn);
    }
    if (ref.customerAwsAccountId && !this.customerAwsAccountId)
      this.customerAwsAccountId = ref.customerAwsAccountId;
  }

  /**
   * Bring the subscription to the state its whole lifecycle history leads to (see `foldLifecycle`).
   * `history` is every lifecycle message received for this account, the new one included.
   */
  applyLifecycle(history: readonly LifecycleFact[], now: Date): LifecycleOutcome {
    const { state: to, cancelledAt, resumedAt, last } = foldLifecycle(history);
    // Metering starts at the registration, or at the last resubscription after an ending: the hours while
    // cancelled were never the buyer's to pay. Derived from the history, so it is order independent too.
    this.meteringFrom = new Date(
      Math.max(hourStart(this.createdAt).getTime(), resumedAt ? hourStart(resumedAt).getTime() : 0),
    );
    this.lastEventAt = last?.occurredAt ?? null;
    this.lastEventRank = last ? RANK[last.action] : null;
    const from = this.state;
    this.cancelledAt = cancelledAt;
    if (from === to) {
      return {
        applied: false,
        reason: last && history.length && last !== history[history.length - 1] ? 'stale' : 'no-change',
      };
    }
    this.state = to;
    this.stateChangedAt = now;
    if (to === 'unsubscribe-pending') this.finalFlushRequestedAt = now;
    if (from === 'unsubscribe-pending' && to === 'active') this.finalFlushRequestedAt = null;
    return { applied: true, from, to };
  }

  replaceLicense(licenseArn: string): void {
    this.licenseArn = licenseArn;
    this.licenseId = licenseIdOf(licenseArn);
  }

  setEntitlements(entitlements: Entitlement[], now: Date): void {
    this.entitlements = entitlements;
    this.entitlementsCheckedAt = now;
  }
}

/** States in which usage is billed to the account (its hours are sealed). */
export const METERABLE_STATES: readonly SubscriptionState[] = ['active', 'unsubscribe-pending'];

/** What deciding whether an account has an hour to seal reads of it (see `dueHour`). */
export type MeteringSchedule = Pick<
  CloudAccount,
  'id' | 'state' | 'meteringFrom' | 'meteredThrough' | 'finalFlushRequestedAt'
>;

/** The next hour to seal: hours are sealed in order, never before `meteringFrom`. */
export function nextHourToMeter(ca: Pick<CloudAccount, 'meteringFrom' | 'meteredThrough'>): Date {
  const afterSealed = ca.meteredThrough ? ca.meteredThrough.getTime() + HOUR_MS : 0;
  return new Date(Math.max(afterSealed, ca.meteringFrom.getTime()));
}

/** Which hour of `ca` is due for sealing at `now`, and whether it is the final partial hour; null if none. */
export function dueHour(ca: MeteringSchedule, now: Date): { hour: Date; isFinal: boolean } | null {
  if (!METERABLE_STATES.includes(ca.state)) return null;
  const hour = nextHourToMeter(ca);
  if (hour.getTime() + HOUR_MS <= now.getTime()) return { hour, isFinal: false };
  const flushHour = ca.finalFlushRequestedAt ? hourStart(ca.finalFlushRequestedAt) : null;
  if (flushHour && hour.getTime() <= flushHour.getTime()) return { hour, isFinal: true };
  return null;
}

type MethodNames =
  | 'hasMetered'
  | 'nextHourToMeter'
  | 'isMeterable'
  | 'acceptsNewWorkspaces'
  | 'subscriptionInForce'
  | 'matches'
  | 'learnIdentity'
  | 'replaceLicense'
  | 'applyLifecycle'
  | 'setEntitlements';
