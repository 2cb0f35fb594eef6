/**
 * One measurement pushed by the observability platform: (workspace, billing item, UTC hour, quantity),
 * idempotent by its key. `status` explains what became of it, so every unit is either metered to AWS or
 * reported as not billable with a reason.
 */
export type UsageStatus =
  /** settled by a cloud account; waits for that account's next open hour */
  | 'pending'
  /** absorbed into a sealed metering record (`meteringRecordId`) */
  | 'metered'
  /** kept and reported; charged by the Billing Center's own balance, outside this product */
  | 'billing-center'
  /** cannot be billed to anyone: `reason` says why */
  | 'not-billable';

export type NotBillableReason =
  | 'no-payer'
  | 'subscription-cancelled'
  | 'subscription-failed'
  | 'workspace-dissolved';

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
  status!: UsageStatus;
  reason!: NotBillableReason | null;
  meteringRecordId!: string | null;
  /** The hour of the metering record that absorbed it: later than `hour` when the usage arrived late. */
  meteredHour!: Date | null;
  version!: number;

  constructor(props: Omit<UsageRecord, 'markMetered' | 'markNotBillable' | 'samePayload'>) {
    Object.assign(this, props);
  }

  markMetered(meteringRecordId: string, hour: Date): void {
    this.status = 'metered';
    this.meteringRecordId = meteringRecordId;
    this.meteredHour = hour;
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
