import { type KeyObject, verify } from 'node:crypto';
import type { SnsEnvelope, SnsSignatureVersion } from './sns-message.js';

/** SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA (PKCS#1 v1.5 both). */
export const SNS_SIGNATURE_DIGESTS: Readonly<Record<SnsSignatureVersion, 'sha1' | 'sha256'>> = {
  '1': 'sha1',
  '2': 'sha256',
};

// The order SNS signs in, which differs by Type. Subject is signed only when a Notification carries one.
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const SUBSCRIPTION_FIELDS = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
] as const;

const NOTIFICATION_FIELDS_WITHOUT_SUBJECT = NOTIFICATION_FIELDS.filter((name) => name !== 'Subject');

export type SnsSignedField = (typeof NOTIFICATION_FIELDS)[number] | (typeof SUBSCRIPTION_FIELDS)[number];

/** The envelope fields the signature covers, in signing order. */
export function signedFields(envelope: SnsEnvelope): readonly SnsSignedField[] {
  if (envelope.Type !== 'Notification') return SUBSCRIPTION_FIELDS;
  return envelope.Subject === undefined ? NOTIFICATION_FIELDS_WITHOUT_SUBJECT : NOTIFICATION_FIELDS;
}

/**
 * `Name\nvalue\n` for each signed field, with the decoded JSON values: escapes such as `\r\n` in Message
 * are real control characters here, and must stay exactly as sent.
 */
export function buildStringToSign(envelope: SnsEnvelope): string {
  const fields = envelope as unknown as Readonly<Record<SnsSignedField, string | undefined>>;
  let text = '';
  for (const name of signedFields(envelope)) text += `${name}\n${fields[name]}\n`;
  return text;
}

/** Checks the envelope's Signature (canonical base64, as parsed) against the certificate's public key. */
export function verifySnsSignature(envelope: SnsEnvelope, publicKey: KeyObject): boolean {
  const digest = SNS_SIGNATURE_DIGESTS[envelope.SignatureVersion];
  const data = Buffer.from(buildStringToSign(envelope), 'utf8');
  const signature = Buffer.from(envelope.Signature, 'base64');
  try {
    return verify(digest, data, publicKey, signature);
  } catch {
    // OpenSSL refuses some malformed signatures outright instead of answering false.
    return false;
  }
}
