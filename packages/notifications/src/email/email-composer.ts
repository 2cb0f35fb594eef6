import type { Alert } from '@billing-center/core';
import { type EmailBranding, renderOperatorAlert, renderOwnerEmail } from './email-templates.js';

/** Who sends the emails and who gets the operators' alerts (validated by `readNotificationsConfig`). */
export interface EmailSettings extends EmailBranding {
  /** The From header: `billing@example.com` or `"Acme Billing" <billing@example.com>`. */
  from: string;
  /** Every operator alert goes to all of these. */
  operatorEmails: readonly string[];
}

/** One email ready for a transport: rendered, addressed, and labelled with what it is about. */
export interface OutgoingEmail {
  category: 'owner-notification' | 'operator-alert';
  /** The owner template or the alert code. */
  topic: string;
  /** The owner's account, for owner notifications. */
  accountId: string | null;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Turns the `Notifier` port's calls into emails; every transport (SMTP, the development mailbox) shares it. */
export class EmailComposer {
  constructor(readonly settings: EmailSettings) {}

  owner(
    to: { accountId: string; email: string },
    template: string,
    data: Record<string, unknown>,
  ): OutgoingEmail {
    if (typeof to?.email !== 'string' || !to.email.includes('@'))
      throw new Error(`Owner notification "${template}" has no email address for account ${to?.accountId}.`);
    return {
      category: 'owner-notification',
      topic: template,
      accountId: to.accountId,
      from: this.settings.from,
      to: [to.email],
      ...renderOwnerEmail(template, data ?? {}, this.settings),
    };
  }

  alert(alert: Alert): OutgoingEmail {
    if (this.settings.operatorEmails.length === 0)
      throw new Error(
        `Operator alert "${alert.code}" has nowhere to go: no operator email address is configured.`,
      );
    return {
      category: 'operator-alert',
      topic: alert.code,
      accountId: null,
      from: this.settings.from,
      to: [...this.settings.operatorEmails],
      ...renderOperatorAlert(alert, this.settings),
    };
  }
}
