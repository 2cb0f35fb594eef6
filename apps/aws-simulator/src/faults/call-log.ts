import { inject, injectable } from 'inversify';
import { SimulatorClock } from './simulator-clock.js';

export interface CallLogEntry {
  seq: number;
  at: string;
  /** `AWSMPMeteringService.BatchMeterUsage`, `AWSMPEntitlementService.GetEntitlements`, `SNS.Publish`, ... */
  target: string;
  region: string | null;
  /** Usage records in a BatchMeterUsage call. */
  recordCount: number | null;
  /** `ok`, `error:<AWS error code>`, `fault:throttle`, `fault:server-error`, `fault:lose-response` (applied, response lost). */
  outcome: string;
  /** Per-record statuses of a BatchMeterUsage call (`Success`: 3, `DuplicateRecord`: 1, `Unprocessed`: 0...). */
  statuses: Record<string, number> | null;
}

export interface CallLogQuery {
  target?: string;
  outcome?: string;
  sinceSeq?: number;
}

/** Every API call the simulator answered, newest last; bounded so that a long dev session does not grow forever. */
@injectable()
export class CallLog {
  private entries: CallLogEntry[] = [];
  private seq = 0;
  private readonly limit = 100_000;

  constructor(@inject(SimulatorClock) private readonly clock: SimulatorClock) {}

  record(entry: Omit<CallLogEntry, 'seq' | 'at'>): CallLogEntry {
    this.seq += 1;
    const full = { seq: this.seq, at: this.clock.now().toISOString(), ...entry };
    this.entries.push(full);
    // Trim in chunks: one splice per ten thousand calls rather than one per call.
    if (this.entries.length > this.limit + 10_000) this.entries.splice(0, this.entries.length - this.limit);
    return full;
  }

  query(q: CallLogQuery = {}): CallLogEntry[] {
    return this.entries.filter(
      (e) =>
        (q.target === undefined || e.target === q.target || e.target.startsWith(q.target)) &&
        (q.outcome === undefined || e.outcome === q.outcome || e.outcome.startsWith(q.outcome)) &&
        (q.sinceSeq === undefined || e.seq > q.sinceSeq),
    );
  }

  clear(): void {
    this.entries = [];
  }
}
