import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ReceiveMarketplaceEvent } from '@billing-center/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MARKETPLACE_MESSAGE_REJECTION_CODES,
  type MarketplaceMessageResult,
  parseEventBridgeDelivery,
  parseSnsMarketplaceNotification,
} from '../src/inbound/marketplace-notification.js';
import { SharedSecretCheck } from '../src/inbound/shared-secret.js';
import type { SnsNotification } from '../src/inbound/sns-message.js';
import { loadSnsVectors, repoRoot, verifierFor } from './support/sns-vectors.js';

const DIR = path.resolve(repoRoot(), '..', 'shared', 'vectors', 'marketplace');
const vector = (name: string) => readFileSync(path.join(DIR, name), 'utf8');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:aws-mp-subscription-notification-n0123EXAMPLE';
const CN_TOPIC = 'arn:aws-cn:sns:cn-northwest-1:123456789012:aws-mp-subscription-notification-n0123EXAMPLE';

function snsWith(message: string, topicArn = TOPIC): SnsNotification {
  return {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: topicArn,
    Message: message,
    Timestamp: '2026-11-26T12:34:56.789Z',
    SignatureVersion: '2',
    Signature: 'AAAA',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
  };
}

function ok(result: MarketplaceMessageResult) {
  if (!result.ok) throw new Error(`${result.rejection.code}: ${result.rejection.detail}`);
  return result.notification;
}

function codeOf(result: MarketplaceMessageResult) {
  return result.ok ? 'ok' : result.rejection.code;
}

describe('SNS subscription and entitlement messages (every documented vector)', () => {
  it.each([
    ['sns-subscription-subscribe-success.json', 'subscribe-success', 'offer-abcexample123'],
    ['sns-subscription-subscribe-fail.json', 'subscribe-fail', 'offer-abcexample123'],
    ['sns-subscription-unsubscribe-pending.json', 'unsubscribe-pending', null],
    ['sns-subscription-unsubscribe-success.json', 'unsubscribe-success', null],
  ])('%s → %s', (file, action, offerId) => {
    const message = vector(file);
    expect(ok(parseSnsMarketplaceNotification(snsWith(message)))).toEqual({
      source: 'sns',
      messageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      topicArn: TOPIC,
      partition: 'aws',
      action,
      productCode: 'n0123EXAMPLEXXXXXXXXXXXX',
      customerIdentifier: 'X01EXAMPLEX',
      customerAwsAccountId: null,
      licenseArn: null,
      offerId,
      freeTrial: true,
      occurredAt: new Date('2026-11-26T12:34:56.789Z'),
      payload: message,
    });
  });

  it('sns-entitlement-updated.json → entitlement-updated, no free-trial flag', () => {
    const n = ok(parseSnsMarketplaceNotification(snsWith(vector('sns-entitlement-updated.json'))));
    expect(n).toMatchObject({
      action: 'entitlement-updated',
      customerIdentifier: 'X01EXAMPLEX',
      productCode: 'n0123EXAMPLEXXXXXXXXXXXX',
      freeTrial: null,
      offerId: null,
    });
  });

  it('takes the partition from the topic ARN', () => {
    const n = ok(parseSnsMarketplaceNotification(snsWith(vector('sns-entitlement-updated.json'), CN_TOPIC)));
    expect(n.partition).toBe('aws-cn');
  });

  it('reads isFreeTrialTermPresent "false", and the account and license when AWS sends them', () => {
    const message = JSON.stringify({
      action: 'subscribe-success',
      'customer-identifier': 'X01',
      'product-code': 'p',
      isFreeTrialTermPresent: 'false',
      'customer-aws-account-id': '845735284135',
      licenseArn: 'arn:aws:license-manager::123456789012:license:l-abc',
    });
    expect(ok(parseSnsMarketplaceNotification(snsWith(message)))).toMatchObject({
      freeTrial: false,
      customerAwsAccountId: '845735284135',
      licenseArn: 'arn:aws:license-manager::123456789012:license:l-abc',
    });
  });

  it('passes an unknown action on as sent (the core stores and alerts)', () => {
    const message = JSON.stringify({
      action: 'subscribe-later',
      'customer-identifier': 'X',
      'product-code': 'p',
    });
    expect(ok(parseSnsMarketplaceNotification(snsWith(message))).action).toBe('subscribe-later');
  });

  it.each([
    ['plain text', 'Hello world', 'marketplace-message-malformed'],
    ['a JSON array', '[1]', 'marketplace-message-malformed'],
    ['an object with neither action nor source', '{"foo":1}', 'marketplace-message-unknown-format'],
    ['no customer', '{"action":"subscribe-success","product-code":"p"}', 'marketplace-message-missing-field'],
    [
      'no product',
      '{"action":"subscribe-success","customer-identifier":"c"}',
      'marketplace-message-missing-field',
    ],
    [
      'a numeric action',
      '{"action":1,"customer-identifier":"c","product-code":"p"}',
      'marketplace-message-invalid-field',
    ],
    [
      'a free-trial flag that is neither true nor false',
      '{"action":"subscribe-success","customer-identifier":"c","product-code":"p","isFreeTrialTermPresent":"yes"}',
      'marketplace-message-invalid-field',
    ],
    [
      'an empty action',
      '{"action":" ","customer-identifier":"c","product-code":"p"}',
      'marketplace-message-invalid-field',
    ],
    ['a huge message', JSON.stringify({ action: 'x'.repeat(300 * 1024) }), 'marketplace-message-too-large'],
  ])('refuses %s with a stable code', (_, message, code) => {
    expect(codeOf(parseSnsMarketplaceNotification(snsWith(message)))).toBe(code);
  });

  it('every parsed vector is accepted by the core’s ReceiveMarketplaceEvent input rules', async () => {
    // The core validates before anything else; a context whose unit of work is never reached proves it.
    const stored: unknown[] = [];
    const ctx = {
      clock: { now: () => new Date() },
      ids: { next: () => 'id' },
      // the inbox's answer for the one event stored: new
      uow: {
        transaction: async () => {
          stored.push(1);
          return [{ eventId: 'id', duplicate: false }];
        },
      },
    } as never;
    for (const file of FILES) {
      const n = file.startsWith('sns-')
        ? ok(parseSnsMarketplaceNotification(snsWith(vector(file))))
        : ok(parseEventBridgeDelivery(vector(file)));
      await new ReceiveMarketplaceEvent(ctx).execute(n);
    }
    expect(stored).toHaveLength(FILES.length);
  });
});

describe('EventBridge aws.agreement-marketplace events (every documented vector)', () => {
  const AGREEMENT = 'agmt-4mwg1nevbokzw95eca5797ixs';
  it.each([
    ['eventbridge-purchase-agreement-created-manufacturer.json', 'subscribe-success'],
    ['eventbridge-purchase-agreement-amended-manufacturer.json', 'entitlement-updated'],
    ['eventbridge-purchase-agreement-ended-manufacturer.json', 'unsubscribe-success'],
  ])('%s posted directly → %s', (file, action) => {
    const body = vector(file);
    expect(ok(parseEventBridgeDelivery(body))).toEqual({
      source: 'eventbridge',
      messageId: '12345678-1234-1234-1234-123456789012',
      topicArn: null,
      partition: 'aws',
      action,
      productCode: null,
      customerIdentifier: null,
      customerAwsAccountId: '845735284135',
      licenseArn: null,
      agreementId: AGREEMENT,
      offerId: 'offer-1234567890123',
      freeTrial: null,
      occurredAt: new Date('2024-08-30T21:36:03Z'),
      payload: body,
    });
  });

  it.each([
    ['eventbridge-license-updated-manufacturer.json', 'entitlement-updated'],
    ['eventbridge-license-deprovisioned-manufacturer.json', 'unsubscribe-success'],
  ])('%s → %s, with the product, the license and the buyer account', (file, action) => {
    expect(ok(parseEventBridgeDelivery(vector(file)))).toMatchObject({
      action,
      productCode: 'aw4fgf5tyo5w2ap6fEXAMPLE',
      licenseArn: 'aws:license-manager:us-east-1:123456789012:l-e52ca6f38bf84d0fafb8802ca15ac11x',
      customerAwsAccountId: '845735284135',
      agreementId: AGREEMENT,
      offerId: '8kkr91jo647j3qxlcjhlqce7y',
    });
  });

  it.each(
    FILES.filter((f) => f.startsWith('eventbridge-')),
  )('%s wrapped in an SNS Notification: SNS message id and topic, the event’s own time', (file) => {
    const direct = ok(parseEventBridgeDelivery(vector(file)));
    const wrapped = ok(parseSnsMarketplaceNotification(snsWith(vector(file))));
    expect(wrapped).toEqual({
      ...direct,
      source: 'sns',
      messageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      topicArn: TOPIC,
    });
  });

  const event = (changes: Record<string, unknown>, detail: Record<string, unknown> = {}) => {
    const e = JSON.parse(vector('eventbridge-purchase-agreement-created-manufacturer.json'));
    return JSON.stringify({ ...e, ...changes, detail: { ...e.detail, ...detail } });
  };

  it('a created agreement that is not ACTIVE yet keeps its detail type as the action', () => {
    const body = event({}, { agreement: { id: 'agmt-1', status: 'PENDING' } });
    expect(ok(parseEventBridgeDelivery(body)).action).toBe('Purchase Agreement Created - Manufacturer');
  });

  it('passes other detail types on as their raw detail type (Proposer, Acceptor, advisories)', () => {
    for (const type of [
      'Purchase Agreement Created - Proposer',
      'Purchase Agreement Advisory Issued - Manufacturer',
      'Purchase Agreement Ending - Proposer',
    ]) {
      expect(ok(parseEventBridgeDelivery(event({ 'detail-type': type }))).action).toBe(type);
    }
  });

  it('takes the China partition from a cn- region', () => {
    expect(ok(parseEventBridgeDelivery(event({ region: 'cn-northwest-1' }))).partition).toBe('aws-cn');
  });

  it.each([
    ['another source', event({ source: 'aws.ec2' }), 'marketplace-event-unknown-source'],
    ['a missing id', event({ id: undefined }), 'marketplace-message-missing-field'],
    ['a bad time', event({ time: 'yesterday' }), 'marketplace-message-invalid-field'],
    ['a bad region', event({ region: 'moon' }), 'marketplace-message-invalid-field'],
    [
      'a detail that is not an object',
      JSON.stringify({ ...JSON.parse(event({})), detail: 'x' }),
      'marketplace-message-invalid-field',
    ],
    ['no agreement id', event({}, { agreement: { status: 'ACTIVE' } }), 'marketplace-message-missing-field'],
    [
      'an agreement that is not an object',
      event({}, { agreement: 'agmt-1' }),
      'marketplace-message-invalid-field',
    ],
    [
      'a numeric acceptor account',
      event({}, { acceptor: { accountId: 845735284135 } }),
      'marketplace-message-invalid-field',
    ],
    ['not JSON', '{', 'marketplace-message-malformed'],
    ['not an event', '{"action":"subscribe-success"}', 'marketplace-message-unknown-format'],
  ])('refuses %s with a stable code', (_, body, code) => {
    expect(codeOf(parseEventBridgeDelivery(body))).toBe(code);
  });

  it('a license event without its license ARN is refused', () => {
    const e = JSON.parse(vector('eventbridge-license-updated-manufacturer.json'));
    delete e.detail.license;
    expect(parseEventBridgeDelivery(JSON.stringify(e))).toMatchObject({
      ok: false,
      rejection: { code: 'marketplace-message-missing-field', field: 'detail.license.arn' },
    });
  });
});

describe('the real AWS-signed SNS vectors', () => {
  it.each(
    loadSnsVectors()
      .filter((v) => v.type === 'Notification')
      .map((v) => [v.name, v] as const),
  )('%s verifies, and its non-marketplace text is refused with a stable code', async (_, v) => {
    const verified = await verifierFor(v).verify(v.raw);
    if (!verified.ok || verified.envelope.Type !== 'Notification') throw new Error('expected a notification');
    expect(codeOf(parseSnsMarketplaceNotification(verified.envelope))).toBe('marketplace-message-malformed');
  });
});

describe('SharedSecretCheck', () => {
  const secret = 's'.repeat(40);
  const next = 'n'.repeat(40);
  const check = new SharedSecretCheck([secret, next]);

  it('accepts any configured secret (rotation) and nothing else', () => {
    expect(check.matches(secret)).toBe(true);
    expect(check.matches(next)).toBe(true);
    expect(check.matches(`${secret}x`)).toBe(false);
    expect(check.matches(secret.slice(1))).toBe(false);
    expect(check.matches('')).toBe(false);
    expect(check.matches(undefined)).toBe(false);
    expect(check.matches([secret, secret])).toBe(false);
  });

  it('refuses short or missing secrets at start', () => {
    expect(() => new SharedSecretCheck([])).toThrow();
    expect(() => new SharedSecretCheck(['short'])).toThrow(/at least 32/);
  });
});

describe('parsing never throws', () => {
  const numRuns = Number(process.env.FC_NUM_RUNS ?? 1_000);
  const base = JSON.parse(vector('eventbridge-license-updated-manufacturer.json'));
  // Any JSON, any text, and real events with one field replaced by anything.
  const inputs = fc.oneof(
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .tuple(fc.constantFrom(...Object.keys(base), 'detail.agreement', 'detail.license'), fc.jsonValue())
      .map(([key, value]) => {
        const e = structuredClone(base);
        const [outer, inner] = key.split('.');
        if (inner) e.detail[inner] = value;
        else e[outer as string] = value;
        return JSON.stringify(e);
      }),
  );

  it('answers a result, never an exception, for any body', () => {
    fc.assert(
      fc.property(inputs, (body) => {
        const direct = parseEventBridgeDelivery(body);
        const wrapped = parseSnsMarketplaceNotification(snsWith(body));
        for (const r of [direct, wrapped]) {
          if (!r.ok) expect(MARKETPLACE_MESSAGE_REJECTION_CODES).toContain(r.rejection.code);
        }
      }),
      { numRuns },
    );
  });
});
