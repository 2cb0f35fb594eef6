import { inject, injectable } from 'inversify';
import type { LifecycleAction, LifecycleNotifications, Subscription } from '../marketplace/marketplace.js';
import { SnsTopics } from './sns-topics.js';

/**
 * Publishes the marketplace's lifecycle messages to the product's topics, with the `Message` bodies AWS
 * documents (see shared/vectors/marketplace): `offer-identifier` only on subscribe-success/-fail,
 * `isFreeTrialTermPresent` as a string, entitlement-updated on the entitlement topic.
 */
@injectable()
export class MarketplaceNotifications implements LifecycleNotifications {
  constructor(@inject(SnsTopics) private readonly sns: SnsTopics) {}

  publishLifecycle(sub: Subscription, action: LifecycleAction): void {
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
