import { excerpt, rejected, type SnsEnvelopeResult } from './sns-rejection.js';

export const SNS_MESSAGE_TYPES = [
  'Notification',
  'SubscriptionConfirmation',
  'UnsubscribeConfirmation',
] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

export const SNS_SIGNATURE_VERSIONS = ['1', '2'] as const;
export type SnsSignatureVersion = (typeof SNS_SIGNATURE_VERSIONS)[number];

/** Fields every SNS HTTP/S delivery carries, whatever its Type. */
interface SnsEnvelopeCommon {
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: SnsSignatureVersion;
  /** Canonical base64 (checked when parsed). */
  readonly Signature: string;
  readonly SigningCertURL: string;
}

export interface SnsNotification extends SnsEnvelopeCommon {
  readonly Type: 'Notification';
  readonly Subject?: string;
  /** NOT covered by the signature: never follow it without checking it on its own. */
  readonly UnsubscribeURL?: string;
}

export interface SnsSubscriptionMessage extends SnsEnvelopeCommon {
  readonly Type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  /** Signed, but still a URL from the network: check it before confirming anything. */
  readonly SubscribeURL: string;
  readonly Token: string;
}

/**
 * A parsed SNS HTTP/S delivery. Holds only the fields listed here: unsigned extras (MessageAttributes, the
 * Lambda-style spellings, a Subject on a confirmation) are dropped so nothing downstream can trust them.
 */
export type SnsEnvelope = SnsNotification | SnsSubscriptionMessage;

/** SNS caps a published payload at 256 KiB; the envelope is expected to fit the same bound by default. */
export const DEFAULT_MAX_SNS_BODY_BYTES = 256 * 1024;

export interface SnsMessageParseOptions {
  /** Largest accepted body, in UTF-8 bytes. Default {@link DEFAULT_MAX_SNS_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
}

// SNS writes UTC timestamps with millisecond precision (`2022-07-28T21:23:58.317Z`).
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

type JsonRecord = Readonly<Record<string, unknown>>;

/**
 * Parses a raw SNS HTTP/S body (JSON sent as text/plain) into a typed envelope, checking, in this order:
 * body size, JSON syntax, presence and type of every field, then the SignatureVersion value. It checks shape
 * only: authenticity is {@link SnsMessageVerifier}'s job.
 */
export function parseSnsMessage(rawBody: string, options: SnsMessageParseOptions = {}): SnsEnvelopeResult {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_SNS_BODY_BYTES;
  if (typeof rawBody !== 'string') return rejected('sns-malformed', 'the body is not text');
  // UTF-8 never takes fewer bytes than UTF-16 code units, so a long string is refused without encoding it.
  if (rawBody.length > maxBodyBytes || Buffer.byteLength(rawBody, 'utf8') > maxBodyBytes) {
    return rejected('sns-body-too-large', `the body exceeds ${maxBodyBytes} bytes`);
  }

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return rejected('sns-malformed', 'the body is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return rejected('sns-malformed', 'the body is not a JSON object');
  }
  return readEnvelope(json as JsonRecord);
}

function readEnvelope(body: JsonRecord): SnsEnvelopeResult {
  const type = body.Type;
  if (type === undefined) return rejected('sns-missing-field', 'Type is missing', 'Type');
  if (typeof type !== 'string') return rejected('sns-invalid-field', 'Type is not a string', 'Type');
  if (!isMessageType(type)) {
    return rejected('sns-unknown-message-type', `unknown Type ${excerpt(type)}`, 'Type');
  }

  const fields: Record<string, string> = {};
  const required = type === 'Notification' ? NOTIFICATION_REQUIRED : SUBSCRIPTION_REQUIRED;
  for (const name of required) {
    const problem = readString(body, name, name !== 'Message', fields);
    if (problem) return problem;
  }
  const optional = type === 'Notification' ? NOTIFICATION_OPTIONAL : [];
  for (const name of optional) {
    if (body[name] === undefined) continue;
    const problem = readString(body, name, false, fields);
    if (problem) return problem;
  }

  const timestamp = fields.Timestamp as string;
  if (!isIsoTimestamp(timestamp)) {
    return rejected(
      'sns-invalid-field',
      `Timestamp ${excerpt(timestamp)} is not an ISO-8601 UTC time`,
      'Timestamp',
    );
  }
  if (!isCanonicalBase64(fields.Signature as string)) {
    return rejected('sns-invalid-field', 'Signature is not canonical base64', 'Signature');
  }
  const version = fields.SignatureVersion as string;
  if (!isSignatureVersion(version)) {
    return rejected(
      'sns-unknown-signature-version',
      `SignatureVersion ${excerpt(version)} is not supported`,
      'SignatureVersion',
    );
  }
  // Every field name was checked above, so the record has the envelope's shape.
  return {
    ok: true,
    envelope: { ...fields, Type: type, SignatureVersion: version } as unknown as SnsEnvelope,
  };
}

const COMMON_REQUIRED = [
  'MessageId',
  'TopicArn',
  'Message',
  'Timestamp',
  'SignatureVersion',
  'Signature',
  'SigningCertURL',
] as const;
const NOTIFICATION_REQUIRED = COMMON_REQUIRED;
const SUBSCRIPTION_REQUIRED = [...COMMON_REQUIRED, 'SubscribeURL', 'Token'] as const;
const NOTIFICATION_OPTIONAL = ['Subject', 'UnsubscribeURL'] as const;

/** Copies `body[name]` into `into` when it is a string; returns the rejection otherwise. */
function readString(
  body: JsonRecord,
  name: string,
  nonEmpty: boolean,
  into: Record<string, string>,
): SnsEnvelopeResult | undefined {
  const value = Object.hasOwn(body, name) ? body[name] : undefined;
  if (value === undefined) return rejected('sns-missing-field', `${name} is missing`, name);
  if (typeof value !== 'string') return rejected('sns-invalid-field', `${name} is not a string`, name);
  if (nonEmpty && value.length === 0) return rejected('sns-invalid-field', `${name} is empty`, name);
  into[name] = value;
  return undefined;
}

function isMessageType(value: string): value is SnsMessageType {
  return (SNS_MESSAGE_TYPES as readonly string[]).includes(value);
}

function isSignatureVersion(value: string): value is SnsSignatureVersion {
  return (SNS_SIGNATURE_VERSIONS as readonly string[]).includes(value);
}

function isIsoTimestamp(value: string): boolean {
  if (!TIMESTAMP.test(value)) return false;
  const ms = Date.parse(value);
  // Date.parse rolls 2015-02-30 over to March; a real SNS timestamp reads back as itself.
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === value.slice(0, 19);
}

/**
 * Node's base64 decoder skips unknown characters and ignores the spare bits of the last group, so several
 * strings decode to one signature. Only the canonical spelling is accepted, so that a changed Signature
 * string can never verify.
 */
function isCanonicalBase64(value: string): boolean {
  return value.length > 0 && Buffer.from(value, 'base64').toString('base64') === value;
}

/** Milliseconds since the epoch of an envelope's Timestamp (already checked by {@link parseSnsMessage}). */
export function snsTimestampMs(envelope: SnsEnvelope): number {
  return Date.parse(envelope.Timestamp);
}
