/** Time, injectable so that tests run the limiter and the backoff without waiting. */
export interface Timer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTimer: Timer = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket: `ratePerSecond` tokens a second, at most `capacity` saved up. Callers are served in order
 * (each reserves the next token, then waits for it), so a burst of concurrent calls is spread out evenly
 * instead of retrying against AWS's own limit.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number = Math.max(1, ratePerSecond),
    private readonly timer: Timer = realTimer,
  ) {
    this.tokens = this.capacity;
    this.last = timer.now();
  }

  /** Resolves when the caller may make one call. */
  async take(): Promise<void> {
    const now = this.timer.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= 1; // reserved now, even if it is only earned later: later callers queue behind it
    if (this.tokens >= 0) return;
    await this.timer.sleep((-this.tokens * 1000) / this.ratePerSecond);
  }
}

/** One bucket per (seller account, region): AWS limits calls per account and region. */
export class RateLimiters {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly ratePerSecond: number | null,
    private readonly timer: Timer = realTimer,
  ) {}

  async take(key: string): Promise<void> {
    if (this.ratePerSecond === null) return;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.ratePerSecond, Math.max(1, this.ratePerSecond), this.timer);
      this.buckets.set(key, bucket);
    }
    await bucket.take();
  }
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base·2ⁿ)). */
export function fullJitterDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}
