import type {
  Account,
  AuditEntry,
  BillingMethod,
  Binding,
  CloudAccount,
  CredentialView,
  Lock,
  MarketplaceEvent,
  MeteringRecord,
  RegistrationTicket,
  Workspace,
  WorkspaceBillingStatus,
} from '@billing-center/core';
import type { Static } from 'typebox';
import { isoTime } from './iso-time.js';
import type {
  AccountSchema,
  ApiTokenSchema,
  AuditEntrySchema,
  BillingMethodSchema,
  BillingStatusSchema,
  BindingSchema,
  CloudAccountSchema,
  LockSchema,
  MeteringRecordSchema,
  RegistrationTicketSchema,
  SubscriptionEventSchema,
  WorkspaceSchema,
} from './schemas.js';

/*
 * Domain objects → the API's documented shapes. Every field is chosen here: nothing the schemas do not
 * name (password hashes, leases, raw marketplace payloads) can reach a response.
 */

const iso = (d: Date) => isoTime(d);
const isoOrNull = (d: Date | null | undefined) => (d ? isoTime(d) : null);

export const presentAccount = (a: Account): Static<typeof AccountSchema> => ({
  id: a.id,
  username: a.username,
  email: a.email,
  company: a.company,
  anyBillingMethod: a.anyBillingMethod,
  createdAt: iso(a.createdAt),
});

export const presentMethod = (m: BillingMethod | null): Static<typeof BillingMethodSchema> | null =>
  m === null ? null : { kind: m.kind, cloudAccountId: m.kind === 'cloud-account' ? m.cloudAccountId : null };

export const presentLock = (l: Lock | null): Static<typeof LockSchema> | null =>
  l === null
    ? null
    : {
        reason: l.reason,
        lockedAt: iso(l.lockedAt),
        graceEndsAt: iso(l.graceEndsAt),
        fullyLockedAt: isoOrNull(l.fullyLockedAt),
        cloudAccountId: l.cloudAccountId,
      };

export const presentWorkspace = (w: Workspace): Static<typeof WorkspaceSchema> => ({
  id: w.id,
  name: w.name,
  language: w.language,
  siteId: w.siteId,
  ownerAccountId: w.ownerAccountId,
  billingMethod: presentMethod(w.method),
  billingMethodEffectiveFrom: iso(w.billingMethodEffectiveFrom),
  lastBillingMethodChangeAt: isoOrNull(w.lastBillingMethodChangeAt),
  locked: w.isLocked,
  lock: presentLock(w.lock),
  dissolvedAt: isoOrNull(w.dissolvedAt),
  createdAt: iso(w.createdAt),
});

export const presentBinding = (b: Binding): Static<typeof BindingSchema> => ({
  id: b.id,
  workspaceId: b.workspaceId,
  cloudAccountId: b.cloudAccountId,
  from: iso(b.from),
  to: isoOrNull(b.to),
  endReason: b.endReason,
});

export const presentCloudAccount = (c: CloudAccount): Static<typeof CloudAccountSchema> => ({
  id: c.id,
  provider: c.provider,
  partition: c.partition,
  productCode: c.productCode,
  customerAwsAccountId: c.customerAwsAccountId,
  customerIdentifier: c.customerIdentifier,
  licenseArn: c.licenseArn,
  agreementId: c.agreementId,
  offerId: c.offerId,
  freeTrial: c.freeTrial,
  state: c.state,
  stateChangedAt: iso(c.stateChangedAt),
  cancelledAt: isoOrNull(c.cancelledAt),
  entitlements: c.entitlements.map((e) => ({
    dimension: e.dimension,
    value: e.value,
    expiresAt: isoOrNull(e.expiresAt),
  })),
  createdAt: iso(c.createdAt),
});

export const presentSubscriptionEvent = (e: MarketplaceEvent): Static<typeof SubscriptionEventSchema> => ({
  id: e.id,
  source: e.source,
  messageId: e.messageId,
  action: e.rawAction,
  occurredAt: iso(e.occurredAt),
  receivedAt: iso(e.receivedAt),
  status: e.status,
  outcome: e.outcome,
});

export const presentMeteringRecord = (r: MeteringRecord): Static<typeof MeteringRecordSchema> => ({
  id: r.id,
  dimension: r.dimension,
  hour: iso(r.hour),
  quantity: r.quantity,
  allocations: r.allocations.map((a) => ({ workspaceId: a.workspaceId, quantity: a.quantity })),
  status: r.status,
  isFinal: r.isFinal,
  attempts: r.attempts,
  lastError: r.lastError,
  awsMeteringRecordId: r.awsMeteringRecordId,
  sealedAt: isoOrNull(r.sealedAt),
  resolvedAt: isoOrNull(r.resolvedAt),
  deadline: iso(r.deadline),
});

export const presentAuditEntry = (e: AuditEntry): Static<typeof AuditEntrySchema> => ({
  id: e.id,
  at: iso(e.at),
  actorType: e.actorType,
  actorId: e.actorId,
  action: e.action,
  entityType: e.entityType,
  entityId: e.entityId,
  requestId: e.requestId,
  details: e.details,
});

export const presentApiToken = (t: CredentialView): Static<typeof ApiTokenSchema> => ({
  id: t.id,
  name: t.name,
  createdAt: iso(t.createdAt),
  expiresAt: isoOrNull(t.expiresAt),
  lastUsedAt: isoOrNull(t.lastUsedAt),
  revokedAt: isoOrNull(t.revokedAt),
});

export const presentTicket = (t: RegistrationTicket, now: Date): Static<typeof RegistrationTicketSchema> => ({
  id: t.id,
  status: t.status === 'completed' ? 'completed' : t.isExpired(now) ? 'expired' : 'open',
  partition: t.partition,
  productCode: t.productCode,
  customerAwsAccountId: t.customerAwsAccountId,
  freeTrial: t.freeTrial,
  expiresAt: iso(t.expiresAt),
  completedAt: isoOrNull(t.completedAt),
  cloudAccountId: t.cloudAccountId,
});

export const presentBillingStatus = (s: WorkspaceBillingStatus): Static<typeof BillingStatusSchema> => ({
  workspaceId: s.workspaceId,
  dissolved: s.dissolved,
  locked: s.locked,
  fullyLocked: s.fullyLocked,
  lock: presentLock(s.lock),
  payer: presentMethod(s.payer),
  nextPayer: s.nextPayer ? { method: presentMethod(s.nextPayer.method), from: iso(s.nextPayer.from) } : null,
});
