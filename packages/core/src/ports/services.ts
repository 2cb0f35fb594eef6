import type { Entitlement } from '../domain/cloud-account/cloud-account.js';
import type { CustomerRef } from '../domain/cloud-account/customer-ref.js';
import type { AlertSeverity } from '../domain/events/outbox-message.js';
import type { MeteringRecord, MeteringResult } from '../domain/metering/metering-record.js';
import type { AwsPartition } from '../domain/site/site.js';

export const Clock = Symbol('Clock');
export interface Clock {
  now(): Date;
}

export const IdGenerator = Symbol('IdGenerator');
export interface IdGenerator {
  /** A new unique, roughly time-ordered id (ids of different kinds never need to differ). */
  next(): string;
  /** An unguessable id for things handed to browsers (registration tickets). */
  secret(): string;
}

export const PasswordHasher = Symbol('PasswordHasher');
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/** What `ResolveCustomer` tells about the buyer behind a registration token. */
export interface ResolvedCustomer {
  productCode: string;
  customerIdentifier: string | null;
  customerAwsAccountId: string | null;
  licenseArn: string | null;
  offerId?: string | null;
  freeTrial?: boolean;
}

export const MarketplaceCustomerResolver = Symbol('MarketplaceCustomerResolver');
/**
 * Resolves a fulfillment token. Fails with DomainErrors: `marketplace-token-invalid`,
 * `marketplace-token-expired` (validation), `marketplace-throttled`, `marketplace-unavailable`
 * (unavailable), `marketplace-api-disabled`.
 */
export interface MarketplaceCustomerResolver {
  resolve(partition: AwsPartition, token: string): Promise<ResolvedCustomer>;
}

export const MeteringGateway = Symbol('MeteringGateway');
/**
 * Sends sealed records to the marketplace and answers one result per record. It batches, rate-limits and
 * retries transient errors itself; whatever it still cannot settle comes back as `retry`, and records whose
 * call lost its answer come back as `unknown` (AWS may hold them). A throw means the outcome of every record
 * is unknown. Unknown records are sent again later, identically, and count as unanswered sends.
 */
export interface MeteringGateway {
  submit(records: readonly MeteringRecord[]): Promise<MeteringResult[]>;
}

export const EntitlementReader = Symbol('EntitlementReader');
export interface EntitlementReader {
  read(customer: CustomerRef & { productCode: string }): Promise<Entitlement[]>;
}

export interface Alert {
  code: string;
  severity: AlertSeverity;
  message: string;
  details: Record<string, unknown>;
}

export const Notifier = Symbol('Notifier');
/** Email (or another channel) to workspace owners and operators. */
export interface Notifier {
  notifyOwner(
    to: { accountId: string; email: string },
    template: string,
    data: Record<string, unknown>,
  ): Promise<void>;
  alertOperators(alert: Alert): Promise<void>;
}

export interface PublishedDomainEvent {
  id: string;
  type: string;
  occurredAt: Date;
  payload: Record<string, unknown>;
}

export const DomainEventPublisher = Symbol('DomainEventPublisher');
export interface DomainEventPublisher {
  publish(event: PublishedDomainEvent): Promise<void>;
}
