import type { Alert, DomainEventPublisher, Notifier, PublishedDomainEvent } from '@billing-center/core';

/**
 * The API never delivers notifications or domain events itself: its use cases write them to the outbox in
 * the same transaction as the change, and the worker delivers them (`DispatchOutbox`). These ports are
 * bound so that a use case that tried to deliver directly from the API would fail loudly, not silently.
 */
const refuse = (what: string): never => {
  throw new Error(`The API process does not ${what}; the worker delivers the outbox (DispatchOutbox).`);
};

export class OutboxOnlyNotifier implements Notifier {
  async notifyOwner(_to: { accountId: string; email: string }, template: string): Promise<void> {
    refuse(`send owner notifications (${template})`);
  }
  async alertOperators(alert: Alert): Promise<void> {
    refuse(`alert operators (${alert.code})`);
  }
}

export class OutboxOnlyPublisher implements DomainEventPublisher {
  async publish(event: PublishedDomainEvent): Promise<void> {
    refuse(`publish domain events (${event.type})`);
  }
}
