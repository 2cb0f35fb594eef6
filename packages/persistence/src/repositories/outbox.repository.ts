import type { OutboxMessage, OutboxRepository } from '@billing-center/core';
import { OutboxMessageSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

export class MikroOrmOutboxRepository implements OutboxRepository {
  constructor(private readonly s: Session) {}
  add(messages: readonly OutboxMessage[]) {
    return this.s.insert(
      OutboxMessageSchema,
      messages.map((m) => ({ ...m })),
    );
  }
  listDue(now: Date, limit: number) {
    return this.s.find(
      OutboxMessageSchema,
      { status: 'pending', nextAttemptAt: { $lte: now } },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit },
    );
  }
  /** Not versioned (as in the core): one dispatcher owns a message at a time. */
  save(message: OutboxMessage) {
    return this.s.update(OutboxMessageSchema, message, false);
  }
}
