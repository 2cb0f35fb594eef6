import { describe, expect, it } from 'vitest';
import { parseSigningCertificate } from '../src/inbound/certificate-cache.js';
import { parseSnsMessage, type SnsEnvelope } from '../src/inbound/sns-message.js';
import { buildStringToSign, signedFields, verifySnsSignature } from '../src/inbound/sns-signature.js';
import { loadSnsVectors, type SnsVector } from './support/sns-vectors.js';

const vectors = loadSnsVectors();

function envelopeOf(vector: SnsVector, changes: Readonly<Record<string, string>> = {}): SnsEnvelope {
  const parsed = parseSnsMessage(vector.raw);
  if (!parsed.ok) throw new Error(`${vector.name}: ${parsed.rejection.code}`);
  return { ...parsed.envelope, ...changes } as SnsEnvelope;
}

function keyOf(vector: SnsVector) {
  return parseSigningCertificate(vector.signingCertUrl, vector.certificatePem).publicKey;
}

const common = {
  MessageId: 'id-1',
  TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
  Message: 'hello\nworld',
  Timestamp: '2024-01-01T00:00:00.000Z',
  SignatureVersion: '1',
  Signature: 'AA==',
  SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem',
} as const;

describe('buildStringToSign', () => {
  it('signs a Notification without Subject in the documented order', () => {
    const envelope: SnsEnvelope = { ...common, Type: 'Notification', UnsubscribeURL: 'https://x' };
    expect(buildStringToSign(envelope)).toBe(
      'Message\nhello\nworld\nMessageId\nid-1\nTimestamp\n2024-01-01T00:00:00.000Z\n' +
        'TopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\nNotification\n',
    );
  });

  it('adds Subject between MessageId and Timestamp when present, even when empty', () => {
    const envelope: SnsEnvelope = { ...common, Type: 'Notification', Subject: '' };
    expect(buildStringToSign(envelope)).toContain('MessageId\nid-1\nSubject\n\nTimestamp\n');
  });

  it.each([
    'SubscriptionConfirmation',
    'UnsubscribeConfirmation',
  ] as const)('signs a %s with SubscribeURL and Token, never Subject', (type) => {
    const envelope = { ...common, Type: type, SubscribeURL: 'https://s', Token: 'tok', Subject: 'x' };
    expect(signedFields(envelope)).toEqual([
      'Message',
      'MessageId',
      'SubscribeURL',
      'Timestamp',
      'Token',
      'TopicArn',
      'Type',
    ]);
    expect(buildStringToSign(envelope)).toBe(
      'Message\nhello\nworld\nMessageId\nid-1\nSubscribeURL\nhttps://s\nTimestamp\n2024-01-01T00:00:00.000Z\n' +
        `Token\ntok\nTopicArn\narn:aws:sns:us-east-1:123456789012:t\nType\n${type}\n`,
    );
  });
});

describe('verifySnsSignature against the real AWS-signed vectors', () => {
  it.each(vectors.map((v) => [v.name, v]))('%s verifies with its own certificate', (_, vector) => {
    expect(verifySnsSignature(envelopeOf(vector), keyOf(vector))).toBe(true);
  });

  it.each(vectors.map((v) => [v.name, v]))('%s fails with every other certificate', (_, vector) => {
    const others = vectors.filter((v) => v.certificatePem !== vector.certificatePem);
    expect(new Set(others.map((v) => v.certificatePem)).size).toBe(3);
    for (const other of others) expect(verifySnsSignature(envelopeOf(vector), keyOf(other))).toBe(false);
  });

  it.each(vectors.map((v) => [v.name, v]))('%s fails under the other hash algorithm', (_, vector) => {
    const swapped = vector.signatureVersion === '1' ? '2' : '1';
    expect(verifySnsSignature(envelopeOf(vector, { SignatureVersion: swapped }), keyOf(vector))).toBe(false);
  });

  it('keeps the CRLF inside Message: normalising it to LF breaks the signature', () => {
    const crlf = vectors.find((v) => v.name === 'notification-sv1-dotnet-sdk-crlf.json') as SnsVector;
    expect(verifySnsSignature(envelopeOf(crlf), keyOf(crlf))).toBe(true);
    expect(verifySnsSignature(envelopeOf(crlf, { Message: 'Hello\nworld!' }), keyOf(crlf))).toBe(false);
  });

  it('does not sign Subject when a Notification has none (adding one breaks the signature)', () => {
    const vector = vectors.find(
      (v) => v.type === 'Notification' && v.json.Subject === undefined,
    ) as SnsVector;
    expect(verifySnsSignature(envelopeOf(vector, { Subject: '' }), keyOf(vector))).toBe(false);
  });

  it('answers false, not an exception, for a signature of the wrong length', () => {
    const vector = vectors[0] as SnsVector;
    expect(verifySnsSignature(envelopeOf(vector, { Signature: 'AAAA' }), keyOf(vector))).toBe(false);
    const long = Buffer.alloc(1024, 7).toString('base64');
    expect(verifySnsSignature(envelopeOf(vector, { Signature: long }), keyOf(vector))).toBe(false);
  });
});
