import { Account } from '../domain/account/account.js';
import { Binding } from '../domain/binding/binding.js';
import { CloudAccount } from '../domain/cloud-account/cloud-account.js';
import { MarketplaceEvent } from '../domain/marketplace-event/marketplace-event.js';
import { MeteringRecord } from '../domain/metering/metering-record.js';
import { RatingBook } from '../domain/metering/rating-state.js';
import { RegistrationTicket } from '../domain/registration/registration-ticket.js';
import { UsageRecord } from '../domain/usage/usage-record.js';
import { Workspace } from '../domain/workspace/workspace.js';

/** Object mothers: valid entities with every field set, overridable per test. */
let n = 0;
const uid = (p: string) => `${p}-${(++n).toString().padStart(8, '0')}`;
const T0 = new Date('2026-11-02T10:00:00Z');

export const mother = {
  account: (o: Partial<Account> = {}) =>
    Object.assign(
      Account.register({
        id: uid('acc'),
        username: `user${n}`,
        email: `user${n}@example.com`,
        company: 'Example Ltd',
        passwordHash: 'x',
        now: T0,
      }),
      o,
    ),
  workspace: (o: Partial<Workspace> & { ownerAccountId: string }) =>
    Object.assign(
      Workspace.create({
        id: uid('ws'),
        name: 'Production',
        language: 'en',
        siteId: 'us1',
        ownerAccountId: o.ownerAccountId,
        method: { kind: 'billing-center' },
        now: T0,
      }),
      o,
    ),
  cloudAccount: (o: Partial<CloudAccount> & { ownerAccountId: string }) =>
    Object.assign(
      CloudAccount.register({
        id: uid('ca'),
        ownerAccountId: o.ownerAccountId,
        partition: 'aws',
        productCode: 'prodglobal0001',
        customerAwsAccountId: '123456789012',
        licenseArn: `arn:aws:license-manager::123456789012:license:l-${uid('lic').replace(/-/g, '')}`,
        now: T0,
      }),
      o,
    ),
  ticket: (o: Partial<RegistrationTicket> = {}) =>
    new RegistrationTicket({
      id: uid('ticket'),
      partition: 'aws',
      productCode: 'prodglobal0001',
      customerIdentifier: null,
      customerAwsAccountId: '123456789012',
      licenseArn: 'arn:aws:license-manager::123456789012:license:l-abc123',
      offerId: null,
      freeTrial: false,
      status: 'open',
      createdAt: T0,
      expiresAt: new Date(T0.getTime() + 3_600_000),
      completedAt: null,
      completedByAccountId: null,
      cloudAccountId: null,
      version: 1,
      ...o,
    }),
  binding: (o: Partial<Binding> & { workspaceId: string; cloudAccountId: string }) =>
    new Binding({ id: uid('bind'), from: T0, to: null, endReason: null, createdAt: T0, version: 1, ...o }),
  usage: (o: Partial<UsageRecord> & { workspaceId: string }) =>
    new UsageRecord({
      id: uid('usage'),
      idempotencyKey: uid('key'),
      itemCode: 'log-events',
      hour: T0,
      quantity: 1000,
      receivedAt: T0,
      payerCloudAccountId: null,
      status: 'billing-center',
      reason: null,
      seq: null,
      version: 1,
      ...o,
    }),
  meteringRecord: (o: Partial<MeteringRecord> & { cloudAccountId: string }) =>
    new MeteringRecord({
      id: uid('mr'),
      partition: 'aws',
      productCode: 'prodglobal0001',
      customerIdentifier: null,
      customerAwsAccountId: '123456789012',
      licenseArn: 'arn:aws:license-manager::123456789012:license:l-abc123',
      dimension: 'usage_cost',
      hour: T0,
      quantity: 42,
      allocations: [
        { workspaceId: 'ws-1', quantity: 40 },
        { workspaceId: 'ws-2', quantity: 2 },
      ],
      status: 'sealed',
      isFinal: false,
      attempts: 0,
      unansweredSends: 0,
      lastError: null,
      awsMeteringRecordId: null,
      sealedAt: T0,
      resolvedAt: null,
      deadline: new Date(T0.getTime() + 24 * 3_600_000),
      leaseOwner: null,
      leaseUntil: null,
      nextAttemptAt: null,
      windowAlertedAt: null,
      usageAfterHour: null,
      usageAfterSeq: 0,
      usageThroughSeq: 0,
      version: 1,
      ...o,
    }),
  ratingBook: (cloudAccountId: string, states: RatingBook['states'] = []) =>
    new RatingBook({ id: cloudAccountId, states, version: 0 }),
  marketplaceEvent: (o: Partial<MarketplaceEvent> = {}) =>
    new MarketplaceEvent({
      id: uid('evt'),
      source: 'sns',
      messageId: uid('msg'),
      topicArn: 'arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-prodglobal0001',
      rawAction: 'subscribe-success',
      action: 'subscribe-success',
      partition: 'aws',
      productCode: 'prodglobal0001',
      customerIdentifier: 'X01EXAMPLEX',
      customerAwsAccountId: null,
      licenseArn: null,
      agreementId: null,
      offerId: null,
      freeTrial: false,
      occurredAt: T0,
      receivedAt: T0,
      payload: '{}',
      status: 'received',
      outcome: null,
      cloudAccountId: null,
      attempts: 0,
      lastError: null,
      processedAt: null,
      version: 1,
      ...o,
    }),
};
