import type { AwsPartition } from '../site/site.js';

export const MARKETPLACE_ACTIONS = [
  'subscribe-success',
  'subscribe-fail',
  'unsubscribe-pending',
  'unsubscribe-success',
  'entitlement-updated',
] as const;
export type MarketplaceAction = (typeof MARKETPLACE_ACTIONS)[number];

export type MarketplaceEventStatus =
  /** stored, not yet acted on (a crash here is retried) */
  | 'received'
  | 'processed'
  /** no registered cloud account matches yet: applied when the registration completes */
  | 'parked'
  /** unknown action: stored and alerted, never acted on */
  | 'ignored'
  /** processing failed for a reason outside the message (retried) */
  | 'failed';

/** Every inbound SNS/EventBridge marketplace message, stored before it is acted on (the inbox). */
export class MarketplaceEvent {
  id!: string;
  source!: 'sns' | 'eventbridge';
  /** SNS MessageId or EventBridge event id: deliveries are deduplicated on it. */
  messageId!: string;
  topicArn!: string | null;
  /** The action as received; `action` is null when it is not one we know. */
  rawAction!: string;
  action!: MarketplaceAction | null;
  partition!: AwsPartition;
  productCode!: string | null;
  customerIdentifier!: string | null;
  customerAwsAccountId!: string | null;
  licenseArn!: string | null;
  agreementId!: string | null;
  offerId!: string | null;
  freeTrial!: boolean | null;
  occurredAt!: Date;
  receivedAt!: Date;
  /** The message body as received, for operators and replays. */
  payload!: string;
  status!: MarketplaceEventStatus;
  outcome!: string | null;
  cloudAccountId!: string | null;
  attempts!: number;
  lastError!: string | null;
  processedAt!: Date | null;
  version!: number;

  constructor(props: Omit<MarketplaceEvent, 'customerRef'>) {
    Object.assign(this, props);
  }

  get customerRef() {
    return {
      partition: this.partition,
      productCode: this.productCode,
      customerIdentifier: this.customerIdentifier,
      customerAwsAccountId: this.customerAwsAccountId,
      licenseArn: this.licenseArn,
      agreementId: this.agreementId,
      offerId: this.offerId,
    };
  }
}

/**
 * The action under which the webhook keeps an SNS UnsubscribeConfirmation: no marketplace action, but the
 * end of a subscription through which lifecycle messages (cancellations) arrive, so operators must act.
 */
export const SNS_UNSUBSCRIBE_CONFIRMATION_ACTION = 'sns-unsubscribe-confirmation';
