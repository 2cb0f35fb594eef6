import {
  CertificateInvalidError,
  CertificateUnavailableError,
  type SigningCertificate,
  type SigningCertificateCache,
} from './certificate-cache.js';
import { CertificateUrlPolicy } from './certificate-url-policy.js';
import {
  DEFAULT_MAX_SNS_BODY_BYTES,
  parseSnsMessage,
  type SnsMessageParseOptions,
  snsTimestampMs,
} from './sns-message.js';
import { excerpt, rejected, type SnsEnvelopeResult, type SnsRejected } from './sns-rejection.js';
import { verifySnsSignature } from './sns-signature.js';

export interface SnsMessageVerifierOptions {
  /** Exact TopicArns whose messages are accepted; no wildcards. Must not be empty. */
  readonly allowedTopicArns: readonly string[];
  /** Where signing certificates come from (fetched through its port, parsed and cached). */
  readonly certificates: SigningCertificateCache;
  /** A local SNS simulator's origin, for development and tests only; production: none (the default). */
  readonly trustedLocalCertificateOrigins?: readonly string[];
  /** Largest accepted body in UTF-8 bytes. Default 256 KiB. */
  readonly maxBodyBytes?: number;
  /** Refuse messages whose Timestamp is older than this. Default one hour. */
  readonly maxMessageAgeMs?: number;
  /** Tolerate a Timestamp this far ahead of our clock. Default five minutes. */
  readonly maxClockSkewMs?: number;
  /** Current time in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
}

const TOPIC_ARN =
  /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;

/**
 * Decides whether a raw SNS HTTP/S delivery is authentic and for us. Checks run cheapest and least trusting
 * first, and nothing is fetched until every local check has passed: size, JSON, fields, SignatureVersion,
 * TopicArn allow-list, Timestamp window, certificate URL policy, then the certificate and the signature.
 */
export class SnsMessageVerifier {
  private readonly allowedTopicArns: ReadonlySet<string>;
  private readonly certificates: SigningCertificateCache;
  private readonly urlPolicy: CertificateUrlPolicy;
  private readonly parseOptions: SnsMessageParseOptions;
  private readonly maxMessageAgeMs: number;
  private readonly maxClockSkewMs: number;
  private readonly now: () => number;

  constructor(options: SnsMessageVerifierOptions) {
    if (options.allowedTopicArns.length === 0) {
      throw new Error(
        'allowedTopicArns must list at least one topic: an empty list would refuse every message',
      );
    }
    for (const arn of options.allowedTopicArns) {
      if (!TOPIC_ARN.test(arn)) {
        throw new Error(`allowedTopicArns: ${JSON.stringify(arn)} is not an exact SNS topic ARN`);
      }
    }
    this.allowedTopicArns = new Set(options.allowedTopicArns);
    this.certificates = options.certificates;
    this.urlPolicy = new CertificateUrlPolicy({
      trustedLocalCertificateOrigins: options.trustedLocalCertificateOrigins ?? [],
    });
    this.parseOptions = {
      maxBodyBytes: limit(options.maxBodyBytes ?? DEFAULT_MAX_SNS_BODY_BYTES, 'maxBodyBytes'),
    };
    this.maxMessageAgeMs = limit(options.maxMessageAgeMs ?? 60 * 60 * 1000, 'maxMessageAgeMs');
    this.maxClockSkewMs = limit(options.maxClockSkewMs ?? 5 * 60 * 1000, 'maxClockSkewMs');
    this.now = options.now ?? Date.now;
  }

  async verify(rawBody: string): Promise<SnsEnvelopeResult> {
    const parsed = parseSnsMessage(rawBody, this.parseOptions);
    if (!parsed.ok) return parsed;
    const envelope = parsed.envelope;

    if (!this.allowedTopicArns.has(envelope.TopicArn)) {
      return rejected(
        'sns-topic-not-allowed',
        `TopicArn ${excerpt(envelope.TopicArn)} is not allowed`,
        'TopicArn',
      );
    }

    const now = this.now();
    const age = now - snsTimestampMs(envelope);
    if (age > this.maxMessageAgeMs || -age > this.maxClockSkewMs) {
      return rejected(
        'sns-timestamp-out-of-window',
        `Timestamp ${envelope.Timestamp} is ${age >= 0 ? `${age} ms old` : `${-age} ms in the future`}`,
        'Timestamp',
      );
    }

    const decision = this.urlPolicy.check(envelope.SigningCertURL);
    if (!decision.ok) {
      return rejected(
        'sns-certificate-url-refused',
        `SigningCertURL ${excerpt(envelope.SigningCertURL)} refused: ${decision.reason}`,
        'SigningCertURL',
      );
    }

    // Almost every message is signed by a cached certificate: take it without a round through a promise.
    let certificate = this.certificates.peek(decision.url);
    if (!certificate) {
      const loaded = await this.loadCertificate(decision.url);
      if ('rejection' in loaded) return loaded;
      certificate = loaded;
    }
    if (now < certificate.validFromMs || now > certificate.validToMs) {
      return rejected(
        'sns-certificate-invalid',
        `the signing certificate is not valid at ${new Date(now).toISOString()}`,
      );
    }

    if (!verifySnsSignature(envelope, certificate.publicKey)) {
      return rejected('sns-signature-invalid', 'the signature does not match the signed fields', 'Signature');
    }
    return parsed;
  }

  private async loadCertificate(url: string): Promise<SigningCertificate | SnsRejected> {
    try {
      return await this.certificates.get(url);
    } catch (error) {
      if (error instanceof CertificateUnavailableError) {
        return rejected('sns-certificate-unavailable', error.message, 'SigningCertURL');
      }
      if (error instanceof CertificateInvalidError) {
        return rejected('sns-certificate-invalid', error.message, 'SigningCertURL');
      }
      throw error;
    }
  }
}

function limit(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}
