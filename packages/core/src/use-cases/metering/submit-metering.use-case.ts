import type { MeteringRecord, MeteringResult } from '../../domain/metering/metering-record.js';
import { requireWholeNumber } from '../../shared/guard.js';
import { HOUR_MS } from '../../shared/time.js';
import type { CoreContext } from '../core-context.js';
import { Journal } from '../support/journal.js';

export interface SubmitSummary {
  claimed: number;
  expired: number;
  accepted: number;
  duplicate: number;
  customerNotSubscribed: number;
  rejected: number;
  retry: number;
  /** records whose outcome is unknown (the gateway threw): they stay leased and are re-sent identically */
  unknown: number;
}

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 5 * 60_000;

/**
 * Send sealed records to AWS: claim (lease) a batch, let the gateway submit it, record each result.
 * Records past their deadline are expired with an alert, never silently dropped; records close to it raise
 * one warning. A lost response leaves the records leased; after the lease they are sent again, identical,
 * and AWS answers Success or DuplicateRecord — both mean billed.
 */
export class SubmitMetering {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { workerId: string; limit?: number }): Promise<SubmitSummary> {
    const summary: SubmitSummary = {
      claimed: 0,
      expired: 0,
      accepted: 0,
      duplicate: 0,
      customerNotSubscribed: 0,
      rejected: 0,
      retry: 0,
      unknown: 0,
    };
    const claimed = await this.claim(
      input.workerId,
      requireWholeNumber('limit', input.limit ?? 250),
      summary,
    );
    if (claimed.length === 0) return summary;
    let results: MeteringResult[];
    try {
      results = await this.ctx.meteringGateway.submit(claimed);
    } catch {
      summary.unknown = claimed.length;
      return summary;
    }
    await this.apply(input.workerId, results, summary);
    return summary;
  }

  /**
   * Lease up to `limit` claimable records to `workerId`; expire and warn on the way. Expired records take
   * no sending slot: reading goes on until the batch is full or nothing claimable is left.
   */
  async claim(workerId: string, limit: number, summary?: SubmitSummary): Promise<MeteringRecord[]> {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    return ctx.uow.transaction(async (tx) => {
      const journal = new Journal(ctx.ids, now, { type: 'system', process: `metering:${workerId}` });
      const leased: MeteringRecord[] = [];
      for (let round = 0; round < 50 && leased.length < limit; round++) {
        const batch = await tx.metering.listClaimable(now, limit - leased.length);
        if (batch.length === 0) break;
        let expired = 0;
        for (const r of batch) {
          if (now.getTime() >= r.deadline.getTime()) {
            r.expire(now);
            expired += 1;
            if (summary) summary.expired += 1;
            journal.audit(
              'metering-record.expired',
              { type: 'metering-record', id: r.id },
              null,
              recordDetails(r),
            );
            journal.alert(
              r.outcomeUnknown ? 'metering-outcome-unknown' : 'metering-record-expired',
              'critical',
              r.outcomeUnknown
                ? `Metering record ${r.dimension} ${r.hour.toISOString()} of cloud account ${r.cloudAccountId} reached its deadline after a send whose answer was lost; AWS may or may not have billed ${r.quantity} units — check the seller reports.`
                : `Metering record ${r.dimension} ${r.hour.toISOString()} of cloud account ${r.cloudAccountId} was not accepted by AWS before its deadline; ${r.quantity} units were not billed.`,
              recordDetails(r),
            );
            continue;
          }
          if (
            !r.windowAlertedAt &&
            r.deadline.getTime() - now.getTime() <= ctx.config.meteringDeadlineWarningHours * HOUR_MS
          ) {
            r.windowAlertedAt = now;
            journal.alert(
              'metering-record-near-deadline',
              'warning',
              `Metering record ${r.dimension} ${r.hour.toISOString()} of cloud account ${r.cloudAccountId} is still not accepted; AWS stops accepting it at ${r.deadline.toISOString()}.`,
              recordDetails(r),
            );
          }
          r.lease(workerId, new Date(now.getTime() + ctx.config.meteringLeaseSeconds * 1000));
          leased.push(r);
        }
        await tx.metering.saveMany(batch); // leased and expired rows are no longer claimable
        if (expired === 0) break;
      }
      await journal.flush(tx);
      if (summary) summary.claimed = leased.length;
      return leased;
    });
  }

  /** Record the gateway's results for records this worker still holds. */
  async apply(workerId: string, results: readonly MeteringResult[], summary?: SubmitSummary): Promise<void> {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    await ctx.uow.transaction(async (tx) => {
      const journal = new Journal(ctx.ids, now, { type: 'aws' });
      const byId = new Map((await tx.metering.getMany(results.map((r) => r.recordId))).map((r) => [r.id, r]));
      const changed: MeteringRecord[] = [];
      for (const result of results) {
        const r = byId.get(result.recordId);
        // Another worker took the record over after our lease ran out and already settled it.
        if (!r || r.status !== 'submitted' || r.leaseOwner !== workerId) continue;
        const withBackoff: MeteringResult =
          (result.outcome === 'retry' || result.outcome === 'unknown') && result.retryAfterMs === undefined
            ? { ...result, retryAfterMs: backoff(r.attempts) }
            : result;
        r.apply(withBackoff, now);
        changed.push(r);
        if (summary) {
          const k = result.outcome === 'customer-not-subscribed' ? 'customerNotSubscribed' : result.outcome;
          summary[k] += 1;
        }
        if (result.outcome === 'duplicate') {
          // DESIGN §4 counts it as billed. AWS answers an identical re-send with Success, so DuplicateRecord
          // means AWS already holds another quantity for this hour (sent by someone else): say so.
          journal.alert(
            'metering-duplicate-record',
            'warning',
            `AWS already holds a different quantity for ${r.dimension} ${r.hour.toISOString()} of cloud account ${r.cloudAccountId}; the sealed ${r.quantity} units were not taken — check who else meters this customer.`,
            recordDetails(r),
          );
        }
        if (result.outcome === 'customer-not-subscribed' || result.outcome === 'rejected') {
          journal.audit(`metering-record.${result.outcome}`, { type: 'metering-record', id: r.id }, null, {
            ...recordDetails(r),
            error: r.lastError,
          });
          journal.alert(
            result.outcome === 'rejected' ? 'metering-record-rejected' : 'metering-customer-not-subscribed',
            'critical',
            `AWS ${result.outcome === 'rejected' ? `rejected metering record (${r.lastError})` : 'says the customer is not subscribed'} for ${r.dimension} ${r.hour.toISOString()} of cloud account ${r.cloudAccountId}; ${r.quantity} units were not billed.`,
            { ...recordDetails(r), error: r.lastError },
          );
        }
      }
      if (changed.length) await tx.metering.saveMany(changed);
      await journal.flush(tx);
    });
  }
}

/** Exponential back-off with full jitter. */
function backoff(attempts: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.floor(ceiling / 2 + (Math.random() * ceiling) / 2);
}

function recordDetails(r: MeteringRecord): Record<string, unknown> {
  return {
    recordId: r.id,
    cloudAccountId: r.cloudAccountId,
    dimension: r.dimension,
    hour: r.hour.toISOString(),
    quantity: r.quantity,
    deadline: r.deadline.toISOString(),
  };
}
