import type { DomainEventPublisher, Notifier } from '@billing-center/core';
import { MailboxNotifier } from './email/mailbox-notifier.js';
import { SmtpNotifier } from './email/smtp-notifier.js';
import type { DomainEventEnvelope } from './events/domain-event-message.js';
import { InMemoryDomainEventPublisher } from './events/in-memory-domain-event-publisher.js';
import { SnsDomainEventPublisher } from './events/sns-domain-event-publisher.js';
import type { NotificationsConfig } from './notifications-config.js';

export interface Notifications {
  /** SMTP when `SMTP_URL` is set, else the development mailbox. */
  notifier: Notifier;
  /** SNS when `EVENTS_TOPIC_ARN` is set, else the in-memory publisher. */
  publisher: DomainEventPublisher;
  /** The development mailbox (the console shows it); null when email goes out over SMTP. */
  mailbox: MailboxNotifier | null;
  /** The in-memory events (the console shows them); null when events go to SNS. */
  events: InMemoryDomainEventPublisher | null;
  /** Closes the SMTP connections and the SNS client. */
  close(): Promise<void>;
}

export interface NotificationsOptions {
  /** The app's clock, for the in-memory mailbox and events. */
  now?: () => Date;
  /** Sees every event the in-memory publisher keeps (e.g. a debug log line). */
  onDevelopmentEvent?: (event: DomainEventEnvelope) => void;
}

/** Builds the notifier and the publisher the configuration names: what an app binds to the core's ports. */
export function createNotifications(
  config: NotificationsConfig,
  options: NotificationsOptions = {},
): Notifications {
  const now = options.now ? { now: options.now } : {};
  const smtp = config.smtp ? new SmtpNotifier(config.smtp, config.email) : null;
  const mailbox = smtp
    ? null
    : new MailboxNotifier(config.email, { capacity: config.mailboxCapacity, ...now });
  const sns = config.events ? new SnsDomainEventPublisher(config.events) : null;
  const events = sns
    ? null
    : new InMemoryDomainEventPublisher({
        capacity: config.eventsCapacity,
        ...now,
        ...(options.onDevelopmentEvent ? { onPublish: options.onDevelopmentEvent } : {}),
      });
  let closed = false;
  return {
    notifier: (smtp ?? mailbox)!,
    publisher: (sns ?? events)!,
    mailbox,
    events,
    close: async () => {
      if (closed) return;
      closed = true;
      smtp?.close();
      sns?.close();
    },
  };
}
