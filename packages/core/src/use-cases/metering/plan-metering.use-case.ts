import {
  type CloudAccount,
  dueHour,
  type MeteringSchedule,
} from '../../domain/cloud-account/cloud-account.js';
import { MeteringRecord, meteringDeadline } from '../../domain/metering/metering-record.js';
import { allocate, rateHour } from '../../domain/metering/rating.js';
import { RatingBook } from '../../domain/metering/rating-state.js';
import type { UsageRecord } from '../../domain/usage/usage-record.js';
import type { PendingUsage, TransactionContext, UsageWatermark } from '../../ports/repositories.js';
import { isDomainError } from '../../shared/domain-error.js';
import { requireWholeNumber } from '../../shared/guard.js';
import { hourStart } from '../../shared/time.js';
import type { CoreContext } from '../core-context.js';
import { Journal } from '../support/journal.js';

/** Pending usage of a billing item the catalog no longer has, met by a seal. */
interface Unrated {
  ca: CloudAccount;
  /** the account's watermark before the seal */
  before: UsageWatermark;
  hour: Date;
  usageId: string;
  itemCode: string;
}

export interface PlanSummary {
  accounts: number;
  hours: number;
  records: number;
}

/**
 * Seal every completed UTC hour of every meterable cloud account: one record per dimension (quantity 0 when
 * there was no usage), built from the pending usage the account pays for, with per-workspace allocations.
 * Usage that arrived after its hour was sealed is still pending, so it lands in the next open hour.
 *
 * Accounts due for the same hour are sealed together, one transaction per batch (bulk reads and writes, so
 * a database does a few queries per batch, not per account); each account's hours are sealed in order. A
 * crash loses at most the batch in progress, which is redone. A batch that meets a concurrent planner is
 * rolled back and its accounts are retried one by one. On unsubscribe-pending the current partial hour is
 * sealed at once (the final records).
 */
export class PlanMetering {
  constructor(private readonly ctx: CoreContext) {}

  /**
   * `concurrency` batches are sealed at once, each in its own transaction on disjoint accounts: one is read
   * and rated while the database writes another, as several workers would do. The defaults (400 accounts a
   * batch, 3 at once) are the measured best on PostgreSQL for speed within 300 MB. Where transactions do not
   * overlap (the unit of work says so: in memory, SQLite) the default is 1 at a time: there, batches
   * interleaved on the one thread gain nothing and cost conflicts, re-checks and memory (measured in
   * memory: about 15% slower at 3; on SQLite the same speed).
   */
  async execute(
    input: { limit?: number; batchSize?: number; concurrency?: number } = {},
  ): Promise<PlanSummary> {
    const summary: PlanSummary = { accounts: 0, hours: 0, records: 0 };
    const now = this.ctx.clock.now();
    const batchSize = requireWholeNumber('batchSize', input.batchSize ?? 400);
    const concurrency = requireWholeNumber(
      'concurrency',
      input.concurrency ?? (this.ctx.uow.overlapsTransactions ? 3 : 1),
    );
    const touched = new Set<string>();
    let remaining =
      input.limit === undefined ? Number.POSITIVE_INFINITY : requireWholeNumber('limit', input.limit);
    // Each pass seals one hour per due account; accounts behind by several hours come round again.
    for (;;) {
      let sealedThisPass = 0;
      /** whether an account sealed in this pass still has a due hour (it was behind by several) */
      let moreDue = false;
      let afterId: string | null = null;
      /** accounts handed to batches still running: the limit holds them until they are counted */
      let reserved = 0;
      const running = new Set<Promise<void>>();
      let failure: { error: unknown } | null = null;
      const start = (ids: string[]) => {
        reserved += ids.length;
        // A batch's accounts leave `reserved` in the same step as they are counted off `remaining`: in
        // between, the limit would count them twice and stop the pass short of it.
        const settled = () => {
          reserved -= ids.length;
          running.delete(job);
        };
        const job: Promise<void> = this.sealBatchOrEach(ids, now).then(
          (r) => {
            sealedThisPass += r.hours;
            moreDue ||= r.moreDue;
            summary.hours += r.hours;
            summary.records += r.records;
            for (const id of r.accountIds) {
              if (!touched.has(id)) {
                touched.add(id);
                remaining -= 1;
              }
            }
            settled();
          },
          (error) => {
            failure ??= { error };
            settled();
          },
        );
        running.add(job);
      };
      while (remaining - reserved > 0 && !failure) {
        const page: MeteringSchedule[] = await this.ctx.uow.read((tx) =>
          tx.cloudAccounts.listDueForMetering(now, Math.min(batchSize, remaining - reserved), afterId),
        );
        if (page.length === 0) break;
        afterId = (page[page.length - 1] as MeteringSchedule).id;
        const groups = new Map<string, string[]>();
        for (const ca of page) {
          const due = dueHour(ca, now);
          if (!due) continue;
          const key = `${due.hour.getTime()}|${due.isFinal}`;
          const group = groups.get(key);
          if (group) group.push(ca.id);
          else groups.set(key, [ca.id]);
        }
        for (const ids of groups.values()) {
          while (running.size >= concurrency) await Promise.race(running);
          if (failure) break;
          start(ids);
        }
      }
      await Promise.all(running);
      if (failure) throw (failure as { error: unknown }).error;
      if (sealedThisPass === 0 || !moreDue || remaining <= 0) break;
    }
    summary.accounts = touched.size;
    return summary;
  }

  private async sealBatchOrEach(ids: string[], now: Date) {
    try {
      return await this.sealBatch(ids, now);
    } catch (e) {
      if (!isDomainError(e) || e.kind !== 'conflict' || ids.length === 1) throw e;
      // Another planner got some of these first: retry one by one so the rest still gets sealed.
      const total = { hours: 0, records: 0, accountIds: [] as string[], moreDue: false };
      for (const id of ids) {
        const r = await this.sealBatch([id], now).catch((err) => {
          if (isDomainError(err) && err.kind === 'conflict')
            return { hours: 0, records: 0, accountIds: [], moreDue: false };
          throw err;
        });
        total.hours += r.hours;
        total.records += r.records;
        total.accountIds.push(...r.accountIds);
        total.moreDue ||= r.moreDue;
      }
      return total;
    }
  }

  /**
   * Usage whose billing item was removed from the catalog after it was stored cannot be rated. The seal's
   * watermark moves past it, so it is marked not billable (`billing-item-not-in-catalog`), audited, and
   * the operators are told: never absorbed as if it had been billed. Rare: only then are usage rows written.
   */
  private async reportUnrated(
    tx: TransactionContext,
    unrated: readonly Unrated[],
    journal: Journal,
  ): Promise<void> {
    const byAccount = new Map<string, Unrated & { ids: Set<string>; items: Set<string> }>();
    for (const u of unrated) {
      const entry = byAccount.get(u.ca.id) ?? { ...u, ids: new Set<string>(), items: new Set<string>() };
      entry.ids.add(u.usageId);
      entry.items.add(u.itemCode);
      byAccount.set(u.ca.id, entry);
    }
    const rows: UsageRecord[] = [];
    for (const { ca, before, hour, ids, items } of byAccount.values()) {
      const mine = (await tx.usage.listPendingForPayers([before], hour)).filter((u) => ids.has(u.id));
      for (const u of mine) u.markNotBillable('billing-item-not-in-catalog');
      rows.push(...mine);
      const details = {
        hour: hour.toISOString(),
        usageRecords: mine.length,
        itemCodes: [...items].sort(),
      };
      journal.audit('usage.not-billable', { type: 'cloud-account', id: ca.id }, ca.ownerAccountId, {
        ...details,
        reason: 'billing-item-not-in-catalog',
      });
      journal.alert(
        'usage-item-not-in-catalog',
        'warning',
        `${mine.length} usage record(s) of cloud account ${ca.id} up to ${hour.toISOString()} are for billing items no longer in the pricing catalog (${details.itemCodes.join(', ')}); they were not billed. Put the items back in the catalog before their usage is sealed to bill it.`,
        { cloudAccountId: ca.id, ...details },
      );
    }
    await tx.usage.saveMany(rows);
  }

  /** Seal the next due hour of each account in one transaction. */
  async sealBatch(
    ids: readonly string[],
    now: Date,
  ): Promise<{ hours: number; records: number; accountIds: string[]; moreDue: boolean }> {
    const { catalog, ids: idGen } = this.ctx;
    return this.ctx.uow.transaction(async (tx) => {
      // held until commit: usage being stored for these accounts right now is committed before we read
      const due = (await tx.cloudAccounts.getManyForMetering(ids))
        .map((ca) => ({ ca, due: dueHour(ca, now) }))
        .filter((x): x is { ca: CloudAccount; due: { hour: Date; isFinal: boolean } } => x.due !== null);
      if (due.length === 0) return { hours: 0, records: 0, accountIds: [], moreDue: false };
      const upTo = new Date(Math.max(...due.map((d) => d.due.hour.getTime())));
      const usageByPayer = new Map<string, PendingUsage[]>();
      for (const u of await tx.usage.listPendingReadings(
        due.map((d) => d.ca),
        upTo,
      )) {
        const list = usageByPayer.get(u.payerCloudAccountId as string) ?? [];
        list.push(u);
        usageByPayer.set(u.payerCloudAccountId as string, list);
      }
      const workspaceIds = new Set<string>();
      for (const list of usageByPayer.values()) for (const u of list) workspaceIds.add(u.workspaceId);
      const sites = await tx.workspaces.sitesOf([...workspaceIds]);
      const books = new Map((await tx.ratingBooks.getMany(due.map((d) => d.ca.id))).map((b) => [b.id, b]));

      const sealed: MeteringRecord[] = [];
      const touchedBooks: RatingBook[] = [];
      const journal = new Journal(idGen, now, { type: 'system', process: 'metering' });
      /** usage of billing items no longer in the catalog: it cannot be rated, so it is reported not billable */
      const unrated: Unrated[] = [];
      // rating's look-ups, made once for the batch: the book is the account's in hand
      let book = RatingBook.empty('');
      const siteOf = (ws: string) => sites.get(ws) ?? '';
      const state = (ws: string, item: string) => book.state(ws, item);
      // accounts of a batch are mostly due for the same hour: its deadline is worked out once
      let deadlineOf: { hour: number; deadline: Date } = { hour: Number.NaN, deadline: now };
      for (const { ca, due: d } of due) {
        const usage = (usageByPayer.get(ca.id) ?? []).filter((u) => u.hour.getTime() <= d.hour.getTime());
        book = books.get(ca.id) ?? RatingBook.empty(ca.id);
        const rated = rateHour({ catalog, partition: ca.partition, hour: d.hour, siteOf, usage, state });
        if (rated.unrated.length) {
          // the watermark as it is before this seal moves it: that usage is still pending below it
          const before = {
            id: ca.id,
            meteredThrough: ca.meteredThrough,
            meteredUsageSeq: ca.meteredUsageSeq,
          };
          for (const u of rated.unrated)
            unrated.push({ ca, before, hour: d.hour, usageId: u.id, itemCode: u.itemCode });
        }
        if (rated.touched.length) touchedBooks.push(book);
        if (deadlineOf.hour !== d.hour.getTime())
          deadlineOf = {
            hour: d.hour.getTime(),
            deadline: meteringDeadline(d.hour, catalog.meteringWindowHours),
          };
        const deadline = deadlineOf.deadline;
        // The new watermark: everything pending up to this hour, as far as it was stored (ADR 0009).
        let throughSeq = ca.meteredUsageSeq;
        for (const u of usage) if (u.seq !== null && u.seq > throughSeq) throughSeq = u.seq;
        const mine: MeteringRecord[] = [];
        for (const [dimension, parts] of rated.byDimension) {
          const { quantity, allocations } = allocate(parts);
          const record = new MeteringRecord({
            id: idGen.next(),
            cloudAccountId: ca.id,
            partition: ca.partition,
            productCode: ca.productCode,
            customerIdentifier: ca.customerIdentifier,
            customerAwsAccountId: ca.customerAwsAccountId,
            licenseArn: ca.licenseArn,
            dimension,
            hour: d.hour,
            quantity,
            allocations,
            status: 'open',
            isFinal: d.isFinal,
            attempts: 0,
            unansweredSends: 0,
            lastError: null,
            awsMeteringRecordId: null,
            sealedAt: null,
            resolvedAt: null,
            deadline,
            leaseOwner: null,
            leaseUntil: null,
            nextAttemptAt: null,
            windowAlertedAt: null,
            usageAfterHour: ca.meteredThrough,
            usageAfterSeq: ca.meteredUsageSeq,
            usageThroughSeq: throughSeq,
            version: 1,
          });
          record.seal(now);
          mine.push(record);
        }
        sealed.push(...mine);
        // The usage is absorbed by moving the account's watermark: no usage row is written.
        ca.meteredThrough = d.hour;
        ca.meteredUsageSeq = throughSeq;
        const flushHour = ca.finalFlushRequestedAt ? hourStart(ca.finalFlushRequestedAt) : null;
        if (flushHour && d.hour.getTime() >= flushHour.getTime()) ca.finalFlushRequestedAt = null;
        if (d.isFinal) {
          journal.audit(
            'cloud-account.final-usage-sealed',
            { type: 'cloud-account', id: ca.id },
            ca.ownerAccountId,
            {
              hour: d.hour.toISOString(),
              records: mine.map((r) => ({ dimension: r.dimension, quantity: r.quantity })),
            },
          );
        }
      }
      if (unrated.length) await this.reportUnrated(tx, unrated, journal);
      await tx.cloudAccounts.saveMany(due.map((d) => d.ca));
      await tx.metering.addMany(sealed);
      if (touchedBooks.length) await tx.ratingBooks.saveMany(touchedBooks);
      await journal.flush(tx);
      return {
        hours: due.length,
        records: sealed.length,
        accountIds: due.map((d) => d.ca.id),
        moreDue: due.some((d) => dueHour(d.ca, now) !== null),
      };
    });
  }
}
