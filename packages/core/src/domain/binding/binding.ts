/**
 * The period during which a workspace is settled by a cloud account: `[from, to)` in whole UTC hours.
 * Bindings are history; they are closed, never rewritten, and never change hours that have begun.
 */
export type BindingEndReason =
  | 'billing-method-changed'
  | 'subscription-cancelled'
  | 'subscription-failed'
  | 'workspace-dissolved'
  | 'operator';

export class Binding {
  id!: string;
  workspaceId!: string;
  cloudAccountId!: string;
  from!: Date;
  to!: Date | null;
  endReason!: BindingEndReason | null;
  createdAt!: Date;
  version!: number;

  constructor(props: Omit<Binding, 'covers' | 'close'>) {
    Object.assign(this, props);
  }

  covers(hour: Date): boolean {
    const h = hour.getTime();
    return this.from.getTime() <= h && (this.to === null || h < this.to.getTime());
  }

  close(at: Date, reason: BindingEndReason): void {
    if (this.to !== null) return;
    this.to = at.getTime() < this.from.getTime() ? this.from : at;
    this.endReason = reason;
  }
}
