export interface GroupCommitOptions<I = unknown> {
  /** The most items one commit takes. */
  readonly maxBatch: number;
  /** Commits running at once; items submitted meanwhile wait and go together in the next one. */
  readonly maxInFlight: number;
  /**
   * With `sizeOf`: the most a commit takes by size (an item larger than this alone still goes, by itself),
   * so that a burst of large items never makes one very large statement.
   */
  readonly maxBatchSize?: number;
  readonly sizeOf?: (item: I) => number;
}

interface Waiting<I, O> {
  readonly item: I;
  readonly resolve: (outcome: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while the commits in flight are busy wait and are committed together by the
 * next one, so that a flood of deliveries costs a few transactions instead of one each. When nothing is in
 * flight an item goes at once (after the current turn of the event loop, so that the requests read in the
 * same turn join it): a lone delivery waits for no timer. `submit` resolves with the item's own outcome once
 * its batch has committed; a commit that throws rejects every item of its batch with that error.
 */
export class GroupCommit<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly commit: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly options: GroupCommitOptions<I>,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) {
      throw new Error('GroupCommit needs maxBatch and maxInFlight of at least 1');
    }
  }

  /** Items waiting for a commit plus items in the commits running now. */
  get pending(): number {
    return this.waiting.length + this.inFlight;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.inFlight < this.options.maxInFlight && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Resolves when nothing waits and no commit runs (tests). */
  drained(): Promise<void> {
    if (this.waiting.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.takeCount());
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        if (this.waiting.length > 0) this.flush();
        else if (this.inFlight === 0) {
          for (const resolve of this.idle) resolve();
          this.idle.clear();
        }
      });
    }
  }

  /** How many of the waiting items the next commit takes: up to maxBatch, and up to maxBatchSize by size. */
  private takeCount(): number {
    const { maxBatch, maxBatchSize, sizeOf } = this.options;
    const limit = Math.min(maxBatch, this.waiting.length);
    if (maxBatchSize === undefined || !sizeOf) return limit;
    let size = 0;
    for (let n = 0; n < limit; n += 1) {
      size += sizeOf((this.waiting[n] as Waiting<I, O>).item);
      if (size > maxBatchSize) return Math.max(1, n);
    }
    return limit;
  }

  private async run(batch: Array<Waiting<I, O>>): Promise<void> {
    let outcomes: readonly O[];
    try {
      outcomes = await this.commit(batch.map((w) => w.item));
      if (outcomes.length !== batch.length) {
        throw new Error(`a commit of ${batch.length} items answered ${outcomes.length} outcomes`);
      }
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    for (const [i, w] of batch.entries()) w.resolve(outcomes[i] as O);
  }
}
