import { describe, expect, it } from 'vitest';
import { type CertificateFetcher, SigningCertificateCache } from '../src/inbound/certificate-cache.js';
import type { SnsEnvelopeResult } from '../src/inbound/sns-rejection.js';
import { SnsMessageVerifier } from '../src/inbound/sns-verifier.js';
import {
  clockFor,
  loadSnsVectors,
  type SnsVector,
  StubCertificateFetcher,
  verifierFor,
  withFields,
} from './support/sns-vectors.js';

const vectors = loadSnsVectors();
const byName = (name: string) => vectors.find((v) => v.name === name) as SnsVector;
const dotnet = byName('notification-sv1-dotnet-sdk-crlf.json');
const javaV2 = byName('notification-sv2-java-sdk-v2.json');
const HOUR = 60 * 60 * 1000;

function codeOf(result: SnsEnvelopeResult): string {
  return result.ok ? 'ok' : result.rejection.code;
}

describe('SnsMessageVerifier with the real AWS-signed vectors', () => {
  it.each(vectors.map((v) => [v.name, v]))('accepts %s', async (_, vector) => {
    const fetcher = StubCertificateFetcher.forVectors();
    const result = await verifierFor(vector, {}, fetcher).verify(vector.raw);
    if (!result.ok) throw new Error(`${result.rejection.code}: ${result.rejection.detail}`);
    expect(result.envelope).toMatchObject({
      Type: vector.type,
      MessageId: vector.json.MessageId,
      TopicArn: vector.topicArn,
      Message: vector.json.Message,
    });
    expect(fetcher.calls).toEqual([vector.signingCertUrl]);
  });

  it('verifies them all through one verifier, fetching each certificate once', async () => {
    const fetcher = StubCertificateFetcher.forVectors();
    let now = 0;
    const verifier = new SnsMessageVerifier({
      allowedTopicArns: vectors.map((v) => v.topicArn),
      certificates: new SigningCertificateCache(fetcher),
      now: () => now,
    });
    for (const round of [1, 2]) {
      for (const vector of vectors) {
        now = clockFor(vector)();
        expect([round, vector.name, codeOf(await verifier.verify(vector.raw))]).toEqual([
          round,
          vector.name,
          'ok',
        ]);
      }
    }
    expect(fetcher.calls.sort()).toEqual([...new Set(vectors.map((v) => v.signingCertUrl))].sort());
  });

  it('ignores unsigned fields: changed MessageAttributes still verify and never reach the envelope', async () => {
    const vector = byName('notification-sv1-java-sdk-v1-attrs.json');
    const body = withFields(vector, { MessageAttributes: { forged: { Type: 'String', Value: 'x' } } });
    const result = await verifierFor(vector).verify(body);
    expect(result.ok && 'MessageAttributes' in result.envelope).toBe(false);
    expect(codeOf(result)).toBe('ok');
  });
});

describe('SnsMessageVerifier checks', () => {
  it('refuses a TopicArn that is not exactly on the allow-list, without fetching', async () => {
    const fetcher = StubCertificateFetcher.forVectors();
    const verifier = verifierFor(dotnet, { allowedTopicArns: [`${dotnet.topicArn}-other`] }, fetcher);
    expect(codeOf(await verifier.verify(dotnet.raw))).toBe('sns-topic-not-allowed');
    expect(fetcher.calls).toEqual([]);
  });

  describe('Timestamp window', () => {
    const at = (offsetMs: number, options = {}) =>
      verifierFor(javaV2, { now: () => javaV2.timestampMs + offsetMs, ...options }).verify(javaV2.raw);

    it('accepts up to one hour old and five minutes ahead by default', async () => {
      expect(codeOf(await at(HOUR))).toBe('ok');
      expect(codeOf(await at(-5 * 60_000))).toBe('ok');
    });

    it('refuses older than one hour or further ahead than five minutes by default', async () => {
      expect(codeOf(await at(HOUR + 1))).toBe('sns-timestamp-out-of-window');
      expect(codeOf(await at(-5 * 60_000 - 1))).toBe('sns-timestamp-out-of-window');
    });

    it('uses the configured bounds', async () => {
      expect(codeOf(await at(2 * HOUR, { maxMessageAgeMs: 3 * HOUR }))).toBe('ok');
      expect(codeOf(await at(11_000, { maxMessageAgeMs: 10_000 }))).toBe('sns-timestamp-out-of-window');
      expect(codeOf(await at(-2_000, { maxClockSkewMs: 1_000 }))).toBe('sns-timestamp-out-of-window');
    });

    it('refuses the real vectors at the real current time', async () => {
      const old = byName('notification-sv1-ruby-sdk.json');
      expect(codeOf(await verifierFor(old, { now: Date.now }).verify(old.raw))).toBe(
        'sns-timestamp-out-of-window',
      );
    });
  });

  it("refuses a certificate outside its validity period at our clock's time", async () => {
    // The d6d679a1 certificate expired on 2015-08-22; the message is from 2015-08-18.
    const verifier = verifierFor(dotnet, {
      now: () => Date.parse('2015-08-23T00:00:00Z'),
      maxMessageAgeMs: 30 * 24 * HOUR,
    });
    const result = await verifier.verify(dotnet.raw);
    expect(codeOf(result)).toBe('sns-certificate-invalid');
    expect(result.ok || result.rejection.retryable).toBe(false);
  });

  it('answers a retryable rejection when the certificate cannot be fetched', async () => {
    const failing: CertificateFetcher = { fetch: async () => Promise.reject(new Error('ECONNRESET')) };
    const result = await verifierFor(dotnet, {}, failing).verify(dotnet.raw);
    expect(codeOf(result)).toBe('sns-certificate-unavailable');
    expect(result.ok || result.rejection.retryable).toBe(true);
  });

  it('refuses when the URL serves something that is not a certificate', async () => {
    const junk = new StubCertificateFetcher(new Map([[dotnet.signingCertUrl, '<html/>']]));
    expect(codeOf(await verifierFor(dotnet, {}, junk).verify(dotnet.raw))).toBe('sns-certificate-invalid');
  });

  it('refuses a genuine SNS certificate that did not sign the message', async () => {
    const substituted = () =>
      new StubCertificateFetcher(new Map([[dotnet.signingCertUrl, javaV2.certificatePem]]));
    const twentyYears = 20 * 365 * 24 * HOUR;
    // With the message's own clock the substituted certificate is not valid yet (it is from 2025)...
    expect(codeOf(await verifierFor(dotnet, {}, substituted()).verify(dotnet.raw))).toBe(
      'sns-certificate-invalid',
    );
    // ...and inside its validity period it is simply the wrong key.
    const inItsPeriod = verifierFor(
      dotnet,
      { now: clockFor(javaV2), maxMessageAgeMs: twentyYears },
      substituted(),
    );
    expect(codeOf(await inItsPeriod.verify(dotnet.raw))).toBe('sns-signature-invalid');
  });

  it('runs the checks in order and stops at the first failure', async () => {
    const fetcher = StubCertificateFetcher.forVectors();
    const verifier = verifierFor(dotnet, { maxBodyBytes: 4096 }, fetcher);
    const evilUrl = 'https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem';
    const cases: [Record<string, unknown>, string][] = [
      [{ Message: 'x'.repeat(5000), SignatureVersion: '9', TopicArn: 'arn:x' }, 'sns-body-too-large'],
      [{ MessageId: undefined, SignatureVersion: '9', TopicArn: 'arn:x' }, 'sns-missing-field'],
      [
        { SignatureVersion: '9', TopicArn: 'arn:x', Timestamp: '2001-01-01T00:00:00Z' },
        'sns-unknown-signature-version',
      ],
      [
        { TopicArn: 'arn:x', Timestamp: '2001-01-01T00:00:00Z', SigningCertURL: evilUrl },
        'sns-topic-not-allowed',
      ],
      [{ Timestamp: '2001-01-01T00:00:00Z', SigningCertURL: evilUrl }, 'sns-timestamp-out-of-window'],
      [{ SigningCertURL: evilUrl, Signature: 'AAAA' }, 'sns-certificate-url-refused'],
      [{ Signature: 'AAAA' }, 'sns-signature-invalid'],
    ];
    for (const [changes, code] of cases) {
      expect([changes, codeOf(await verifier.verify(withFields(dotnet, changes)))]).toEqual([changes, code]);
    }
    expect(fetcher.calls).toEqual([dotnet.signingCertUrl]);
  });

  it('refuses a non-JSON body as sns-malformed', async () => {
    expect(codeOf(await verifierFor(dotnet).verify('not json'))).toBe('sns-malformed');
  });
});

describe('SnsMessageVerifier and a trusted local simulator', () => {
  // SigningCertURL is not signed, so a real message re-pointed at the simulator's URL still verifies there.
  const localUrl = 'http://127.0.0.1:4566/SimpleNotificationService-d6d679a1d18e95c2f9ffcf11f4f9e198.pem';
  const body = withFields(dotnet, { SigningCertURL: localUrl });
  const localFetcher = () => new StubCertificateFetcher(new Map([[localUrl, dotnet.certificatePem]]));

  it('is refused by default, without fetching', async () => {
    const fetcher = localFetcher();
    expect(codeOf(await verifierFor(dotnet, {}, fetcher).verify(body))).toBe('sns-certificate-url-refused');
    expect(fetcher.calls).toEqual([]);
  });

  it('is accepted once its origin is configured', async () => {
    const verifier = verifierFor(
      dotnet,
      { trustedLocalCertificateOrigins: ['http://127.0.0.1:4566'] },
      localFetcher(),
    );
    expect(codeOf(await verifier.verify(body))).toBe('ok');
  });
});

describe('SnsMessageVerifier configuration', () => {
  const certificates = new SigningCertificateCache(StubCertificateFetcher.forVectors());

  it('refuses an empty allow-list', () => {
    expect(() => new SnsMessageVerifier({ allowedTopicArns: [], certificates })).toThrow(/at least one/);
  });

  it.each([
    'arn:aws:sns:us-east-1:123456789012:*',
    'arn:aws:sns:*:123456789012:topic',
    'arn:aws:sns:us-east-1:*:topic',
    'arn:aws:sqs:us-east-1:123456789012:queue',
    'topic',
    '',
  ])('refuses the allow-list entry %j', (arn) => {
    expect(() => new SnsMessageVerifier({ allowedTopicArns: [arn], certificates })).toThrow(
      /exact SNS topic ARN/,
    );
  });

  it.each([
    'arn:aws:sns:us-east-1:123456789012:aws-mp-subscription-notification-abc123',
    'arn:aws-cn:sns:cn-northwest-1:123456789012:aws-mp-entitlement-notification-abc123',
    'arn:aws:sns:us-east-1:000000000000:local.fifo',
  ])('accepts the allow-list entry %s', (arn) => {
    expect(() => new SnsMessageVerifier({ allowedTopicArns: [arn], certificates })).not.toThrow();
  });

  it.each([
    ['maxBodyBytes', -1],
    ['maxMessageAgeMs', Number.NaN],
    ['maxClockSkewMs', 1.5],
    ['maxMessageAgeMs', Number.POSITIVE_INFINITY],
  ])('refuses %s = %s', (option, value) => {
    expect(
      () => new SnsMessageVerifier({ allowedTopicArns: [dotnet.topicArn], certificates, [option]: value }),
    ).toThrow(option);
  });

  it('refuses a malformed trusted local origin', () => {
    expect(
      () =>
        new SnsMessageVerifier({
          allowedTopicArns: [dotnet.topicArn],
          certificates,
          trustedLocalCertificateOrigins: ['http://127.0.0.1:4566/anything'],
        }),
    ).toThrow(/bare origin/);
  });
});
