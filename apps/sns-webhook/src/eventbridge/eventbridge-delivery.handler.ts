import { parseEventBridgeDelivery, SharedSecretCheck } from '@billing-center/aws-marketplace';
import { type Answer, refused } from '../http/answer.js';
import type { MarketplaceInbox } from '../inbox/marketplace-inbox.js';
import { storeAndAnswer } from '../inbox/store-answer.js';
import type { Logger } from '../logger.js';

/**
 * One post from an EventBridge API destination: the shared-secret header (compared in constant time; the
 * body carries no signature), then the `aws.agreement-marketplace` event, mapped by the parser onto the
 * same actions as the SNS messages and stored in the same inbox.
 */
export class EventBridgeDeliveryHandler {
  private readonly secrets: SharedSecretCheck;

  constructor(
    secrets: readonly string[],
    private readonly inbox: MarketplaceInbox,
  ) {
    this.secrets = new SharedSecretCheck(secrets);
  }

  async handle(presentedSecret: string | readonly string[] | undefined, rawBody: string, log: Logger) {
    if (!this.secrets.matches(presentedSecret)) {
      log.warn('EventBridge delivery refused: the shared-secret header is missing or wrong');
      // 401, which EventBridge retries for a day: a secret rotated on one side only loses no event.
      return refused(
        401,
        'eventbridge-secret-invalid',
        'The shared-secret header is missing or does not match the configured secret.',
      );
    }
    const parsed = parseEventBridgeDelivery(rawBody);
    if (!parsed.ok) {
      const { code, detail, field } = parsed.rejection;
      log.warn({ code, field, detail }, 'EventBridge delivery refused');
      return refused(400, code, detail);
    }
    return storeAndAnswer(this.inbox, parsed.notification, log) satisfies Promise<Answer>;
  }
}
