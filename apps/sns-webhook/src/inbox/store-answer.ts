import { isDomainError, type MarketplaceNotification } from '@billing-center/core';
import { type Answer, refused } from '../http/answer.js';
import type { Logger } from '../logger.js';
import type { MarketplaceInbox } from './marketplace-inbox.js';

/**
 * Store, then acknowledge: 200 only once the message is committed (or was already); a storage failure is a
 * 503 so that SNS / EventBridge deliver it again, and nothing was acted on.
 */
export async function storeAndAnswer(
  inbox: MarketplaceInbox,
  notification: MarketplaceNotification,
  log: Logger,
): Promise<Answer> {
  const context = {
    messageId: notification.messageId,
    source: notification.source,
    topicArn: notification.topicArn ?? undefined,
    action: notification.action,
  };
  try {
    const stored = await inbox.store(notification);
    log.info(
      { ...context, eventId: stored.eventId, duplicate: stored.duplicate },
      'marketplace message stored',
    );
    return {
      status: 200,
      body: {
        outcome: stored.duplicate ? 'duplicate' : 'stored',
        messageId: notification.messageId,
        eventId: stored.eventId,
      },
    };
  } catch (err) {
    if (isDomainError(err) && err.kind === 'validation') {
      // The core refused the content itself (a field too long, …): delivering it again would not help.
      log.warn({ ...context, err }, 'marketplace message refused by the inbox');
      return refused(400, err.code, err.message);
    }
    log.error(
      { ...context, err },
      'marketplace message NOT stored; answering 503 so that it is delivered again',
    );
    return refused(
      503,
      'storage-unavailable',
      'The message could not be stored; it was not acted on. Deliver it again.',
      5,
    );
  }
}
