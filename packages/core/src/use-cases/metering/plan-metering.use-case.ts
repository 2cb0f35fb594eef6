import type { CloudAccount } from '../../domain/cloud-account/cloud-account.js';
import { MeteringRecord, meteringDeadline } from '../../domain/metering/metering-record.js';
import { allocate, rateHour } from '../../domain/metering/rating.js';
import { RatingState } from '../../domain/metering/rating-state.js';
import { HOUR_MS, hourStart } from '../../shared/time.js';
import type { CoreContext } from '../core-context.js';
import { Journal } from '../support/journal.js';

export interface PlanSummary {
  accounts: number;
  hours: number;
  records: number;
}

/**
 * Seal every completed UTC hour of every meterable cloud account: one record per dimension (quantity 0 when
 * there was no usage), built from the pending usage the account pays for, with per-workspace allocations.
 * Usage that arrived after its hour was sealed is pending too, so it lands in the next open hour. Hours are
 * sealed in order, one transaction each; a crash loses at most the hour in progress, which is redone.
 * On unsubscribe-pending the current partial hour is sealed at once (the final records).
 */
export class PlanMetering {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { limit?: number; pageSize?: number } = {}): Promise<PlanSummary> {
    const summary: PlanSummary = { accounts: 0, hours: 0, records: 0 };
    const now = this.ctx.clock.now();
    const pageSize = input.pageSize ?? 500;
    let afterId: string | null = null;
    let remaining = input.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const page: CloudAccount[] = await this.ctx.uow.transaction((tx) =>
        tx.cloudAccounts.listDueForMetering(now, Math.min(pageSize, remaining), afterId),
      );
      if (page.length === 0) break;
      for (const ca of page) {
        const s = await this.planAccount(ca.id, now);
        summary.accounts += 1;
        summary.hours += s.hours;
        summary.records += s.records;
      }
      afterId = (page[page.length - 1] as CloudAccount).id;
      remaining -= page.length;
    }
    return summary;
  }

  /** Seal all due hours of one account. */
  async planAccount(
    cloudAccountId: string,
    now: Date = this.ctx.clock.now(),
  ): Promise<{ hours: number; records: number }> {
    let hours = 0;
    let records = 0;
    for (;;) {
      const n = await this.sealNextHour(cloudAccountId, now);
      if (n === null) return { hours, records };
      hours += 1;
      records += n;
    }
  }

  /** Seal the account's next due hour; null when none is due. Returns the number of records sealed. */
  async sealNextHour(cloudAccountId: string, now: Date): Promise<number | null> {
    const { catalog, ids } = this.ctx;
    return this.ctx.uow.transaction(async (tx) => {
      const ca = await tx.cloudAccounts.get(cloudAccountId);
      if (!ca || !ca.isMeterable) return null;
      const hour = ca.nextHourToMeter;
      const completed = hour.getTime() + HOUR_MS <= now.getTime();
      const flushHour = ca.finalFlushRequestedAt ? hourStart(ca.finalFlushRequestedAt) : null;
      const isFinal = !completed && flushHour !== null && hour.getTime() <= flushHour.getTime();
      if (!completed && !isFinal) return null;

      const usage = await tx.usage.listPendingForPayer(ca.id, hour);
      const wsIds = [...new Set(usage.map((u) => u.workspaceId))];
      const sites = new Map((await tx.workspaces.getMany(wsIds)).map((w) => [w.id, w.siteId]));
      const states = new Map(
        (await tx.ratingStates.listForCloudAccount(ca.id, wsIds)).map((s) => [
          `${s.workspaceId}|${s.itemCode}`,
          s,
        ]),
      );
      const rated = rateHour({
        catalog,
        partition: ca.partition,
        hour,
        siteOf: (ws) => sites.get(ws) ?? '',
        usage,
        state: (ws, item) => {
          const k = `${ws}|${item}`;
          let s = states.get(k);
          if (!s) {
            s = RatingState.initial(ca.id, ws, item);
            states.set(k, s);
          }
          return s;
        },
      });

      const deadline = meteringDeadline(hour, catalog.meteringWindowHours);
      const recordIdByDimension = new Map<string, string>();
      const sealed: MeteringRecord[] = [];
      for (const [dimension, parts] of rated.byDimension) {
        const { quantity, allocations } = allocate(parts);
        const record = new MeteringRecord({
          id: ids.next(),
          cloudAccountId: ca.id,
          partition: ca.partition,
          productCode: ca.productCode,
          customerIdentifier: ca.customerIdentifier,
          customerAwsAccountId: ca.customerAwsAccountId,
          licenseArn: ca.licenseArn,
          dimension,
          hour,
          quantity,
          allocations,
          status: 'open',
          isFinal,
          attempts: 0,
          lastError: null,
          awsMeteringRecordId: null,
          sealedAt: null,
          resolvedAt: null,
          deadline,
          leaseOwner: null,
          leaseUntil: null,
          nextAttemptAt: null,
          windowAlertedAt: null,
          version: 1,
        });
        record.seal(now);
        sealed.push(record);
        recordIdByDimension.set(dimension, record.id);
      }
      for (const u of usage) {
        const dim = catalog.item(u.itemCode)?.dimension;
        const recordId = dim ? recordIdByDimension.get(dim) : undefined;
        if (recordId) u.markMetered(recordId, hour);
      }
      await tx.metering.addMany(sealed);
      if (usage.length) await tx.usage.saveMany(usage);
      if (rated.touched.length) await tx.ratingStates.saveMany(rated.touched);
      ca.meteredThrough = hour;
      if (isFinal || (flushHour && hour.getTime() >= flushHour.getTime())) ca.finalFlushRequestedAt = null;
      await tx.cloudAccounts.save(ca);
      if (isFinal) {
        const journal = new Journal(ids, now, { type: 'system', process: 'metering' });
        journal.audit(
          'cloud-account.final-usage-sealed',
          { type: 'cloud-account', id: ca.id },
          ca.ownerAccountId,
          {
            hour: hour.toISOString(),
            records: sealed.map((r) => ({ dimension: r.dimension, quantity: r.quantity })),
          },
        );
        await journal.flush(tx);
      }
      return sealed.length;
    });
  }
}
