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
// Base64 characters, then at most two `=`; the length and the spare bits are checked beside it.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

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

  // Checked in a fixed order, so that the first problem reported is stable.
  const required = type === 'Notification' ? COMMON_REQUIRED : SUBSCRIPTION_REQUIRED;
  for (const name of required) {
    const problem = checkString(body, name, name === 'Message');
    if (problem) return problem;
  }
  const optional = type === 'Notification' ? NOTIFICATION_OPTIONAL : [];
  for (const name of optional) {
    const problem = body[name] === undefined ? undefined : checkString(body, name, true);
    if (problem) return problem;
  }
  const fields = body as Readonly<Record<string, string>>;

  const timestamp = fields.Timestamp as string;
  if (Number.isNaN(parseSnsTimestamp(timestamp))) {
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
  return { ok: true, envelope: buildEnvelope(type, version, fields) };
}

/** Copies the checked fields into a fresh envelope, so nothing else from the body comes along. */
function buildEnvelope(
  type: SnsMessageType,
  version: SnsSignatureVersion,
  fields: Readonly<Record<string, string>>,
): SnsEnvelope {
  // Plain literals of one fixed shape each: this runs for every delivery.
  if (type !== 'Notification') {
    return {
      Type: type,
      MessageId: fields.MessageId as string,
      TopicArn: fields.TopicArn as string,
      Message: fields.Message as string,
      Timestamp: fields.Timestamp as string,
      SignatureVersion: version,
      Signature: fields.Signature as string,
      SigningCertURL: fields.SigningCertURL as string,
      SubscribeURL: fields.SubscribeURL as string,
      Token: fields.Token as string,
    };
  }
  const notification: { -readonly [K in keyof SnsNotification]: SnsNotification[K] } = {
    Type: type,
    MessageId: fields.MessageId as string,
    TopicArn: fields.TopicArn as string,
    Message: fields.Message as string,
    Timestamp: fields.Timestamp as string,
    SignatureVersion: version,
    Signature: fields.Signature as string,
    SigningCertURL: fields.SigningCertURL as string,
  };
  if (fields.Subject !== undefined) notification.Subject = fields.Subject;
  if (fields.UnsubscribeURL !== undefined) notification.UnsubscribeURL = fields.UnsubscribeURL;
  return notification;
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
const SUBSCRIPTION_REQUIRED = [...COMMON_REQUIRED, 'SubscribeURL', 'Token'] as const;
const NOTIFICATION_OPTIONAL = ['Subject', 'UnsubscribeURL'] as const;

/** The rejection for `body[name]` unless it is a string (a non-empty one unless `mayBeEmpty`). */
function checkString(body: JsonRecord, name: string, mayBeEmpty: boolean): SnsEnvelopeResult | undefined {
  // None of the field names exists on Object.prototype, so a plain read sees only the body's own keys.
  const value = body[name];
  if (value === undefined) return rejected('sns-missing-field', `${name} is missing`, name);
  if (typeof value !== 'string') return rejected('sns-invalid-field', `${name} is not a string`, name);
  if (!mayBeEmpty && value.length === 0) return rejected('sns-invalid-field', `${name} is empty`, name);
  return undefined;
}

function isMessageType(value: string): value is SnsMessageType {
  return (SNS_MESSAGE_TYPES as readonly string[]).includes(value);
}

function isSignatureVersion(value: string): value is SnsSignatureVersion {
  return (SNS_SIGNATURE_VERSIONS as readonly string[]).includes(value);
}

/**
 * Milliseconds since the epoch of an SNS Timestamp (`YYYY-MM-DDThh:mm:ss[.fff]Z`), or NaN when it is not
 * one. Read digit by digit: it runs for every delivery, and Date.parse would accept other formats and
 * roll 2015-02-30 over to March.
 */
export function parseSnsTimestamp(value: string): number {
  if (!TIMESTAMP.test(value)) return Number.NaN;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  const leapDay = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  const monthDays = (MONTH_DAYS[month - 1] ?? 0) + leapDay;
  if (day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const millis = value.length > 20 ? Number(value.slice(20, -1).slice(0, 3).padEnd(3, '0')) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

function digitsAt(value: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i += 1) n = n * 10 + value.charCodeAt(i) - 48;
  return n;
}

/**
 * Node's base64 decoder skips unknown characters and ignores the spare bits of the last group, so several
 * strings decode to one signature. Only the canonical spelling (length a multiple of 4, padding only at
 * the end, spare bits zero) is accepted, so that a changed Signature string can never verify.
 */
function isCanonicalBase64(value: string): boolean {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return false;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  if (padding === 0) return true;
  const last = BASE64_ALPHABET.indexOf(value.charAt(value.length - 1 - padding));
  return (last & (padding === 2 ? 0b1111 : 0b11)) === 0;
}

/** Milliseconds since the epoch of an envelope's Timestamp (already checked by {@link parseSnsMessage}). */
export function snsTimestampMs(envelope: SnsEnvelope): number {
  return parseSnsTimestamp(envelope.Timestamp);
}
