import type { MeteringRecord, MeteringRecordRepository } from '@billing-center/core';
import { LockMode } from '@mikro-orm/core';
import { MeteringRecordSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';
import { page } from './paging.js';

export class MikroOrmMeteringRecordRepository implements MeteringRecordRepository {
  constructor(private readonly s: Session) {}
  get(id: string) {
    return this.s.get(MeteringRecordSchema, id);
  }
  getMany(ids: readonly string[]) {
    return this.s.getMany(MeteringRecordSchema, ids);
  }
  find(cloudAccountId: string, dimension: string, hour: Date) {
    return this.s.findOne(MeteringRecordSchema, { cloudAccountId, dimension, hour });
  }
  async listForCloudAccount(cloudAccountId: string, p: { limit: number; cursor?: string | null }) {
    const rows = await this.s.find(
      MeteringRecordSchema,
      { cloudAccountId, ...(p.cursor ? { id: { $lt: p.cursor } } : {}) },
      { orderBy: { id: 'desc' }, limit: p.limit + 1 },
    );
    return page(rows, p.limit);
  }
  listUnsentFrom(cloudAccountId: string, from: Date) {
    return this.s.find(
      MeteringRecordSchema,
      { cloudAccountId, status: 'sealed', hour: { $gte: from } },
      { orderBy: { id: 'asc' } },
    );
  }
  /**
   * On PostgreSQL the rows come back locked `FOR UPDATE SKIP LOCKED`: concurrent claimers each get other
   * rows, and the lock holds until the claiming transaction (which leases them) commits. SQLite has a
   * single writer, so a plain select is enough.
   */
  listClaimable(now: Date, limit: number) {
    return this.s.find(
      MeteringRecordSchema,
      {
        $or: [
          { status: 'sealed', $or: [{ nextAttemptAt: null }, { nextAttemptAt: { $lte: now } }] },
          { status: 'submitted', leaseUntil: { $ne: null, $lte: now } },
        ],
      },
      {
        orderBy: { hour: 'asc', id: 'asc' },
        limit,
        ...(this.s.dialect === 'postgresql' ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
      },
    );
  }
  addMany(records: readonly MeteringRecord[]) {
    return this.s.insert(MeteringRecordSchema, records);
  }
  saveMany(records: readonly MeteringRecord[]) {
    return this.s.updateMany(MeteringRecordSchema, records);
  }
}
