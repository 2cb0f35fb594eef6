// Signs SNS messages exactly as SNS does (the verifier's own string-to-sign), with the test key whose
// certificate a test configuration trusts by origin. The real AWS-signed messages are in vectors.ts.
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildStringToSign,
  type CertificateFetcher,
  SNS_SIGNATURE_DIGESTS,
  type SnsEnvelope,
} from '@billing-center/aws-marketplace';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

export const TEST_SIGNER_ORIGIN = 'http://sns.webhook.test';
export const TEST_CERT_URL = `${TEST_SIGNER_ORIGIN}/SimpleNotificationService-webhooktest.pem`;
export const TEST_CERT_PEM = fixture('test-signing-cert.pem');
const TEST_KEY = createPrivateKey(fixture('test-signing-key.pem'));

/** The simulator's marketplace topics (apps/aws-simulator, default configuration). */
export const GLOBAL_PRODUCT = 'bcglobal0000000000000001';
export const CHINA_PRODUCT = 'bcchina00000000000000001';
export const SUBSCRIPTION_TOPIC = `arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-${GLOBAL_PRODUCT}`;
export const ENTITLEMENT_TOPIC = `arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-${GLOBAL_PRODUCT}`;
export const CHINA_SUBSCRIPTION_TOPIC = `arn:aws-cn:sns:cn-northwest-1:287250355862:aws-mp-subscription-notification-${CHINA_PRODUCT}`;

/** Serves the test certificate (and any extra PEMs) by exact URL, recording every call. */
export class StubCertificateFetcher implements CertificateFetcher {
  readonly calls: string[] = [];
  private readonly pems: Map<string, string>;

  constructor(extra: Iterable<[string, string]> = []) {
    this.pems = new Map([[TEST_CERT_URL, TEST_CERT_PEM], ...extra]);
  }

  async fetch(url: string): Promise<string> {
    this.calls.push(url);
    const pem = this.pems.get(url);
    if (pem === undefined) throw new Error(`stub fetcher: no certificate for ${url}`);
    return pem;
  }
}

type Unsigned = Omit<SnsEnvelope, 'Signature'> & Record<string, unknown>;

/** The JSON body SNS would POST for this envelope, signed with the test key. */
export function signedBody(unsigned: Unsigned): string {
  const stringToSign = buildStringToSign({ ...unsigned, Signature: '' } as SnsEnvelope);
  const signature = sign(
    SNS_SIGNATURE_DIGESTS[unsigned.SignatureVersion],
    Buffer.from(stringToSign, 'utf8'),
    TEST_KEY,
  ).toString('base64');
  return JSON.stringify({ ...unsigned, Signature: signature });
}

export interface NotificationInput {
  message: string;
  topicArn?: string;
  messageId?: string;
  timestamp?: Date;
  subject?: string;
  signatureVersion?: '1' | '2';
}

export function signedNotification(n: NotificationInput): string {
  return signedBody({
    Type: 'Notification',
    MessageId: n.messageId ?? randomUUID(),
    TopicArn: n.topicArn ?? SUBSCRIPTION_TOPIC,
    ...(n.subject === undefined ? {} : { Subject: n.subject }),
    Message: n.message,
    Timestamp: (n.timestamp ?? new Date()).toISOString(),
    SignatureVersion: n.signatureVersion ?? '2',
    SigningCertURL: TEST_CERT_URL,
    UnsubscribeURL: `${TEST_SIGNER_ORIGIN}/?Action=Unsubscribe&SubscriptionArn=${n.topicArn ?? SUBSCRIPTION_TOPIC}:1`,
  });
}

/** A subscription-topic message body, as AWS Marketplace writes it (shared/vectors/marketplace). */
export function marketplaceMessage(
  action: string,
  buyer: { customerIdentifier: string | null; productCode: string },
) {
  return JSON.stringify({
    action,
    'customer-identifier': buyer.customerIdentifier,
    'product-code': buyer.productCode,
    ...(action.startsWith('subscribe-') ? { 'offer-identifier': 'offer-webhooktest' } : {}),
    isFreeTrialTermPresent: 'false',
  });
}

export function subscriptionMessage(
  type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
  o: {
    topicArn?: string;
    token?: string;
    subscribeUrl?: string;
    messageId?: string;
    timestamp?: Date;
  },
): string {
  const topicArn = o.topicArn ?? SUBSCRIPTION_TOPIC;
  const token = o.token ?? 'a'.repeat(64);
  return signedBody({
    Type: type,
    MessageId: o.messageId ?? randomUUID(),
    Token: token,
    TopicArn: topicArn,
    Message: `You have chosen to subscribe to the topic ${topicArn}.`,
    SubscribeURL:
      o.subscribeUrl ??
      `${TEST_SIGNER_ORIGIN}/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=${token}`,
    Timestamp: (o.timestamp ?? new Date()).toISOString(),
    SignatureVersion: '1',
    SigningCertURL: TEST_CERT_URL,
  });
}
