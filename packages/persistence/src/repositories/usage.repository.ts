import type { UsageRecord, UsageRepository } from '@billing-center/core';
import { UsageRecordSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

/** Years past 9999 do not survive PostgreSQL's timestamp text format: treat them as "no bound". */
const LAST_REPRESENTABLE = Date.UTC(9999, 11, 31);
const bounded = (d: Date) => d.getTime() <= LAST_REPRESENTABLE;

const byHourThenId = (a: UsageRecord, b: UsageRecord) =>
  a.hour.getTime() - b.hour.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class MikroOrmUsageRepository implements UsageRepository {
  constructor(private readonly s: Session) {}
  async findByKeys(keys: readonly string[]) {
    const found = new Map<string, UsageRecord>();
    for (const u of await this.s.findIn(UsageRecordSchema, 'idempotencyKey', keys))
      found.set(u.idempotencyKey, u);
    return keys.map((k) => found.get(k)).filter((u): u is UsageRecord => u !== undefined);
  }
  /** Multi-row inserts; a key already stored fails the whole call with `duplicate-key`. */
  addMany(records: readonly UsageRecord[]) {
    return this.s.insert(UsageRecordSchema, records);
  }
  async listPendingForPayers(cloudAccountIds: readonly string[], upToHour: Date | null) {
    const pending = await this.s.findIn(
      UsageRecordSchema,
      'payerCloudAccountId',
      cloudAccountIds,
      { status: 'pending' },
      upToHour && bounded(upToHour) ? { property: 'hour', value: upToHour } : undefined,
    );
    return pending.sort(byHourThenId);
  }
  listForWorkspace(workspaceId: string, from: Date, to: Date) {
    return this.s.find(
      UsageRecordSchema,
      { workspaceId, hour: bounded(to) ? { $gte: from, $lt: to } : { $gte: from } },
      { orderBy: { hour: 'asc', id: 'asc' } },
    );
  }
  listForMeteringRecord(meteringRecordId: string) {
    return this.s.find(UsageRecordSchema, { meteringRecordId }, { orderBy: { id: 'asc' } });
  }
  saveMany(records: readonly UsageRecord[]) {
    return this.s.updateMany(UsageRecordSchema, records);
  }
}
