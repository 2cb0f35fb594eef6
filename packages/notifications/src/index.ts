export * from './email/email-composer.js';
export * from './email/email-document.js';
export * from './email/email-templates.js';
export * from './email/mailbox-notifier.js';
export * from './email/smtp-notifier.js';
export * from './events/domain-event-message.js';
export * from './events/in-memory-domain-event-publisher.js';
export * from './events/sns-domain-event-publisher.js';
