import {
  isDomainError,
  licenseIdOf,
  type MarketplaceNotification,
  type UseCases,
} from '@billing-center/core';
import type { EventProcessor } from './event-processor.js';

export interface StoredEvent {
  readonly eventId: string;
  /** The message id was already stored: this delivery is a retry or a duplicate. */
  readonly duplicate: boolean;
}

/**
 * The webhook's side of the core's inbox: store a message (deduplicated by its message id), then hand a
 * newly stored one to the processor. Both delivery endpoints (SNS, EventBridge) go through here, so the
 * same message arriving both ways is stored once.
 */
export class MarketplaceInbox {
  constructor(
    private readonly useCases: Pick<UseCases, 'receiveMarketplaceEvent'>,
    private readonly processor: EventProcessor,
  ) {}

  /**
   * Resolves once the message is committed (or was already there). Throws when it could not be stored:
   * the caller answers 5xx so that AWS delivers it again.
   */
  async store(notification: MarketplaceNotification): Promise<StoredEvent> {
    let stored: StoredEvent;
    try {
      stored = await this.useCases.receiveMarketplaceEvent.execute(notification);
    } catch (e) {
      // Two deliveries of one message raced past the duplicate check; the loser's insert hit the unique
      // message id. Asking again finds the winner's row.
      if (!(isDomainError(e) && e.code === 'duplicate-key')) throw e;
      stored = await this.useCases.receiveMarketplaceEvent.execute(notification);
    }
    if (!stored.duplicate) this.processor.enqueue(stored.eventId, processingKey(notification));
    return stored;
  }
}

/**
 * Messages with one key are processed one after the other (those of one buyer would only conflict);
 * different keys run side by side. A buyer's messages do not always carry the same identity (an agreement
 * event may carry only the agreement id), so a conflict is still possible and is retried by the processor.
 */
export function processingKey(n: MarketplaceNotification): string {
  return (
    licenseIdOf(n.licenseArn) ??
    n.customerIdentifier ??
    n.customerAwsAccountId ??
    n.agreementId ??
    `message:${n.messageId}`
  );
}
