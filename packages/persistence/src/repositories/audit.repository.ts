import type { AuditEntry, AuditRepository } from '@billing-center/core';
import { AuditEntrySchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';
import { page } from './paging.js';

/** Append-only: entries are inserted and read, never updated. */
export class MikroOrmAuditRepository implements AuditRepository {
  constructor(private readonly s: Session) {}
  append(entries: readonly AuditEntry[]) {
    return this.s.insert(
      AuditEntrySchema,
      entries.map((e) => ({ ...e })),
    );
  }
  async listForAccount(accountId: string, p: { limit: number; cursor?: string | null }) {
    const rows = await this.s.find(
      AuditEntrySchema,
      { accountId, ...(p.cursor ? { id: { $lt: p.cursor } } : {}) },
      { orderBy: { id: 'desc' }, limit: p.limit + 1 },
    );
    return page(rows, p.limit);
  }
  listForEntity(entityType: string, entityId: string) {
    return this.s.find(AuditEntrySchema, { entityType, entityId }, { orderBy: { id: 'asc' } });
  }
}
