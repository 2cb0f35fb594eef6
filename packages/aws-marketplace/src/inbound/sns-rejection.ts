import type { SnsEnvelope } from './sns-message.js';

/**
 * Stable codes for every reason an inbound SNS delivery is refused. The SNS webhook maps them to its answer
 * (a 4xx drops the message for good; a retryable rejection is answered 5xx so that SNS delivers it again).
 */
export const SNS_REJECTION_CODES = [
  'sns-body-too-large',
  'sns-malformed',
  'sns-missing-field',
  'sns-invalid-field',
  'sns-unknown-message-type',
  'sns-unknown-signature-version',
  'sns-topic-not-allowed',
  'sns-timestamp-out-of-window',
  'sns-certificate-url-refused',
  'sns-certificate-unavailable',
  'sns-certificate-invalid',
  'sns-signature-invalid',
] as const;

export type SnsRejectionCode = (typeof SNS_REJECTION_CODES)[number];

/**
 * Why an inbound SNS message was refused. Forged, garbled and stale deliveries are expected input on a public
 * endpoint, so this is returned as a result rather than thrown (and deliberately not an `Error`: building
 * stack traces for every junk request would only cost time).
 */
export class SnsRejection {
  constructor(
    readonly code: SnsRejectionCode,
    /** Safe to log: never echoes more than a short excerpt of attacker-controlled input. */
    readonly detail: string,
    /** The envelope field at fault, when there is one. */
    readonly field?: string,
  ) {}

  /**
   * True only when a genuine message could not be checked right now (its certificate could not be fetched):
   * the edge should answer 5xx so that SNS retries, instead of dropping a real lifecycle event.
   */
  get retryable(): boolean {
    return this.code === 'sns-certificate-unavailable';
  }
}

export type SnsEnvelopeResult =
  | { readonly ok: true; readonly envelope: SnsEnvelope }
  | { readonly ok: false; readonly rejection: SnsRejection };

export type SnsRejected = Extract<SnsEnvelopeResult, { readonly ok: false }>;

export function rejected(code: SnsRejectionCode, detail: string, field?: string): SnsRejected {
  return { ok: false, rejection: new SnsRejection(code, detail, field) };
}

/** A short, single-line excerpt of untrusted input for rejection details and logs. */
export function excerpt(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const oneLine = JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
  return oneLine;
}
