/**
 * One measurement pushed by the observability platform: (workspace, billing item, UTC hour, quantity),
 * idempotent by its key. `status` explains what became of it, so every unit is either metered to AWS or
 * reported as not billable with a reason.
 */
export type UsageStatus =
  /**
   * settled by a cloud account. Stored as is; it is *reported* as `metered` once a sealed hour of the payer
   * absorbed it (`CloudAccount.hasMetered`: the payer's watermark, not a per-row update — ADR 0009)
   */
  | 'pending'
  /** reported only: absorbed into a sealed metering record of its payer */
  | 'metered'
  /** kept and reported; charged by the Billing Center's own balance, outside this product */
  | 'billing-center'
  /** cannot be billed to anyone: `reason` says why */
  | 'not-billable';

export type NotBillableReason =
  | 'no-payer'
  | 'subscription-cancelled'
  | 'subscription-failed'
  | 'workspace-dissolved'
  /** its billing item was removed from the pricing catalog before its hour was sealed */
  | 'billing-item-not-in-catalog';

export class UsageRecord {
  id!: string;
  idempotencyKey!: string;
  workspaceId!: string;
  itemCode!: string;
  hour!: Date;
  quantity!: number;
  receivedAt!: Date;
  /** The cloud account that paid for the workspace in `hour`, fixed at ingestion (bindings never change past hours). */
  payerCloudAccountId!: string | null;
  /**
   * Stored: `pending`, `billing-center` or `not-billable`; `metered` is reported (`reportedStatus`). Rows
   * metered before ADR 0009 keep a stored `metered`, which they are reported as.
   */
  status!: UsageStatus;
  reason!: NotBillableReason | null;
  /**
   * Position in the order usage was stored, assigned by the store when the row is committed (null before):
   * strictly increasing, so a payer's seal can say "everything up to here" in one number (ADR 0009).
   */
  seq!: number | null;
  version!: number;

  constructor(props: Omit<UsageRecord, 'markNotBillable' | 'samePayload' | 'reportedStatus'>) {
    Object.assign(this, props);
  }

  /** What became of it, given its payer's current state (null: no payer, or unknown). */
  reportedStatus(payer: { hasMetered(u: UsageRecord): boolean } | null): UsageStatus {
    return this.status === 'pending' && payer?.hasMetered(this) ? 'metered' : this.status;
  }

  markNotBillable(reason: NotBillableReason): void {
    this.status = 'not-billable';
    this.reason = reason;
  }

  samePayload(o: { workspaceId: string; itemCode: string; hour: Date; quantity: number }): boolean {
    return (
      this.workspaceId === o.workspaceId &&
      this.itemCode === o.itemCode &&
      this.hour.getTime() === o.hour.getTime() &&
      this.quantity === o.quantity
    );
  }
}
