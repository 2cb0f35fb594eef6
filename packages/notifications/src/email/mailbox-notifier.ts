import { randomUUID } from 'node:crypto';
import type { Alert, Notifier } from '@billing-center/core';
import { EmailComposer, type EmailSettings, type OutgoingEmail } from './email-composer.js';

export interface MailboxMessage extends OutgoingEmail {
  id: string;
  sentAt: Date;
}

export interface MailboxOptions {
  /** How many messages are kept; older ones are dropped first. */
  capacity?: number;
  /** When a message counts as sent (the app's clock). */
  now?: () => Date;
}

export const DEFAULT_MAILBOX_CAPACITY = 500;

/**
 * The development notifier: renders exactly what `SmtpNotifier` would send and keeps it in memory instead
 * (bounded, newest first), for the console to show and for tests to read. Nothing leaves the process.
 */
export class MailboxNotifier implements Notifier {
  readonly composer: EmailComposer;
  private readonly capacity: number;
  private readonly now: () => Date;
  /** Oldest first internally; `messages()` reverses. */
  private readonly kept: MailboxMessage[] = [];

  constructor(settings: EmailSettings, options: MailboxOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_MAILBOX_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`The mailbox capacity must be a whole number of at least 1 (got ${capacity}).`);
    this.composer = new EmailComposer(settings);
    this.capacity = capacity;
    this.now = options.now ?? (() => new Date());
  }

  async notifyOwner(
    to: { accountId: string; email: string },
    template: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    this.keep(this.composer.owner(to, template, data));
  }

  async alertOperators(alert: Alert): Promise<void> {
    this.keep(this.composer.alert(alert));
  }

  /** The kept messages, newest first (copies: changing them changes nothing here). */
  messages(): MailboxMessage[] {
    return this.kept
      .slice()
      .reverse()
      .map((m) => ({ ...m, to: [...m.to], sentAt: new Date(m.sentAt) }));
  }

  clear(): void {
    this.kept.length = 0;
  }

  private keep(email: OutgoingEmail): void {
    this.kept.push({ ...email, id: randomUUID(), sentAt: this.now() });
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
  }
}
