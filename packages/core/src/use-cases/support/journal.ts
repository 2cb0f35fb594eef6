import type { Actor, AuditEntry } from '../../domain/audit/audit-entry.js';
import { actorId } from '../../domain/audit/audit-entry.js';
import type {
  AlertSeverity,
  DomainEventType,
  OutboxMessage,
  OwnerNotificationTemplate,
} from '../../domain/events/outbox-message.js';
import type { TransactionContext } from '../../ports/repositories.js';
import type { IdGenerator } from '../../ports/services.js';

/**
 * Collects a use case's audit entries and outbound messages and writes them in its transaction, so the
 * change, its audit trail and its notifications commit together.
 */
export class Journal {
  private readonly entries: AuditEntry[] = [];
  private readonly messages: OutboxMessage[] = [];

  constructor(
    private readonly ids: IdGenerator,
    private readonly now: Date,
    private readonly by: Actor,
    private readonly requestId: string | null = null,
  ) {}

  audit(
    action: string,
    entity: { type: string; id: string },
    accountId: string | null,
    details: Record<string, unknown> = {},
  ): void {
    this.entries.push({
      id: this.ids.next(),
      at: this.now,
      actorType: this.by.type,
      actorId: actorId(this.by),
      action,
      entityType: entity.type,
      entityId: entity.id,
      accountId,
      requestId: this.requestId,
      details,
    });
  }

  event(type: DomainEventType, payload: Record<string, unknown>): void {
    this.push('domain-event', type, { ...payload, occurredAt: this.now.toISOString() });
  }

  notifyOwner(
    owner: { id: string; email: string },
    template: OwnerNotificationTemplate,
    data: Record<string, unknown>,
  ): void {
    this.push('owner-notification', template, { accountId: owner.id, email: owner.email, ...data });
  }

  alert(code: string, severity: AlertSeverity, message: string, details: Record<string, unknown> = {}): void {
    this.push('operator-alert', code, { severity, message, ...details });
  }

  private push(kind: OutboxMessage['kind'], type: string, payload: Record<string, unknown>): void {
    this.messages.push({
      id: this.ids.next(),
      kind,
      type,
      payload,
      createdAt: this.now,
      status: 'pending',
      attempts: 0,
      lastError: null,
      nextAttemptAt: this.now,
      sentAt: null,
    });
  }

  async flush(tx: TransactionContext): Promise<void> {
    if (this.entries.length) await tx.audit.append(this.entries.splice(0));
    if (this.messages.length) await tx.outbox.add(this.messages.splice(0));
  }
}
