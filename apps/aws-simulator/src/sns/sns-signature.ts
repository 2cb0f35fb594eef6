import { type KeyObject, sign, verify } from 'node:crypto';

export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

/** The fields of an SNS HTTP/S delivery body. */
export interface SnsEnvelope {
  Type: SnsMessageType;
  MessageId: string;
  Token?: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  SubscribeURL?: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;

/**
 * Written apart from the verifier in packages/aws-marketplace on purpose: the simulator plays AWS, and a
 * shared string-to-sign would let one bug pass both sides of the end-to-end tests.
 *
 * SNS's canonical string to sign: `Key\nValue\n` for each signed field in this fixed order; Subject only
 * when present (Notification). MessageAttributes and the URLs of a Notification are not signed.
 */
export function snsStringToSign(m: Omit<SnsEnvelope, 'Signature'>): string {
  const fields = m.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let out = '';
  for (const f of fields) {
    const v = m[f];
    if (v === undefined) continue;
    out += `${f}\n${v}\n`;
  }
  return out;
}

const algorithm = (version: '1' | '2') => (version === '1' ? 'sha1' : 'sha256');

/** Signature version 1: SHA1withRSA; version 2: SHA256withRSA; base64. */
export function signSnsMessage(m: Omit<SnsEnvelope, 'Signature'>, privateKey: KeyObject): string {
  return sign(algorithm(m.SignatureVersion), Buffer.from(snsStringToSign(m), 'utf8'), privateKey).toString(
    'base64',
  );
}

export function verifySnsMessage(m: SnsEnvelope, publicKey: KeyObject | string): boolean {
  return verify(
    algorithm(m.SignatureVersion),
    Buffer.from(snsStringToSign(m), 'utf8'),
    publicKey,
    Buffer.from(m.Signature, 'base64'),
  );
}
