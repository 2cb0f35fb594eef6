import type { AwsPartition, MarketplaceEvent, MarketplaceEventRepository } from '@billing-center/core';
import { MarketplaceEventSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

export class MikroOrmMarketplaceEventRepository implements MarketplaceEventRepository {
  constructor(private readonly s: Session) {}
  get(id: string) {
    return this.s.get(MarketplaceEventSchema, id);
  }
  findByMessageId(messageId: string) {
    return this.s.findOne(MarketplaceEventSchema, { messageId });
  }
  listParked(partition: AwsPartition, receivedSince?: Date) {
    return this.s.find(
      MarketplaceEventSchema,
      { status: 'parked', partition, ...(receivedSince ? { receivedAt: { $gte: receivedSince } } : {}) },
      { orderBy: { occurredAt: 'asc', id: 'asc' } },
    );
  }
  listUnprocessed(limit: number) {
    return this.s.find(
      MarketplaceEventSchema,
      { status: { $in: ['received', 'failed'] } },
      { orderBy: { receivedAt: 'asc', id: 'asc' }, limit },
    );
  }
  listForCloudAccount(cloudAccountId: string) {
    return this.s.find(
      MarketplaceEventSchema,
      { cloudAccountId },
      { orderBy: { occurredAt: 'asc', id: 'asc' } },
    );
  }
  add(event: MarketplaceEvent) {
    return this.s.insert(MarketplaceEventSchema, [event]);
  }
  async addUnlessStored(events: readonly MarketplaceEvent[]) {
    if (events.length === 0) return [];
    const inserted = new Set(
      (await this.s.insertUnlessStored(MarketplaceEventSchema, events, 'messageId')).map((e) => e.id),
    );
    // the rows already stored under the other message ids (committed before, or by a transaction the
    // insert waited for)
    const idOf = new Map<string, string>();
    for (const e of events) if (inserted.has(e.id)) idOf.set(e.messageId, e.id);
    const others = events.filter((e) => !idOf.has(e.messageId)).map((e) => e.messageId);
    if (others.length > 0) {
      for (const row of await this.s.findIn(MarketplaceEventSchema, 'messageId', others))
        idOf.set(row.messageId, row.id);
    }
    return events.map((e) => {
      const eventId = idOf.get(e.messageId);
      if (eventId === undefined) {
        throw new Error(`marketplace message ${e.messageId} was neither inserted nor found stored`);
      }
      return { eventId, duplicate: !inserted.has(e.id) };
    });
  }
  save(event: MarketplaceEvent) {
    return this.s.update(MarketplaceEventSchema, event);
  }
}
