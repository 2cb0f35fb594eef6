/**
 * Everything that must leave the system after a commit — domain events for the SNS topic, emails to
 * workspace owners, alerts to operators — is written in the same transaction as the change (an outbox),
 * then dispatched and retried until delivered. Nothing is lost when a publish fails.
 */
export type OutboxKind = 'domain-event' | 'owner-notification' | 'operator-alert';

export const DOMAIN_EVENT_TYPES = [
  'workspace.created',
  'workspace.locked',
  'workspace.unlocked',
  'workspace.fully-locked',
  'workspace.billing-method-changed',
  'workspace.dissolved',
  'cloud-account.registered',
  'cloud-account.subscription-changed',
  'cloud-account.entitlements-updated',
] as const;
export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

export type OwnerNotificationTemplate =
  | 'workspaces-locked'
  | 'workspace-unlocked'
  | 'cloud-subscription-cancelled'
  | 'cloud-subscription-failed'
  | 'workspace-fully-locked';

export type AlertSeverity = 'warning' | 'critical';

export interface OutboxMessage {
  id: string;
  kind: OutboxKind;
  /** domain event type, notification template, or alert code */
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  status: 'pending' | 'sent';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
}
