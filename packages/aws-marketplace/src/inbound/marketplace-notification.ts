import type { AwsPartition, MarketplaceNotification } from '@billing-center/core';
import { parseSnsTimestamp, type SnsNotification } from './sns-message.js';
import { excerpt } from './sns-rejection.js';

/**
 * Stable codes for every reason a verified delivery's content cannot become a marketplace notification.
 * The message is authentic (or the shared secret matched) but its content is not what AWS Marketplace sends:
 * the edge stores nothing, answers 4xx (so it is not redelivered forever) and alerts.
 */
export const MARKETPLACE_MESSAGE_REJECTION_CODES = [
  'marketplace-message-too-large',
  'marketplace-message-malformed',
  'marketplace-message-unknown-format',
  'marketplace-message-missing-field',
  'marketplace-message-invalid-field',
  'marketplace-event-unknown-source',
] as const;
export type MarketplaceMessageRejectionCode = (typeof MARKETPLACE_MESSAGE_REJECTION_CODES)[number];

/** Why a message's content was refused (a result, like SnsRejection: junk input is expected, not a fault). */
export class MarketplaceMessageRejection {
  constructor(
    readonly code: MarketplaceMessageRejectionCode,
    /** Safe to log: at most a short excerpt of the input. */
    readonly detail: string,
    /** The field at fault, when there is one (`detail.agreement.id`, `customer-identifier`). */
    readonly field?: string,
  ) {}
}

export type MarketplaceMessageResult =
  | { readonly ok: true; readonly notification: MarketplaceNotification }
  | { readonly ok: false; readonly rejection: MarketplaceMessageRejection };

export const AGREEMENT_MARKETPLACE_SOURCE = 'aws.agreement-marketplace';

/**
 * The EventBridge detail types the seller acts on, and the subscription action each one means. Only the
 * *Manufacturer* variants: a seller who also made the offer receives the same agreement as a *Proposer* event
 * too, and acting on both would apply every change twice. Every other detail type is passed on with its raw
 * detail-type as the action: the core stores it, alerts, and ignores it.
 */
const DETAIL_TYPE_ACTIONS: Readonly<Record<string, (detail: JsonObject) => string | null>> = {
  // A created agreement that is not yet ACTIVE (future-dated) is not a subscription yet.
  'Purchase Agreement Created - Manufacturer': (d) =>
    objectAt(d, 'agreement')?.status === 'ACTIVE' ? 'subscribe-success' : null,
  'Purchase Agreement Amended - Manufacturer': () => 'entitlement-updated',
  'Purchase Agreement Ended - Manufacturer': () => 'unsubscribe-success',
  'License Updated - Manufacturer': () => 'entitlement-updated',
  'License Deprovisioned - Manufacturer': () => 'unsubscribe-success',
};

const MAX_PAYLOAD = 256 * 1024;
const MAX_FIELD = 2048;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

type JsonObject = Readonly<Record<string, unknown>>;

class Refused {
  constructor(readonly rejection: MarketplaceMessageRejection) {}
}
const refuse = (code: MarketplaceMessageRejectionCode, detail: string, field?: string): never => {
  throw new Refused(new MarketplaceMessageRejection(code, detail, field));
};

/**
 * The marketplace notification inside a verified SNS Notification: a subscription or entitlement message
 * (`action`, `customer-identifier`, `product-code`, ...) or an `aws.agreement-marketplace` EventBridge event
 * that an SNS topic forwards. The partition comes from the topic ARN.
 */
export function parseSnsMarketplaceNotification(envelope: SnsNotification): MarketplaceMessageResult {
  return attempt(() => {
    const partition = envelope.TopicArn.startsWith('arn:aws-cn:') ? 'aws-cn' : 'aws';
    const inner = parseObject(envelope.Message);
    if (isEvent(inner)) {
      return fromEvent(inner, envelope.Message, {
        source: 'sns',
        messageId: envelope.MessageId,
        topicArn: envelope.TopicArn,
      });
    }
    if (inner.action === undefined) {
      refuse('marketplace-message-unknown-format', 'neither a marketplace action nor an EventBridge event');
    }
    return fromSubscriptionMessage(inner, envelope, partition);
  });
}

/**
 * An EventBridge event POSTed directly by an API destination. Check the shared secret header first
 * ({@link SharedSecretCheck}): the body itself carries no signature.
 */
export function parseEventBridgeDelivery(rawBody: string): MarketplaceMessageResult {
  return attempt(() => {
    if (typeof rawBody !== 'string') return refuse('marketplace-message-malformed', 'the body is not text');
    const event = parseObject(rawBody);
    if (!isEvent(event)) refuse('marketplace-message-unknown-format', 'not an EventBridge event');
    return fromEvent(event, rawBody, { source: 'eventbridge', messageId: null, topicArn: null });
  });
}

function attempt(parse: () => MarketplaceNotification): MarketplaceMessageResult {
  try {
    return { ok: true, notification: parse() };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, rejection: err.rejection };
    throw err;
  }
}

function parseObject(text: string): JsonObject {
  if (text.length > MAX_PAYLOAD || Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD) {
    refuse('marketplace-message-too-large', `the message exceeds ${MAX_PAYLOAD} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return refuse('marketplace-message-malformed', 'the message is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    refuse('marketplace-message-malformed', 'the message is not a JSON object');
  }
  return json as JsonObject;
}

function isEvent(o: JsonObject): boolean {
  return o['detail-type'] !== undefined || o.source !== undefined;
}

function fromSubscriptionMessage(
  m: JsonObject,
  envelope: SnsNotification,
  partition: AwsPartition,
): MarketplaceNotification {
  const action = text(m, 'action', true) as string;
  const customerIdentifier = text(m, 'customer-identifier', false);
  const customerAwsAccountId = text(m, 'customer-aws-account-id', false);
  const licenseArn = text(m, 'licenseArn', false) ?? text(m, 'license-arn', false);
  if (!customerIdentifier && !customerAwsAccountId && !licenseArn) {
    refuse('marketplace-message-missing-field', 'customer-identifier is missing', 'customer-identifier');
  }
  return {
    source: 'sns',
    messageId: envelope.MessageId,
    topicArn: envelope.TopicArn,
    partition,
    action,
    productCode: text(m, 'product-code', true),
    customerIdentifier,
    customerAwsAccountId,
    licenseArn,
    offerId: text(m, 'offer-identifier', false),
    freeTrial: freeTrialOf(m.isFreeTrialTermPresent),
    occurredAt: new Date(parseSnsTimestamp(envelope.Timestamp)),
    payload: envelope.Message,
  };
}

/** `isFreeTrialTermPresent` is documented as the string "true"/"false"; a JSON boolean is taken as well. */
function freeTrialOf(v: unknown): boolean | null {
  if (v === undefined || v === null) return null;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return refuse(
    'marketplace-message-invalid-field',
    `isFreeTrialTermPresent ${excerpt(v)} is not "true" or "false"`,
    'isFreeTrialTermPresent',
  );
}

function fromEvent(
  e: JsonObject,
  payload: string,
  via: { source: 'sns' | 'eventbridge'; messageId: string | null; topicArn: string | null },
): MarketplaceNotification {
  const source = e.source;
  if (source !== AGREEMENT_MARKETPLACE_SOURCE) {
    refuse(
      'marketplace-event-unknown-source',
      `source ${excerpt(source)} is not ${AGREEMENT_MARKETPLACE_SOURCE}`,
      'source',
    );
  }
  const id = text(e, 'id', true) as string;
  const detailType = text(e, 'detail-type', true) as string;
  const time = text(e, 'time', true) as string;
  const occurredAt = EVENT_TIME.test(time) ? new Date(time) : null;
  if (!occurredAt || Number.isNaN(occurredAt.getTime())) {
    refuse('marketplace-message-invalid-field', `time ${excerpt(time)} is not an ISO-8601 UTC time`, 'time');
  }
  const region = text(e, 'region', true) as string;
  if (!REGION.test(region))
    refuse('marketplace-message-invalid-field', `region ${excerpt(region)} is not a region`, 'region');
  const detail = e.detail;
  if (detail === undefined) refuse('marketplace-message-missing-field', 'detail is missing', 'detail');
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    refuse('marketplace-message-invalid-field', 'detail is not an object', 'detail');
  }
  const d = detail as JsonObject;
  const mapped = DETAIL_TYPE_ACTIONS[detailType];
  const known = mapped !== undefined && Object.hasOwn(DETAIL_TYPE_ACTIONS, detailType);
  const agreementId = nested(d, 'agreement', 'id', known);
  const licenseArn = nested(d, 'license', 'arn', known && detailType.startsWith('License '));
  return {
    source: via.source,
    messageId: via.messageId ?? id,
    topicArn: via.topicArn,
    partition: region.startsWith('cn-') ? 'aws-cn' : 'aws',
    action: (known ? mapped(d) : null) ?? detailType,
    productCode: nested(d, 'product', 'code', false),
    customerIdentifier: null,
    customerAwsAccountId: nested(d, 'acceptor', 'accountId', false),
    licenseArn,
    agreementId,
    offerId: nested(d, 'offer', 'id', false),
    freeTrial: null,
    occurredAt: occurredAt as Date,
    payload,
  };
}

/** `o[name]`: a non-empty string (trimmed), or null when absent and not required. */
function text(o: JsonObject, name: string, required: boolean, path = name): string | null {
  const v = Object.hasOwn(o, name) ? o[name] : undefined;
  if (v === undefined || v === null) {
    if (required) refuse('marketplace-message-missing-field', `${path} is missing`, path);
    return null;
  }
  if (typeof v !== 'string')
    return refuse('marketplace-message-invalid-field', `${path} is not a string`, path);
  const trimmed = v.trim();
  if (trimmed === '' || trimmed.length > MAX_FIELD) {
    if (!required && trimmed === '') return null;
    refuse('marketplace-message-invalid-field', `${path} is empty or longer than ${MAX_FIELD}`, path);
  }
  return trimmed;
}

function objectAt(o: JsonObject, name: string): JsonObject | undefined {
  const v = Object.hasOwn(o, name) ? o[name] : undefined;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

/** `detail.<outer>.<inner>` as text; a present `outer` that is not an object is refused. */
function nested(d: JsonObject, outer: string, inner: string, required: boolean): string | null {
  const path = `detail.${outer}.${inner}`;
  const raw = Object.hasOwn(d, outer) ? d[outer] : undefined;
  if (raw === undefined || raw === null) {
    if (required) refuse('marketplace-message-missing-field', `${path} is missing`, path);
    return null;
  }
  const o = objectAt(d, outer);
  if (!o)
    return refuse('marketplace-message-invalid-field', `detail.${outer} is not an object`, `detail.${outer}`);
  return text(o, inner, required, path);
}
