import { createHash, randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { SimulatorConfig } from '../config/simulator-config.js';
import { SimulatorClock } from '../faults/simulator-clock.js';
import { licenseId, regionOf } from '../marketplace/ids.js';
import type { LifecycleAction, Subscription } from '../marketplace/marketplace.js';
import { SnsTopics } from '../sns/sns-topics.js';
import { HttpPoster } from './http-poster.js';

export type AgreementDetailType =
  | 'Purchase Agreement Created - Manufacturer'
  | 'Purchase Agreement Ended - Manufacturer'
  | 'License Updated - Manufacturer'
  | 'License Deprovisioned - Manufacturer';

export interface AgreementEvent {
  version: '0';
  id: string;
  'detail-type': AgreementDetailType;
  source: 'aws.agreement-marketplace';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Which EventBridge events a lifecycle action produces (subscribe-fail and unsubscribe-pending: none). */
const EVENTS: Partial<Record<LifecycleAction, AgreementDetailType[]>> = {
  'subscribe-success': ['Purchase Agreement Created - Manufacturer', 'License Updated - Manufacturer'],
  'unsubscribe-success': ['Purchase Agreement Ended - Manufacturer', 'License Deprovisioned - Manufacturer'],
  'entitlement-updated': ['License Updated - Manufacturer'],
};

/**
 * The newer notification path: `aws.agreement-marketplace` events, shaped like the documented
 * Manufacturer examples (shared/vectors/marketplace), sent to configured API destinations (a POST with a
 * shared-secret header) and/or published to a seller SNS topic, as an EventBridge rule would.
 */
@injectable()
export class EventBridgeEvents {
  private readonly sent: AgreementEvent[] = [];

  constructor(
    @inject(SimulatorConfig) private readonly config: SimulatorConfig,
    @inject(SimulatorClock) private readonly clock: SimulatorClock,
    @inject(SnsTopics) private readonly sns: SnsTopics,
    @inject(HttpPoster) private readonly poster: HttpPoster,
  ) {
    this.createTopics();
  }

  /** The seller topic an EventBridge rule forwards agreement events to, in a partition's region. */
  topicArn(partition: 'aws' | 'aws-cn'): string | null {
    const name = this.config.eventBridge.snsTopicName;
    return name ? `arn:${partition}:sns:${regionOf(partition)}:${this.config.sellerAccountId}:${name}` : null;
  }

  /** Creates the seller topics (at start and after a reset). */
  createTopics(): void {
    const name = this.config.eventBridge.snsTopicName;
    if (!name) return;
    for (const p of new Set(this.config.products.map((x) => x.partition)))
      this.sns.createTopic(name, regionOf(p));
  }

  publishFor(sub: Subscription, action: LifecycleAction): void {
    for (const detailType of EVENTS[action] ?? []) {
      const event = this.event(sub, detailType);
      this.sent.push(event);
      if (this.sent.length > 10_000) this.sent.shift();
      const body = JSON.stringify(event);
      for (const d of this.config.eventBridge.apiDestinations) {
        this.poster.post(d.url, body, { 'content-type': 'application/json', [d.headerName]: d.headerValue });
      }
      const topicArn = this.topicArn(sub.partition);
      if (topicArn) this.sns.publish({ topicArn, message: body });
    }
  }

  events(): AgreementEvent[] {
    return [...this.sent];
  }

  reset(): void {
    this.sent.length = 0;
  }

  private event(sub: Subscription, detailType: AgreementDetailType): AgreementEvent {
    const region = regionOf(sub.partition);
    const seller = this.config.sellerAccountId;
    const parties = { acceptor: { accountId: sub.buyerAccountId }, proposer: { accountId: seller } };
    const common = { requestId: randomUUID(), catalog: 'AWSMarketplace' };
    let detail: Record<string, unknown>;
    if (detailType.startsWith('License ')) {
      detail = {
        ...common,
        agreement: { id: sub.agreementId },
        product: { code: sub.productCode, id: productId(sub.productCode) },
        // As documented: no leading `arn:`, and an offer id without its `offer-` prefix.
        license: { arn: `${sub.partition}:license-manager:${region}:${seller}:${licenseId(sub.licenseArn)}` },
        ...parties,
        offer: { id: sub.offerId.replace(/^offer-/, '') },
      };
    } else if (detailType === 'Purchase Agreement Created - Manufacturer') {
      const start = this.clock.now();
      detail = {
        ...common,
        agreement: {
          id: sub.agreementId,
          intent: 'NEW',
          status: 'ACTIVE',
          acceptanceTime: isoSeconds(start),
          startTime: isoSeconds(start),
          endTime: isoSeconds(new Date(start.getTime() + 365 * 86_400_000)),
        },
        ...parties,
        offer: { id: sub.offerId },
      };
    } else {
      detail = {
        ...common,
        agreement: { id: sub.agreementId, status: 'CANCELLED' },
        ...parties,
        offer: { id: sub.offerId },
      };
    }
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: 'aws.agreement-marketplace',
      account: seller,
      time: isoSeconds(this.clock.now()),
      region,
      resources: [`arn:${sub.partition}:aws-marketplace::aws:agreement:${sub.agreementId}`],
      detail,
    };
  }
}

function isoSeconds(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

function productId(productCode: string): string {
  return `prod-${createHash('sha256').update(productCode).digest('hex').slice(0, 12)}`;
}
