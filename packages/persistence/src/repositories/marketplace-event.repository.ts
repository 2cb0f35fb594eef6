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
  save(event: MarketplaceEvent) {
    return this.s.update(MarketplaceEventSchema, event);
  }
}
