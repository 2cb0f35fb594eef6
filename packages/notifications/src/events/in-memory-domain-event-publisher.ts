import type { DomainEventPublisher, PublishedDomainEvent } from '@billing-center/core';
import { type DomainEventEnvelope, domainEventEnvelope } from './domain-event-message.js';

export interface KeptDomainEvent extends DomainEventEnvelope {
  /** When it was last published here (a redelivery of the same id replaces the earlier copy). */
  publishedAt: Date;
}

export interface InMemoryPublisherOptions {
  /** How many events are kept; the oldest are dropped first. */
  capacity?: number;
  now?: () => Date;
  /** Called with every event published, e.g. to log it. A throw here fails the publish. */
  onPublish?: (event: DomainEventEnvelope) => void;
}

export const DEFAULT_EVENTS_CAPACITY = 1_000;

/**
 * The development publisher, used when no events topic is configured: keeps the latest events in memory
 * (bounded, newest first, one copy per event id, as a deduplicating subscriber would) for the console.
 */
export class InMemoryDomainEventPublisher implements DomainEventPublisher {
  private readonly capacity: number;
  private readonly now: () => Date;
  private readonly onPublish: ((event: DomainEventEnvelope) => void) | undefined;
  /** Insertion order is publication order: a republished id is deleted and added again. */
  private readonly kept = new Map<string, KeptDomainEvent>();

  constructor(options: InMemoryPublisherOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_EVENTS_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`The event capacity must be a whole number of at least 1 (got ${capacity}).`);
    this.capacity = capacity;
    this.now = options.now ?? (() => new Date());
    this.onPublish = options.onPublish;
  }

  async publish(event: PublishedDomainEvent): Promise<void> {
    const envelope = structuredClone(domainEventEnvelope(event));
    this.onPublish?.(envelope);
    this.kept.delete(envelope.id);
    this.kept.set(envelope.id, { ...envelope, publishedAt: this.now() });
    for (const id of this.kept.keys()) {
      if (this.kept.size <= this.capacity) break;
      this.kept.delete(id);
    }
  }

  /** The kept events, newest first (copies). */
  events(): KeptDomainEvent[] {
    return [...this.kept.values()].reverse().map((e) => structuredClone(e));
  }

  clear(): void {
    this.kept.clear();
  }
}
