/**
 * What rating remembers per (workspace, billing item) of a cloud account: the fraction not yet billed
 * (exact numerator over `denominator`) and, for `max` items, the day's running maximum.
 */
export interface RatingState {
  workspaceId: string;
  itemCode: string;
  /** bigint as a decimal string: exact across databases */
  carry: string;
  denominator: string;
  peakDay: string | null;
  peak: number;
}

/** Books with up to this many states are searched by a scan. */
const SCAN_LIMIT = 16;

/** Lookup by (workspace, item), built on first use; kept beside the book so that copies rebuild their own. */
const indexes = new WeakMap<RatingBook, { of: RatingState[]; byKey: Map<string, RatingState> }>();

/**
 * A cloud account's rating states, kept together (ADR 0009): a seal reads and writes all of them at once,
 * in the transaction that moves the account's watermark. A list, not an object keyed by workspace: keys
 * that differ per account would give every book its own object shape.
 */
export class RatingBook {
  /** the cloud account's id */
  id!: string;
  states!: RatingState[];
  /** 0: never stored */
  version!: number;

  constructor(props: Omit<RatingBook, 'state' | 'find'>) {
    Object.assign(this, props);
  }

  static empty(cloudAccountId: string): RatingBook {
    return new RatingBook({ id: cloudAccountId, states: [], version: 0 });
  }

  find(workspaceId: string, itemCode: string): RatingState | undefined {
    const states = this.states;
    if (states.length <= SCAN_LIMIT) {
      // most books are small: a scan is faster than building and keeping an index
      for (let i = 0; i < states.length; i++) {
        const s = states[i] as RatingState;
        if (s.workspaceId === workspaceId && s.itemCode === itemCode) return s;
      }
      return undefined;
    }
    let index = indexes.get(this);
    if (!index || index.of !== states || index.byKey.size !== states.length) {
      index = { of: states, byKey: new Map(states.map((s) => [`${s.workspaceId}|${s.itemCode}`, s])) };
      indexes.set(this, index);
    }
    return index.byKey.get(`${workspaceId}|${itemCode}`);
  }

  /** The state of (workspace, item), started at zero when there is none yet (rating changes it in place). */
  state(workspaceId: string, itemCode: string): RatingState {
    let s = this.find(workspaceId, itemCode);
    if (!s) {
      s = { workspaceId, itemCode, carry: '0', denominator: '1', peakDay: null, peak: 0 };
      this.states.push(s);
      indexes.get(this)?.byKey.set(`${workspaceId}|${itemCode}`, s);
    }
    return s;
  }
}
