import {
  licenseIdOf,
  type MarketplaceNotification,
  type ReceiveOutcome,
  type UseCases,
} from '@billing-center/core';
import type { EventProcessor } from './event-processor.js';
import { GroupCommit } from './group-commit.js';

/** The most payload characters one store transaction takes (a delivery larger than this goes alone). */
export const STORE_BATCH_CHARACTERS = 4 * 1024 * 1024;

export interface StoredEvent {
  readonly eventId: string;
  /** The message id was already stored: this delivery is a retry or a duplicate. */
  readonly duplicate: boolean;
}

export interface MarketplaceInboxOptions {
  /** The most messages one store transaction takes. */
  readonly storeBatchMax: number;
  /** Store transactions running at once (the deliveries arriving meanwhile are stored by the next one). */
  readonly storeConcurrency: number;
}

/**
 * The webhook's side of the core's inbox: store a message (deduplicated by its message id), then hand a
 * newly stored one to the processor. Both delivery endpoints (SNS, EventBridge) go through here, so the
 * same message arriving both ways is stored once. Deliveries arriving together are stored together (group
 * commit): each is answered once the transaction holding it has committed, and all of a batch whose
 * transaction failed are answered with the failure.
 */
export class MarketplaceInbox {
  private readonly batches: GroupCommit<MarketplaceNotification, ReceiveOutcome>;

  constructor(
    useCases: Pick<UseCases, 'receiveMarketplaceEvents'>,
    private readonly processor: EventProcessor,
    options: MarketplaceInboxOptions,
  ) {
    this.batches = new GroupCommit((items) => useCases.receiveMarketplaceEvents.execute(items), {
      maxBatch: options.storeBatchMax,
      maxInFlight: options.storeConcurrency,
      // SNS allows 256 KB a message: 200 of those would be one 50 MB insert
      maxBatchSize: STORE_BATCH_CHARACTERS,
      sizeOf: (n) => (typeof n.payload === 'string' ? n.payload.length : 0),
    });
  }

  /**
   * Resolves once the message is committed (or was already there). Throws when it could not be stored:
   * the caller answers 5xx so that AWS delivers it again (a ValidationError: the content was refused).
   */
  async store(notification: MarketplaceNotification): Promise<StoredEvent> {
    const outcome = await this.batches.submit(notification);
    if (!outcome.ok) throw outcome.error;
    if (!outcome.duplicate) this.processor.enqueue(outcome.eventId, processingKey(notification));
    return { eventId: outcome.eventId, duplicate: outcome.duplicate };
  }

  /** Messages waiting for, or in, a store transaction. */
  get storing(): number {
    return this.batches.pending;
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
