import {
  type CloudAccount,
  type CloudAccountRepository,
  type CustomerRef,
  dueHour,
  HOUR_MS,
  licenseIdOf,
  METERABLE_STATES,
  type MeteringSchedule,
} from '@billing-center/core';
import type { FilterQuery } from '@mikro-orm/core';
import { CloudAccountSchema } from '../mapping/entity-schemas.js';
import { Session } from '../session.js';

export class MikroOrmCloudAccountRepository implements CloudAccountRepository {
  constructor(private readonly s: Session) {}
  async get(id: string) {
    const batch = this.s.takeHints('cloud-account', id);
    if (batch) await this.s.getMany(CloudAccountSchema, batch); // read ahead (see Session.hint)
    return this.s.get(CloudAccountSchema, id);
  }
  getMany(ids: readonly string[]) {
    return this.s.getMany(CloudAccountSchema, ids);
  }
  /** Locked for update (PostgreSQL), after any usage write holding one of them commits (see the port). */
  getManyForMetering(ids: readonly string[]) {
    return this.getManyLocked(ids, 'update');
  }
  /** Share-locked (PostgreSQL), against a cancellation's or a seal's update (see the port). */
  getManyForUsage(ids: readonly string[]) {
    return this.getManyLocked(ids, 'share');
  }
  /**
   * PostgreSQL: read and locked in id order (no deadlocks between two lockers). The callers read these
   * accounts first in their transaction, so what they get is the row as committed after the wait. SQLite
   * has one writer at a time (a writing transaction holds the file's lock from its BEGIN): a plain read.
   */
  private async getManyLocked(ids: readonly string[], mode: 'update' | 'share') {
    if (this.s.dialect !== 'postgresql') return this.s.getMany(CloudAccountSchema, ids);
    return this.s.select(
      CloudAccountSchema,
      `select ${this.s.columns(CloudAccountSchema)} from "cloud_account" where "id" = any(?::text[]) order by "id" for ${mode}`,
      [Session.pgArray([...new Set(ids)])],
    );
  }
  async findByCustomer(ref: CustomerRef) {
    const lic = licenseIdOf(ref.licenseArn);
    const or: FilterQuery<CloudAccount>[] = [];
    if (lic) or.push({ licenseId: lic });
    if (ref.customerIdentifier) or.push({ customerIdentifier: ref.customerIdentifier });
    if (ref.agreementId) or.push({ agreementId: ref.agreementId });
    if (ref.customerAwsAccountId) or.push({ customerAwsAccountId: ref.customerAwsAccountId });
    if (or.length === 0) return null;
    const candidates = await this.s.find(
      CloudAccountSchema,
      { partition: ref.partition, $or: or },
      { orderBy: { id: 'asc' } },
    );
    // the same precedence as CloudAccount.matches: license, customer identifier, agreement, AWS account
    const rank = (c: CloudAccount) =>
      lic && c.licenseId === lic
        ? 0
        : ref.customerIdentifier && c.customerIdentifier === ref.customerIdentifier
          ? 1
          : ref.agreementId && c.agreementId === ref.agreementId
            ? 2
            : 3;
    return candidates.filter((c) => c.matches(ref)).sort((a, b) => rank(a) - rank(b))[0] ?? null;
  }
  listByOwner(ownerAccountId: string) {
    return this.s.find(CloudAccountSchema, { ownerAccountId }, { orderBy: { id: 'asc' } });
  }
  async listDueForMetering(now: Date, limit: number, afterId?: string | null) {
    // SQL narrows to accounts with a completed hour or a final flush; the exact rule (nextHourToMeter is a
    // max of two columns) is applied here, paging on until `limit` accounts qualify.
    const hourAgo = new Date(now.getTime() - HOUR_MS);
    const twoHoursAgo = new Date(now.getTime() - 2 * HOUR_MS);
    const isDue = (c: MeteringSchedule) => dueHour(c, now) !== null;
    const out: MeteringSchedule[] = [];
    let cursor = afterId ?? null;
    while (out.length < limit) {
      const batch = Math.max(limit - out.length, 100);
      const rows: MeteringSchedule[] =
        this.s.dialect === 'postgresql'
          ? // the five columns the rule reads, as views: a full account each would be read again by the seal
            await this.s.selectViews(
              CloudAccountSchema,
              `select "id", "state", "metering_from", "metered_through", "final_flush_requested_at"
             from "cloud_account" where "state" = any(?::text[]) and "id" > ?
               and (("metering_from" <= ? and ("metered_through" is null or "metered_through" <= ?))
                 or "final_flush_requested_at" is not null)
             order by "id" limit ?`,
              [Session.pgArray(METERABLE_STATES), cursor ?? '', hourAgo, twoHoursAgo, batch],
            )
          : await this.s.find(
              CloudAccountSchema,
              {
                state: { $in: [...METERABLE_STATES] },
                ...(cursor ? { id: { $gt: cursor } } : {}),
                $or: [
                  {
                    meteringFrom: { $lte: hourAgo },
                    $or: [{ meteredThrough: null }, { meteredThrough: { $lte: twoHoursAgo } }],
                  },
                  { finalFlushRequestedAt: { $ne: null } },
                ],
              },
              { orderBy: { id: 'asc' }, limit: batch },
            );
      for (const c of rows) if (isDue(c) && out.length < limit) out.push(c);
      if (rows.length < batch) break;
      cursor = rows[rows.length - 1]?.id ?? null;
    }
    return out;
  }
  add(cloudAccount: CloudAccount) {
    return this.s.insert(CloudAccountSchema, [cloudAccount]);
  }
  save(cloudAccount: CloudAccount) {
    return this.s.update(CloudAccountSchema, cloudAccount);
  }
  saveMany(cloudAccounts: readonly CloudAccount[]) {
    return this.s.updateMany(CloudAccountSchema, cloudAccounts);
  }
}
