import { injectable } from 'inversify';

/** What a call suffers before (or after) the simulator handles it. */
export type CallFault = 'throttle' | 'rate-limit' | 'server-error' | 'lose-response';

export interface FaultSettings {
  /** Probability (0..1) that an API call answers ThrottlingException / Throttling. */
  throttleRate: number;
  /** Probability that an API call answers HTTP 500 InternalServiceErrorException / InternalError. */
  serverErrorRate: number;
  /** Probability that an API call is applied and then its connection is destroyed without a response. */
  loseResponseRate: number;
  /** Deterministic versions of the three rates: the next N calls suffer the fault. */
  throttleNext: number;
  serverErrorNext: number;
  loseResponseNext: number;
  /** The next N usage records (across calls) come back in UnprocessedRecords. */
  unprocessedNextRecords: number;
  /** Only calls whose target (`AWSMPMeteringService.BatchMeterUsage`, `SNS.Publish`, ...) starts with one of these suffer faults; empty: all. */
  targets: string[];
  /** Probability that an SNS delivery is sent twice; and the deterministic version. */
  snsDuplicateRate: number;
  snsDuplicateNext: number;
  /** The next N SNS deliveries (per subscription) are held and then delivered in reverse order. */
  snsReorderNext: number;
  /**
   * AWS's request rate limit: calls per second per caller (access key) and region, with a one-second burst;
   * calls beyond it answer ThrottlingException. null: no limit (the default).
   */
  callsPerSecond: number | null;
  /** Seed of the generator behind the rates, for reproducible runs; null: Math.random. */
  seed: number | null;
}

export const NO_FAULTS: FaultSettings = {
  throttleRate: 0,
  serverErrorRate: 0,
  loseResponseRate: 0,
  throttleNext: 0,
  serverErrorNext: 0,
  loseResponseNext: 0,
  unprocessedNextRecords: 0,
  targets: [],
  snsDuplicateRate: 0,
  snsDuplicateNext: 0,
  snsReorderNext: 0,
  callsPerSecond: null,
  seed: null,
};

const RATES = ['throttleRate', 'serverErrorRate', 'loseResponseRate', 'snsDuplicateRate'] as const;
const COUNTS = [
  'throttleNext',
  'serverErrorNext',
  'loseResponseNext',
  'unprocessedNextRecords',
  'snsDuplicateNext',
  'snsReorderNext',
] as const;

/** Holds the fault settings and draws from them; counters are consumed as calls happen. */
@injectable()
export class FaultInjector {
  private settings: FaultSettings = { ...NO_FAULTS, targets: [] };
  private random: () => number = Math.random;
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  current(): FaultSettings {
    return { ...this.settings, targets: [...this.settings.targets] };
  }

  /** Merges a partial update; refuses out-of-range values so a typo does not silently disable a test. */
  update(patch: Record<string, unknown>): FaultSettings {
    const next = { ...this.settings };
    for (const [key, value] of Object.entries(patch)) {
      if ((RATES as readonly string[]).includes(key)) {
        if (typeof value !== 'number' || !(value >= 0 && value <= 1))
          throw new RangeError(`${key} must be 0..1`);
        next[key as (typeof RATES)[number]] = value;
      } else if ((COUNTS as readonly string[]).includes(key)) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
          throw new RangeError(`${key} must be a non-negative integer`);
        next[key as (typeof COUNTS)[number]] = value;
      } else if (key === 'targets') {
        if (!Array.isArray(value) || !value.every((t) => typeof t === 'string'))
          throw new RangeError('targets must be a list of strings');
        next.targets = [...value];
      } else if (key === 'callsPerSecond') {
        if (value !== null && (typeof value !== 'number' || !(value > 0)))
          throw new RangeError('callsPerSecond must be a positive number or null');
        next.callsPerSecond = value;
        this.buckets.clear();
      } else if (key === 'seed') {
        if (value !== null && (typeof value !== 'number' || !Number.isInteger(value)))
          throw new RangeError('seed must be an integer or null');
        next.seed = value;
        this.random = value === null ? Math.random : mulberry32(value);
      } else {
        throw new RangeError(`unknown fault setting ${key}`);
      }
    }
    this.settings = next;
    return this.current();
  }

  reset(): void {
    this.settings = { ...NO_FAULTS, targets: [] };
    this.random = Math.random;
    this.buckets.clear();
  }

  /**
   * The fault, if any, that this call suffers. Deterministic counters go first, then the rate limit of the
   * caller (`<access key>/<region>`), then the rates.
   */
  drawCallFault(target: string, caller = 'anonymous'): CallFault | null {
    const s = this.settings;
    if (s.targets.length > 0 && !s.targets.some((t) => target.startsWith(t))) return null;
    if (s.throttleNext > 0) {
      s.throttleNext -= 1;
      return 'throttle';
    }
    if (s.serverErrorNext > 0) {
      s.serverErrorNext -= 1;
      return 'server-error';
    }
    if (s.callsPerSecond !== null && !this.takeToken(caller, s.callsPerSecond)) return 'rate-limit';
    if (s.throttleRate > 0 && this.random() < s.throttleRate) return 'throttle';
    if (s.serverErrorRate > 0 && this.random() < s.serverErrorRate) return 'server-error';
    return null;
  }

  /** A token bucket per caller, refilled continuously at `rate` per second up to `rate` tokens. */
  private takeToken(caller: string, rate: number): boolean {
    const now = Date.now();
    const bucket = this.buckets.get(caller) ?? { tokens: rate, atMs: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.atMs) / 1000) * rate);
    bucket.atMs = now;
    this.buckets.set(caller, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Whether the response of a call that was just applied is lost. */
  drawLostResponse(target: string): boolean {
    const s = this.settings;
    if (s.targets.length > 0 && !s.targets.some((t) => target.startsWith(t))) return false;
    if (s.loseResponseNext > 0) {
      s.loseResponseNext -= 1;
      return true;
    }
    return s.loseResponseRate > 0 && this.random() < s.loseResponseRate;
  }

  /** Whether the next usage record is returned unprocessed. */
  drawUnprocessedRecord(): boolean {
    if (this.settings.unprocessedNextRecords > 0) {
      this.settings.unprocessedNextRecords -= 1;
      return true;
    }
    return false;
  }

  drawDuplicateDelivery(): boolean {
    const s = this.settings;
    if (s.snsDuplicateNext > 0) {
      s.snsDuplicateNext -= 1;
      return true;
    }
    return s.snsDuplicateRate > 0 && this.random() < s.snsDuplicateRate;
  }

  /** How many deliveries to hold back and reverse, consumed at once (0: deliver in order). */
  takeReorderWindow(): number {
    const n = this.settings.snsReorderNext;
    this.settings.snsReorderNext = 0;
    return n;
  }
}

/** A small seeded generator: the same seed gives the same fault sequence. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
