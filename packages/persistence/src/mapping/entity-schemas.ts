import {
  Account,
  type AuditEntry,
  Binding,
  CloudAccount,
  Credential,
  MarketplaceEvent,
  MeteringRecord,
  type OutboxMessage,
  RatingBook,
  RegistrationTicket,
  UsageRecord,
  Workspace,
} from '@billing-center/core';
import { BigIntType, EntitySchema, type EntitySchemaMetadata } from '@mikro-orm/core';
import { EntitlementsType } from './entitlements.type.js';

/*
 * EntitySchema mappings: the domain classes carry no decorators. Columns are snake_case (MikroORM's default
 * naming). Every query a repository makes has an index here; `version` is the optimistic-locking column,
 * checked and bumped by the repositories (`UPDATE … WHERE id = ? AND version = ?`), not by MikroORM's
 * unit of work, so that `save` fails at once, as the port says. Dates are `timestamptz` on PostgreSQL and
 * epoch milliseconds on SQLite (MikroORM's SQLite convention).
 */

/**
 * `EntitySchema` with the mapped fields named explicitly: the domain classes' getters and methods are
 * behaviour, not columns (MikroORM's typing would otherwise ask for a mapping of each).
 */
function schema<T extends object>(
  meta: Omit<EntitySchemaMetadata<T>, 'properties'> & { properties: { [K in keyof T]?: object } },
): EntitySchema<T> {
  // `trackChanges: false`: otherwise MikroORM replaces each mapped field of the domain class's prototype
  // with an accessor that allocates a change-tracking wrapper on the first write to every instance —
  // including objects the core creates that never touch the database (that cost ~40% of ingestion). The
  // repositories write explicitly and detect changes themselves (Session), so the tracking is unused.
  const properties = Object.fromEntries(
    Object.entries(meta.properties).map(([name, p]) => [name, { ...(p as object), trackChanges: false }]),
  );
  return new EntitySchema<T>({ ...meta, properties } as unknown as EntitySchemaMetadata<T>);
}

const id = { type: 'string', primary: true, length: 64 } as const;
const str = (length = 255) => ({ type: 'string', length }) as const;
const optStr = (length = 255) => ({ type: 'string', length, nullable: true }) as const;
const text = { type: 'text' } as const;
const optText = { type: 'text', nullable: true } as const;
const date = { type: 'datetime' } as const;
const optDate = { type: 'datetime', nullable: true } as const;
const int = { type: 'integer' } as const;
const version = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
/** A usage sequence number: bigint in the database, a JavaScript number here (2^53 is far away). */
// default 0: SQLite adds such a column to a file made before it only with a default (PostgreSQL's migration too)
const seqColumn = { type: new BigIntType('number'), default: 0 } as const;

export const AccountSchema = schema<Account>({
  class: Account,
  tableName: 'account',
  properties: {
    id,
    username: str(64),
    email: str(254),
    company: str(200),
    passwordHash: text,
    anyBillingMethod: bool,
    createdAt: date,
    version,
  },
  uniques: [
    { name: 'account_username_unique', properties: ['username'] },
    { name: 'account_email_unique', properties: ['email'] },
  ],
});

export const WorkspaceSchema = schema<Workspace>({
  class: Workspace,
  tableName: 'workspace',
  properties: {
    id,
    name: str(100),
    language: str(8),
    siteId: str(32),
    ownerAccountId: str(64),
    billingMethod: optStr(32),
    cloudAccountId: optStr(64),
    billingMethodEffectiveFrom: date,
    previousBillingMethod: optStr(32),
    lastBillingMethodChangeAt: optDate,
    lockReason: optStr(64),
    lockedAt: optDate,
    lockGraceEndsAt: optDate,
    fullyLockedAt: optDate,
    lockCloudAccountId: optStr(64),
    dissolvedAt: optDate,
    createdAt: date,
    version,
  },
  indexes: [
    { name: 'workspace_owner_idx', properties: ['ownerAccountId', 'id'] },
    { name: 'workspace_cloud_account_idx', properties: ['cloudAccountId'] },
    { name: 'workspace_lock_cloud_account_idx', properties: ['lockCloudAccountId'] },
    { name: 'workspace_grace_idx', properties: ['lockGraceEndsAt'] },
  ],
});

export const CloudAccountSchema = schema<CloudAccount>({
  class: CloudAccount,
  tableName: 'cloud_account',
  properties: {
    id,
    ownerAccountId: str(64),
    provider: str(32),
    partition: str(16),
    productCode: str(),
    customerIdentifier: optStr(),
    customerAwsAccountId: optStr(12),
    licenseArn: optText,
    licenseId: optStr(),
    agreementId: optStr(),
    offerId: optStr(),
    freeTrial: bool,
    state: str(32),
    stateChangedAt: date,
    lastEventAt: optDate,
    lastEventRank: { type: 'integer', nullable: true },
    cancelledAt: optDate,
    meteringFrom: date,
    meteredThrough: optDate,
    meteredUsageSeq: seqColumn,
    finalFlushRequestedAt: optDate,
    entitlements: { type: EntitlementsType },
    entitlementsCheckedAt: optDate,
    createdAt: date,
    version,
  },
  indexes: [
    { name: 'cloud_account_owner_idx', properties: ['ownerAccountId'] },
    { name: 'cloud_account_license_idx', properties: ['partition', 'licenseId'] },
    { name: 'cloud_account_customer_idx', properties: ['partition', 'customerIdentifier'] },
    { name: 'cloud_account_agreement_idx', properties: ['partition', 'agreementId'] },
    { name: 'cloud_account_aws_account_idx', properties: ['partition', 'customerAwsAccountId'] },
    { name: 'cloud_account_state_idx', properties: ['state', 'id'] },
  ],
});

export const RegistrationTicketSchema = schema<RegistrationTicket>({
  class: RegistrationTicket,
  tableName: 'registration_ticket',
  properties: {
    id,
    partition: str(16),
    productCode: str(),
    customerIdentifier: optStr(),
    customerAwsAccountId: optStr(12),
    licenseArn: optText,
    offerId: optStr(),
    freeTrial: bool,
    status: str(16),
    createdAt: date,
    expiresAt: date,
    completedAt: optDate,
    completedByAccountId: optStr(64),
    cloudAccountId: optStr(64),
    version,
  },
  indexes: [{ name: 'registration_ticket_expiry_idx', properties: ['status', 'expiresAt'] }],
});

export const BindingSchema = schema<Binding>({
  class: Binding,
  tableName: 'binding',
  properties: {
    id,
    workspaceId: str(64),
    cloudAccountId: str(64),
    from: { type: 'datetime', fieldName: 'valid_from' },
    to: { type: 'datetime', nullable: true, fieldName: 'valid_to' },
    endReason: optStr(64),
    createdAt: date,
    version,
  },
  indexes: [
    { name: 'binding_workspace_idx', properties: ['workspaceId', 'from'] },
    { name: 'binding_cloud_account_idx', properties: ['cloudAccountId', 'from'] },
  ],
});

export const UsageRecordSchema = schema<UsageRecord>({
  class: UsageRecord,
  tableName: 'usage_record',
  properties: {
    id,
    idempotencyKey: str(),
    workspaceId: str(64),
    itemCode: str(64),
    hour: date,
    quantity: { type: 'double' },
    receivedAt: date,
    payerCloudAccountId: optStr(64),
    status: str(16),
    reason: optStr(32),
    // assigned by the database as the row is stored (ADR 0009); null only on an object not yet stored
    seq: { type: new BigIntType('number'), nullable: true },
    version,
  },
  uniques: [{ name: 'usage_record_idempotency_key_unique', properties: ['idempotencyKey'] }],
  indexes: [
    // the hourly aggregation, a payer's usage past its watermark: stored after it (seq) …
    {
      name: 'usage_record_pending_seq_idx',
      expression:
        'create index "usage_record_pending_seq_idx" on "usage_record" ("payer_cloud_account_id", "seq") where "status" = \'pending\'',
    },
    // … or for an hour after it (stored before the seal, for a later hour)
    {
      name: 'usage_record_pending_hour_idx',
      expression:
        'create index "usage_record_pending_hour_idx" on "usage_record" ("payer_cloud_account_id", "hour") where "status" = \'pending\'',
    },
    { name: 'usage_record_workspace_idx', properties: ['workspaceId', 'hour'] },
  ],
});

export const MeteringRecordSchema = schema<MeteringRecord>({
  class: MeteringRecord,
  tableName: 'metering_record',
  properties: {
    id,
    cloudAccountId: str(64),
    partition: str(16),
    productCode: str(),
    customerIdentifier: optStr(),
    customerAwsAccountId: optStr(12),
    licenseArn: optText,
    dimension: str(),
    hour: date,
    quantity: int, // AWS caps a record at 2^31 - 1, which int4 holds
    allocations: { type: 'json' },
    status: str(32),
    isFinal: bool,
    attempts: int,
    unansweredSends: int,
    lastError: optText,
    awsMeteringRecordId: optStr(),
    sealedAt: optDate,
    resolvedAt: optDate,
    deadline: date,
    leaseOwner: optStr(),
    leaseUntil: optDate,
    nextAttemptAt: optDate,
    windowAlertedAt: optDate,
    usageAfterHour: optDate,
    usageAfterSeq: seqColumn,
    usageThroughSeq: seqColumn,
    version,
  },
  uniques: [
    {
      name: 'metering_record_account_dimension_hour_unique',
      properties: ['cloudAccountId', 'dimension', 'hour'],
    },
  ],
  indexes: [
    // claimable work: sealed and due, or submitted with a lease that ran out
    { name: 'metering_record_claimable_idx', properties: ['status', 'hour'] },
    { name: 'metering_record_cloud_account_idx', properties: ['cloudAccountId', 'id'] },
  ],
});

/** A cloud account's rating states in one row (ADR 0009); bigints inside are decimal text (exact). */
export const RatingBookSchema = schema<RatingBook>({
  class: RatingBook,
  tableName: 'rating_book',
  properties: {
    id,
    states: { type: 'json' },
    version,
  },
});

export const MarketplaceEventSchema = schema<MarketplaceEvent>({
  class: MarketplaceEvent,
  tableName: 'marketplace_event',
  properties: {
    id,
    source: str(16),
    messageId: str(),
    topicArn: optText,
    rawAction: str(),
    action: optStr(32),
    partition: str(16),
    productCode: optStr(),
    customerIdentifier: optStr(),
    customerAwsAccountId: optStr(12),
    licenseArn: optText,
    agreementId: optStr(),
    offerId: optStr(),
    freeTrial: { type: 'boolean', nullable: true },
    occurredAt: date,
    receivedAt: date,
    payload: text,
    status: str(16),
    outcome: optText,
    cloudAccountId: optStr(64),
    attempts: int,
    lastError: optText,
    processedAt: optDate,
    version,
  },
  uniques: [{ name: 'marketplace_event_message_id_unique', properties: ['messageId'] }],
  indexes: [
    { name: 'marketplace_event_status_idx', properties: ['status', 'partition'] },
    { name: 'marketplace_event_received_idx', properties: ['status', 'receivedAt'] },
    { name: 'marketplace_event_cloud_account_idx', properties: ['cloudAccountId'] },
  ],
});

export const AuditEntrySchema = schema<AuditEntry>({
  name: 'AuditEntry',
  tableName: 'audit_entry',
  properties: {
    id,
    at: date,
    actorType: str(16),
    actorId: optStr(),
    action: str(),
    entityType: str(64),
    entityId: str(),
    accountId: optStr(64),
    requestId: optStr(),
    details: { type: 'json' },
  },
  indexes: [
    { name: 'audit_entry_account_idx', properties: ['accountId', 'id'] },
    { name: 'audit_entry_entity_idx', properties: ['entityType', 'entityId'] },
  ],
});

export const OutboxMessageSchema = schema<OutboxMessage>({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  properties: {
    id,
    kind: str(32),
    type: str(),
    payload: { type: 'json' },
    createdAt: date,
    status: str(16),
    attempts: int,
    lastError: optText,
    nextAttemptAt: date,
    sentAt: optDate,
  },
  indexes: [{ name: 'outbox_message_due_idx', properties: ['status', 'nextAttemptAt'] }],
});

export const CredentialSchema = schema<Credential>({
  class: Credential,
  tableName: 'credential',
  properties: {
    id,
    kind: str(16),
    accountId: optStr(64),
    name: optStr(100),
    scopes: { type: 'json' },
    secretHash: str(64),
    createdAt: date,
    expiresAt: optDate,
    lastUsedAt: optDate,
    revokedAt: optDate,
    version,
  },
  uniques: [{ name: 'credential_secret_hash_unique', properties: ['secretHash'] }],
  indexes: [{ name: 'credential_account_idx', properties: ['accountId', 'kind', 'createdAt'] }],
});

export const entitySchemas = [
  AccountSchema,
  WorkspaceSchema,
  CloudAccountSchema,
  RegistrationTicketSchema,
  BindingSchema,
  UsageRecordSchema,
  MeteringRecordSchema,
  RatingBookSchema,
  MarketplaceEventSchema,
  AuditEntrySchema,
  OutboxMessageSchema,
  CredentialSchema,
];
