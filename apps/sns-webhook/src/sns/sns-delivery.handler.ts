import {
  parseSnsMarketplaceNotification,
  type SnsMessageVerifier,
  type SnsNotification,
  type SnsRejectionCode,
  type SnsSubscriptionMessage,
  snsTimestampMs,
} from '@billing-center/aws-marketplace';
import {
  type AwsPartition,
  type MarketplaceNotification,
  SNS_UNSUBSCRIBE_CONFIRMATION_ACTION,
} from '@billing-center/core';
import { type Answer, refused } from '../http/answer.js';
import type { MarketplaceInbox } from '../inbox/marketplace-inbox.js';
import { storeAndAnswer } from '../inbox/store-answer.js';
import type { Logger } from '../logger.js';
import type { SubscriptionConfirmer } from './subscription-confirmer.js';

/**
 * The action under which an UnsubscribeConfirmation is kept in the inbox (the core's constant): the core
 * stores it, raises a critical operator alert through the outbox and never acts on it.
 */
export const UNSUBSCRIBE_CONFIRMATION_ACTION = SNS_UNSUBSCRIBE_CONFIRMATION_ACTION;
/** Prefix of the action of an authentic Notification whose Message is no marketplace message. */
export const UNREADABLE_ACTION_PREFIX = 'unreadable:';

/**
 * HTTP status per verification failure. Shape problems are 400; anything that makes the message
 * unverifiable or not ours (forged, replayed, another topic, a certificate we may not fetch) is 403. Only a
 * certificate that could not be fetched right now is worth another delivery (503).
 */
const REJECTION_STATUS: Readonly<Record<SnsRejectionCode, number>> = {
  'sns-body-too-large': 413,
  'sns-malformed': 400,
  'sns-missing-field': 400,
  'sns-invalid-field': 400,
  'sns-unknown-message-type': 400,
  'sns-unknown-signature-version': 403,
  'sns-topic-not-allowed': 403,
  'sns-timestamp-out-of-window': 403,
  'sns-certificate-url-refused': 403,
  'sns-certificate-invalid': 403,
  'sns-signature-invalid': 403,
  'sns-certificate-unavailable': 503,
};

/** One SNS HTTP/S delivery: verify, then confirm, store or refuse. Knows nothing of HTTP frameworks. */
export class SnsDeliveryHandler {
  constructor(
    private readonly verifier: SnsMessageVerifier,
    private readonly confirmer: SubscriptionConfirmer,
    private readonly inbox: MarketplaceInbox,
  ) {}

  async handle(rawBody: string, log: Logger): Promise<Answer> {
    const verified = await this.verifier.verify(rawBody);
    if (!verified.ok) {
      const { code, detail, field } = verified.rejection;
      const status = REJECTION_STATUS[code];
      log.warn({ code, field, detail }, 'SNS delivery refused');
      return status === 503
        ? refused(503, code, `${detail}. Deliver the message again later.`, 30)
        : refused(status, code, detail);
    }
    const envelope = verified.envelope;
    const messageLog = log.child({
      messageId: envelope.MessageId,
      topicArn: envelope.TopicArn,
      type: envelope.Type,
    });
    switch (envelope.Type) {
      case 'Notification':
        return this.notification(envelope, messageLog);
      case 'SubscriptionConfirmation':
        return this.confirm(envelope, messageLog);
      case 'UnsubscribeConfirmation':
        return this.unsubscribed(envelope, rawBody, messageLog);
    }
  }

  private async notification(envelope: SnsNotification, log: Logger): Promise<Answer> {
    const parsed = parseSnsMarketplaceNotification(envelope);
    if (parsed.ok) return storeAndAnswer(this.inbox, parsed.notification, log);
    // Authentic, from an allowed topic, but no marketplace message: another delivery would not change it.
    // It is kept and alerted on like an unknown action, and acknowledged.
    const { code, detail } = parsed.rejection;
    log.warn({ code, detail }, 'SNS notification is not a marketplace message; storing it for operators');
    return storeAndAnswer(
      this.inbox,
      snsMessageOfItsOwn(envelope, `${UNREADABLE_ACTION_PREFIX}${code}`, envelope.Message),
      log,
    );
  }

  private async confirm(envelope: SnsSubscriptionMessage, log: Logger): Promise<Answer> {
    const result = await this.confirmer.confirm(envelope);
    switch (result.outcome) {
      case 'confirmed':
        log.info({ subscriptionArn: result.subscriptionArn }, 'SNS subscription confirmed');
        return { status: 200, body: { outcome: 'subscription-confirmed', messageId: envelope.MessageId } };
      case 'refused':
        log.warn({ reason: result.reason }, 'SNS subscription NOT confirmed');
        return refused(403, 'sns-subscribe-url-refused', result.reason);
      case 'failed':
        log.error(
          { reason: result.reason },
          'SNS subscription confirmation failed; SNS will deliver it again',
        );
        return refused(
          503,
          'sns-subscription-confirmation-failed',
          `${result.reason}. Deliver the confirmation again.`,
          30,
        );
    }
  }

  private unsubscribed(envelope: SnsSubscriptionMessage, rawBody: string, log: Logger): Promise<Answer> {
    // Our endpoint no longer receives this topic's messages: an operator must know (and may restore it
    // through the SubscribeURL kept in the stored body).
    log.warn('SNS subscription ended (UnsubscribeConfirmation); storing it and alerting operators');
    return storeAndAnswer(
      this.inbox,
      snsMessageOfItsOwn(envelope, UNSUBSCRIBE_CONFIRMATION_ACTION, rawBody),
      log,
    );
  }
}

/** A verified SNS message that is no marketplace action, as an inbox entry: stored, alerted, never acted on. */
function snsMessageOfItsOwn(
  envelope: SnsNotification | SnsSubscriptionMessage,
  action: string,
  payload: string,
): MarketplaceNotification {
  return {
    source: 'sns',
    messageId: envelope.MessageId,
    topicArn: envelope.TopicArn,
    partition: partitionOfTopic(envelope.TopicArn),
    action,
    productCode: null,
    customerIdentifier: null,
    customerAwsAccountId: null,
    licenseArn: null,
    occurredAt: new Date(snsTimestampMs(envelope)),
    payload,
  };
}

function partitionOfTopic(topicArn: string): AwsPartition {
  return topicArn.startsWith('arn:aws-cn:') ? 'aws-cn' : 'aws';
}
