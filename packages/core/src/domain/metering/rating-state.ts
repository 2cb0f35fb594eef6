/**
 * What rating remembers per (workspace, billing item) of a cloud account: the fraction not yet billed
 * (exact numerator over `denominator`) and, for `max` items, the day's running maximum.
 */
export interface RatingState {
  /** bigint as a decimal string: exact across databases */
  carry: string;
  denominator: string;
  peakDay: string | null;
  peak: number;
}

/**
 * A cloud account's rating states, kept together (ADR 0009): a seal reads and writes all of them at once,
 * in the transaction that moves the account's watermark.
 */
export class RatingBook {
  /** the cloud account's id */
  id!: string;
  /** `workspaceId|itemCode` → state */
  states!: Record<string, RatingState>;
  /** 0: never stored */
  version!: number;

  constructor(props: Omit<RatingBook, 'state' | 'has'>) {
    Object.assign(this, props);
  }

  static key(workspaceId: string, itemCode: string): string {
    return `${workspaceId}|${itemCode}`;
  }

  static empty(cloudAccountId: string): RatingBook {
    return new RatingBook({ id: cloudAccountId, states: {}, version: 0 });
  }

  has(workspaceId: string, itemCode: string): boolean {
    return Object.hasOwn(this.states, RatingBook.key(workspaceId, itemCode));
  }

  /** The state of (workspace, item), started at zero when there is none yet (rating changes it in place). */
  state(workspaceId: string, itemCode: string): RatingState {
    const k = RatingBook.key(workspaceId, itemCode);
    let s = this.states[k];
    if (!s) {
      s = { carry: '0', denominator: '1', peakDay: null, peak: 0 };
      this.states[k] = s;
    }
    return s;
  }
}
