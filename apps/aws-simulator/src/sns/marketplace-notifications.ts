import { inject, injectable } from 'inversify';
import { EventBridgeEvents } from '../eventbridge/eventbridge-events.js';
import type { LifecycleAction, LifecycleNotifications, Subscription } from '../marketplace/marketplace.js';
import { SnsTopics } from './sns-topics.js';

/**
 * Publishes the marketplace's lifecycle messages to the product's topics, with the `Message` bodies AWS
 * documents (see shared/vectors/marketplace): `offer-identifier` only on subscribe-success/-fail,
 * `isFreeTrialTermPresent` as a string, entitlement-updated on the entitlement topic — and the matching
 * EventBridge agreement events.
 */
@injectable()
export class MarketplaceNotifications implements LifecycleNotifications {
  constructor(
    @inject(SnsTopics) private readonly sns: SnsTopics,
    @inject(EventBridgeEvents) private readonly eventBridge: EventBridgeEvents,
  ) {}

  publishLifecycle(sub: Subscription, action: LifecycleAction, newAgreement = false): void {
    // A withdrawn cancellation keeps its agreement: SNS says subscribe-success, EventBridge says nothing.
    if (action !== 'subscribe-success' || newAgreement) this.eventBridge.publishFor(sub, action);
    if (action === 'entitlement-updated') {
      this.sns.publish({
        topicArn: this.sns.marketplaceTopicArn(sub.productCode, 'entitlement'),
        message: JSON.stringify(
          { action, 'customer-identifier': sub.customerIdentifier, 'product-code': sub.productCode },
          null,
          4,
        ),
      });
      return;
    }
    const withOffer = action === 'subscribe-success' || action === 'subscribe-fail';
    this.sns.publish({
      topicArn: this.sns.marketplaceTopicArn(sub.productCode, 'subscription'),
      message: JSON.stringify(
        {
          action,
          'customer-identifier': sub.customerIdentifier,
          'product-code': sub.productCode,
          ...(withOffer ? { 'offer-identifier': sub.offerId } : {}),
          isFreeTrialTermPresent: String(sub.freeTrial),
        },
        null,
        4,
      ),
    });
  }
}
