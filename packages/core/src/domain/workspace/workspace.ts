import { ConflictError } from '../../shared/domain-error.js';
import { requireOneOf, requireText } from '../../shared/guard.js';
import { addMs, hourStart, nextHour } from '../../shared/time.js';

export const WORKSPACE_LANGUAGES = ['en', 'zh'] as const;
export type WorkspaceLanguage = (typeof WORKSPACE_LANGUAGES)[number];

/** Who pays: the account's own Billing Center balance, or a registered cloud (marketplace) account. */
export type BillingMethod = { kind: 'billing-center' } | { kind: 'cloud-account'; cloudAccountId: string };
export type BillingMethodKind = BillingMethod['kind'];

export const LOCK_REASONS = [
  'cloud-subscription-cancelled',
  'cloud-subscription-failed',
  'arrears',
  'operator',
] as const;
export type LockReason = (typeof LOCK_REASONS)[number];

export interface Lock {
  reason: LockReason;
  lockedAt: Date;
  graceEndsAt: Date;
  fullyLockedAt: Date | null;
  /** For cloud-subscription locks: the cloud account whose cancellation or failure caused the lock. */
  cloudAccountId: string | null;
}

export const sameMethod = (a: BillingMethod | null, b: BillingMethod | null): boolean =>
  a?.kind === b?.kind &&
  (a?.kind !== 'cloud-account' || (b?.kind === 'cloud-account' && a.cloudAccountId === b.cloudAccountId));

export const describeMethod = (m: BillingMethod | null): string =>
  m === null ? 'none' : m.kind === 'billing-center' ? 'billing-center' : `cloud-account:${m.cloudAccountId}`;

/**
 * A workspace: its data lives on one site (fixed), its language is fixed at creation, and exactly one
 * billing method pays for it at any hour. Columns are flat so the persistence mapping stays trivial.
 */
export class Workspace {
  id!: string;
  name!: string;
  language!: WorkspaceLanguage;
  siteId!: string;
  ownerAccountId!: string;
  /** Current (or, until `billingMethodEffectiveFrom`, the scheduled) method; null while unlinked. */
  billingMethod!: BillingMethodKind | null;
  cloudAccountId!: string | null;
  billingMethodEffectiveFrom!: Date;
  /**
   * While a change is scheduled (until `billingMethodEffectiveFrom`): the kind of method that still pays
   * the current hour. A cloud account is also visible as the binding covering the hour; this matters for
   * Billing Center settlement, which has no binding. Undefined for rows written before it existed.
   */
  previousBillingMethod?: BillingMethodKind | null;
  /** Last change the customer asked for; the once-a-month rule looks at it (unlocks do not count). */
  lastBillingMethodChangeAt!: Date | null;
  lockReason!: LockReason | null;
  lockedAt!: Date | null;
  lockGraceEndsAt!: Date | null;
  fullyLockedAt!: Date | null;
  lockCloudAccountId!: string | null;
  dissolvedAt!: Date | null;
  createdAt!: Date;
  version!: number;

  constructor(props: Omit<Workspace, MethodNames>) {
    Object.assign(this, props);
  }

  static create(input: {
    id: string;
    name: unknown;
    language: unknown;
    siteId: string;
    ownerAccountId: string;
    method: BillingMethod;
    now: Date;
  }): Workspace {
    const m = input.method;
    return new Workspace({
      id: input.id,
      name: requireText('name', input.name, { max: 100 }),
      language: requireOneOf('language', input.language, WORKSPACE_LANGUAGES),
      siteId: input.siteId,
      ownerAccountId: input.ownerAccountId,
      billingMethod: m.kind,
      cloudAccountId: m.kind === 'cloud-account' ? m.cloudAccountId : null,
      // A new workspace has no earlier payer, so its first method covers its creation hour.
      billingMethodEffectiveFrom: hourStart(input.now),
      lastBillingMethodChangeAt: null,
      lockReason: null,
      lockedAt: null,
      lockGraceEndsAt: null,
      fullyLockedAt: null,
      lockCloudAccountId: null,
      dissolvedAt: null,
      createdAt: input.now,
      version: 1,
    });
  }

  get method(): BillingMethod | null {
    if (this.billingMethod === 'billing-center') return { kind: 'billing-center' };
    if (this.billingMethod === 'cloud-account' && this.cloudAccountId) {
      return { kind: 'cloud-account', cloudAccountId: this.cloudAccountId };
    }
    return null;
  }

  get lock(): Lock | null {
    if (!this.lockReason || !this.lockedAt || !this.lockGraceEndsAt) return null;
    return {
      reason: this.lockReason,
      lockedAt: this.lockedAt,
      graceEndsAt: this.lockGraceEndsAt,
      fullyLockedAt: this.fullyLockedAt,
      cloudAccountId: this.lockCloudAccountId,
    };
  }

  get isLocked(): boolean {
    return this.lockReason !== null;
  }

  get isFullyLocked(): boolean {
    return this.fullyLockedAt !== null;
  }

  get isDissolved(): boolean {
    return this.dissolvedAt !== null;
  }

  assertNotDissolved(): void {
    if (this.isDissolved) {
      throw new ConflictError('workspace-dissolved', `Workspace "${this.id}" has been dissolved.`, {
        workspaceId: this.id,
      });
    }
  }

  /** Switch payer at the next UTC hour boundary; the current hour stays with the old payer. */
  setBillingMethod(method: BillingMethod | null, now: Date, countsAsCustomerChange: boolean): void {
    this.assertNotDissolved();
    // a second change within the hour keeps what pays this hour
    if (this.billingMethodEffectiveFrom.getTime() <= now.getTime())
      this.previousBillingMethod = this.billingMethod;
    this.billingMethod = method?.kind ?? null;
    this.cloudAccountId = method?.kind === 'cloud-account' ? method.cloudAccountId : null;
    this.billingMethodEffectiveFrom = nextHour(now);
    if (countsAsCustomerChange) this.lastBillingMethodChangeAt = now;
  }

  /** Locks take effect immediately. An existing lock is kept: its reason and grace were set first. */
  applyLock(reason: LockReason, now: Date, graceMs: number, cloudAccountId: string | null = null): boolean {
    this.assertNotDissolved();
    if (this.isLocked) return false;
    this.lockReason = reason;
    this.lockedAt = now;
    this.lockGraceEndsAt = addMs(now, graceMs);
    this.fullyLockedAt = null;
    this.lockCloudAccountId = cloudAccountId;
    return true;
  }

  clearLock(): void {
    if (!this.isLocked) {
      throw new ConflictError('workspace-not-locked', `Workspace "${this.id}" is not locked.`, {
        workspaceId: this.id,
      });
    }
    this.lockReason = null;
    this.lockedAt = null;
    this.lockGraceEndsAt = null;
    this.fullyLockedAt = null;
    this.lockCloudAccountId = null;
  }

  markFullyLocked(now: Date): boolean {
    if (!this.isLocked || this.isFullyLocked || this.isDissolved) return false;
    if (this.lockGraceEndsAt && this.lockGraceEndsAt.getTime() > now.getTime()) return false;
    this.fullyLockedAt = now;
    return true;
  }

  dissolve(now: Date): void {
    this.assertNotDissolved();
    this.dissolvedAt = now;
    this.billingMethod = null;
    this.cloudAccountId = null;
    this.billingMethodEffectiveFrom = nextHour(now);
  }

  rename(name: unknown): void {
    this.assertNotDissolved();
    this.name = requireText('name', name, { max: 100 });
  }
}

type MethodNames =
  | 'method'
  | 'lock'
  | 'isLocked'
  | 'isFullyLocked'
  | 'isDissolved'
  | 'assertNotDissolved'
  | 'setBillingMethod'
  | 'applyLock'
  | 'clearLock'
  | 'markFullyLocked'
  | 'dissolve'
  | 'rename';
