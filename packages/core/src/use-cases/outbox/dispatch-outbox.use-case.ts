import type { OutboxMessage } from '../../domain/events/outbox-message.js';
import { requireWholeNumber } from '../../shared/guard.js';
import type { CoreContext } from '../core-context.js';

const RETRY_BASE_MS = 5_000;
const RETRY_CAP_MS = 30 * 60_000;

/**
 * Deliver pending outbox messages: domain events to the publisher, emails to owners, alerts to operators.
 * A failed delivery is retried with back-off; delivery is at least once, so receivers deduplicate by id.
 */
export class DispatchOutbox {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { limit?: number } = {}): Promise<{ sent: number; failed: number }> {
    const ctx = this.ctx;
    const limit = requireWholeNumber('limit', input.limit ?? 100);
    const due = await ctx.uow.read((tx) => tx.outbox.listDue(ctx.clock.now(), limit));
    let sent = 0;
    let failed = 0;
    for (const m of due) {
      let error: string | null = null;
      try {
        await this.deliver(m);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const now = ctx.clock.now();
      await ctx.uow.transaction(async (tx) => {
        m.attempts += 1;
        if (error === null) {
          m.status = 'sent';
          m.sentAt = now;
          m.lastError = null;
        } else {
          m.lastError = error.slice(0, 1000);
          m.nextAttemptAt = new Date(
            now.getTime() + Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (m.attempts - 1)),
          );
        }
        await tx.outbox.save(m);
      });
      if (error === null) sent += 1;
      else failed += 1;
    }
    return { sent, failed };
  }

  private async deliver(m: OutboxMessage): Promise<void> {
    const ctx = this.ctx;
    switch (m.kind) {
      case 'domain-event':
        return ctx.publisher.publish({ id: m.id, type: m.type, occurredAt: m.createdAt, payload: m.payload });
      case 'owner-notification': {
        const { accountId, email, ...data } = m.payload as { accountId: string; email: string };
        return ctx.notifier.notifyOwner({ accountId, email }, m.type, data);
      }
      case 'operator-alert': {
        const { severity, message, ...details } = m.payload as {
          severity: 'warning' | 'critical';
          message: string;
        };
        return ctx.notifier.alertOperators({ code: m.type, severity, message, details });
      }
    }
  }
}
