import { randomBytes, randomUUID } from 'node:crypto';
import { inject, injectable } from 'inversify';
import { AwsError } from '../aws-json/aws-error.js';
import { type Partition, SimulatorConfig } from '../config/simulator-config.js';
import { SimulatorClock } from '../faults/simulator-clock.js';
import { partitionOfRegion, regionOf } from '../marketplace/ids.js';
import { PublicEndpoint } from './public-endpoint.js';
import { generateSigningIdentity, type SigningIdentity } from './self-signed-certificate.js';
import { SnsDelivery } from './sns-delivery.js';
import { type SnsEnvelope, signSnsMessage } from './sns-signature.js';

export interface Topic {
  arn: string;
  name: string;
  region: string;
  partition: Partition;
}

export interface SnsSubscription {
  arn: string;
  topicArn: string;
  protocol: 'http' | 'https';
  endpoint: string;
  token: string;
  confirmed: boolean;
}

export interface PublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  attributes?: Record<string, { Type: string; Value: string }>;
}

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The SNS side: topics, HTTP/S subscriptions with their confirmation handshake, and Publish, every message
 * signed with the simulator's own key and certificate exactly as SNS signs.
 */
@injectable()
export class SnsTopics {
  readonly identity: SigningIdentity;
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Map<string, SnsSubscription>();

  constructor(
    @inject(SimulatorConfig) private readonly config: SimulatorConfig,
    @inject(SimulatorClock) private readonly clock: SimulatorClock,
    @inject(PublicEndpoint) private readonly endpoint: PublicEndpoint,
    @inject(SnsDelivery) private readonly delivery: SnsDelivery,
  ) {
    this.identity = generateSigningIdentity(config.sns.keyBits);
    this.createMarketplaceTopics();
  }

  get certificatePath(): string {
    return `/SimpleNotificationService-${this.identity.certificateId}.pem`;
  }

  get signingCertUrl(): string {
    return `${this.endpoint.baseUrl}${this.certificatePath}`;
  }

  /** The marketplace topic of a product: `aws-mp-subscription-notification-<code>` or `…-entitlement-…`. */
  marketplaceTopicArn(productCode: string, kind: 'subscription' | 'entitlement'): string {
    const product = this.config.products.find((p) => p.productCode === productCode);
    if (!product) throw new AwsError('NotFound', `unknown product ${productCode}`, 404);
    return this.arnOf(
      product.partition,
      regionOf(product.partition),
      this.config.marketplaceAccountId,
      `aws-mp-${kind}-notification-${productCode}`,
    );
  }

  listTopics(): Topic[] {
    return [...this.topics.values()];
  }

  listSubscriptions(topicArn?: string): SnsSubscription[] {
    return [...this.subscriptions.values()].filter((s) => !topicArn || s.topicArn === topicArn);
  }

  createTopic(name: string, region: string): Topic {
    if (!TOPIC_NAME.test(name)) throw new AwsError('InvalidParameter', 'Invalid parameter: Topic Name');
    const partition = partitionOfRegion(region);
    const arn = this.arnOf(partition, region, this.config.sellerAccountId, name);
    const existing = this.topics.get(arn);
    if (existing) return existing;
    const topic = { arn, name, region, partition };
    this.topics.set(arn, topic);
    return topic;
  }

  /** Subscribe: the endpoint gets a SubscriptionConfirmation and must confirm before it receives anything. */
  subscribe(topicArn: string, protocol: string, endpoint: string): SnsSubscription {
    const topic = this.requireTopic(topicArn);
    if (protocol !== 'http' && protocol !== 'https')
      throw new AwsError(
        'InvalidParameter',
        'Invalid parameter: Amazon SNS supports only http and https here',
      );
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new AwsError('InvalidParameter', 'Invalid parameter: Endpoint');
    }
    if (url.protocol !== `${protocol}:`)
      throw new AwsError('InvalidParameter', 'Invalid parameter: Endpoint must match the protocol');
    const existing = this.listSubscriptions(topic.arn).find((s) => s.endpoint === endpoint);
    if (existing?.confirmed) return existing;
    const sub: SnsSubscription = existing ?? {
      arn: `${topic.arn}:${randomUUID()}`,
      topicArn: topic.arn,
      protocol,
      endpoint,
      token: randomBytes(64).toString('hex'),
      confirmed: false,
    };
    this.subscriptions.set(sub.arn, sub);
    this.send(sub, this.confirmationEnvelope(sub, 'SubscriptionConfirmation'));
    return sub;
  }

  /** ConfirmSubscription (the API call, or a GET of the SubscribeURL). */
  confirmSubscription(topicArn: string, token: string): SnsSubscription {
    const sub = this.listSubscriptions(topicArn).find((s) => s.token === token);
    if (!sub) throw new AwsError('InvalidParameter', 'Invalid token');
    sub.confirmed = true;
    return sub;
  }

  /** Unsubscribe: the endpoint gets an UnsubscribeConfirmation (whose SubscribeURL would restore it). */
  unsubscribe(subscriptionArn: string): void {
    const sub = this.subscriptions.get(subscriptionArn);
    if (!sub) throw new AwsError('NotFound', 'Subscription does not exist', 404);
    sub.confirmed = false;
    this.send(sub, this.confirmationEnvelope(sub, 'UnsubscribeConfirmation'));
  }

  /** Publish to a topic: one signed Notification to each confirmed subscription. Returns the MessageId. */
  publish(input: PublishInput): string {
    const topic = this.requireTopic(input.topicArn);
    if (input.message.length === 0)
      throw new AwsError('InvalidParameter', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(input.message) > 262_144)
      throw new AwsError('InvalidParameter', 'Invalid parameter: Message too long');
    const messageId = randomUUID();
    for (const sub of this.listSubscriptions(topic.arn)) {
      if (!sub.confirmed) continue;
      this.send(
        sub,
        this.sign({
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topic.arn,
          ...(input.subject !== undefined ? { Subject: input.subject } : {}),
          Message: input.message,
          Timestamp: this.clock.now().toISOString(),
          SignatureVersion: this.config.sns.signatureVersion,
          SigningCertURL: this.signingCertUrl,
          UnsubscribeURL: `${this.endpoint.baseUrl}/?Action=Unsubscribe&SubscriptionArn=${sub.arn}`,
          ...(input.attributes && Object.keys(input.attributes).length > 0
            ? { MessageAttributes: input.attributes }
            : {}),
        }),
      );
    }
    return messageId;
  }

  /** Subscribes the endpoints of `sns.subscriptions` in the configuration (at start, once the URL is known). */
  subscribeConfigured(): void {
    for (const s of this.config.sns.subscriptions) {
      const products = this.config.products.filter((p) => !s.productCode || p.productCode === s.productCode);
      for (const p of products) {
        const kinds = s.topics === 'all' ? (['subscription', 'entitlement'] as const) : [s.topics];
        for (const kind of kinds) {
          this.subscribe(
            this.marketplaceTopicArn(p.productCode, kind),
            new URL(s.endpoint).protocol.slice(0, -1),
            s.endpoint,
          );
        }
      }
    }
  }

  reset(): void {
    this.subscriptions.clear();
    this.topics.clear();
    this.createMarketplaceTopics();
  }

  private createMarketplaceTopics(): void {
    for (const p of this.config.products) {
      for (const kind of ['subscription', 'entitlement'] as const) {
        const arn = this.marketplaceTopicArn(p.productCode, kind);
        this.topics.set(arn, {
          arn,
          name: arn.split(':').pop()!,
          region: regionOf(p.partition),
          partition: p.partition,
        });
      }
    }
  }

  private confirmationEnvelope(
    sub: SnsSubscription,
    type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
  ) {
    const subscribeUrl = `${this.endpoint.baseUrl}/?Action=ConfirmSubscription&TopicArn=${sub.topicArn}&Token=${sub.token}`;
    const message =
      type === 'SubscriptionConfirmation'
        ? `You have chosen to subscribe to the topic ${sub.topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
        : `You have chosen to deactivate subscription ${sub.arn}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`;
    return this.sign({
      Type: type,
      MessageId: randomUUID(),
      Token: sub.token,
      TopicArn: sub.topicArn,
      Message: message,
      SubscribeURL: subscribeUrl,
      Timestamp: this.clock.now().toISOString(),
      SignatureVersion: this.config.sns.signatureVersion,
      SigningCertURL: this.signingCertUrl,
    });
  }

  private sign(unsigned: Omit<SnsEnvelope, 'Signature'>): SnsEnvelope {
    const signature = signSnsMessage(unsigned, this.identity.privateKey);
    // Signature goes right after SignatureVersion, where SNS puts it.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(unsigned)) {
      out[k] = v;
      if (k === 'SignatureVersion') out.Signature = signature;
    }
    return out as unknown as SnsEnvelope;
  }

  private send(sub: SnsSubscription, envelope: SnsEnvelope): void {
    this.delivery.deliver({ subscriptionArn: sub.arn, endpoint: sub.endpoint }, envelope);
  }

  private requireTopic(arn: string): Topic {
    const topic = this.topics.get(arn);
    if (!topic) throw new AwsError('NotFound', 'Topic does not exist', 404);
    return topic;
  }

  private arnOf(partition: Partition, region: string, account: string, name: string): string {
    return `arn:${partition}:sns:${region}:${account}:${name}`;
  }
}
