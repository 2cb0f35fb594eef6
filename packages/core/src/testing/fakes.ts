import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Entitlement } from '../domain/cloud-account/cloud-account.js';
import { type CustomerRef, licenseIdOf } from '../domain/cloud-account/customer-ref.js';
import type { MeteringRecord, MeteringResult } from '../domain/metering/metering-record.js';
import type { AwsPartition } from '../domain/site/site.js';
import type {
  Alert,
  Clock,
  DomainEventPublisher,
  EntitlementReader,
  IdGenerator,
  MarketplaceCustomerResolver,
  MeteringGateway,
  Notifier,
  PasswordHasher,
  PublishedDomainEvent,
  ResolvedCustomer,
} from '../ports/services.js';
import { UnavailableError, ValidationError } from '../shared/domain-error.js';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  constructor(private t: Date = new Date('2026-11-02T10:15:00Z')) {}
  now(): Date {
    return new Date(this.t.getTime());
  }
  set(t: Date | string): void {
    this.t = new Date(t);
  }
  advance(ms: number): void {
    this.t = new Date(this.t.getTime() + ms);
  }
}

/** Zero-padded sequential ids: sort order is creation order, like the time-ordered ids of production. */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly prefix = 'id') {}
  next(): string {
    this.n += 1;
    return `${this.prefix}-${this.n.toString().padStart(10, '0')}`;
  }
  secret(): string {
    return randomBytes(24).toString('base64url');
  }
}

/** Salted SHA-256: only for tests (production uses argon2id in the API adapter). */
export class TestPasswordHasher implements PasswordHasher {
  async hash(password: string): Promise<string> {
    const salt = randomBytes(8).toString('hex');
    return `test-sha256$${salt}$${createHash('sha256')
      .update(salt + password)
      .digest('hex')}`;
  }
  async verify(password: string, stored: string): Promise<boolean> {
    const [, salt, hex] = stored.split('$');
    if (!salt || !hex) return false;
    const a = Buffer.from(
      createHash('sha256')
        .update(salt + password)
        .digest('hex'),
    );
    const b = Buffer.from(hex);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}

export class RecordingNotifier implements Notifier {
  readonly owners: Array<{
    to: { accountId: string; email: string };
    template: string;
    data: Record<string, unknown>;
  }> = [];
  readonly alerts: Alert[] = [];
  failNext = 0;
  async notifyOwner(
    to: { accountId: string; email: string },
    template: string,
    data: Record<string, unknown>,
  ) {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('SMTP server unavailable');
    }
    this.owners.push({ to, template, data });
  }
  async alertOperators(alert: Alert) {
    this.alerts.push(alert);
  }
}

export class RecordingPublisher implements DomainEventPublisher {
  readonly events: PublishedDomainEvent[] = [];
  failNext = 0;
  async publish(e: PublishedDomainEvent) {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('SNS Publish failed');
    }
    this.events.push(e);
  }
}

export interface FakeBuyer extends ResolvedCustomer {
  partition: AwsPartition;
}

export interface AcceptedMetering {
  customer: string;
  dimension: string;
  hour: number;
  quantity: number;
  allocations: MeteringRecord['allocations'];
  meteringRecordId: string;
}

/**
 * An in-memory AWS Marketplace with AWS's rules, for unit and property tests: ResolveCustomer tokens,
 * first write wins per (customer, dimension, hour) — the same quantity again answers Success, another
 * quantity DuplicateRecord — CustomerNotSubscribed for hours after a cancellation, and injectable faults
 * (throttling, lost responses after acceptance, outages). The HTTP simulator app implements the same rules.
 */
export class FakeMarketplace implements MarketplaceCustomerResolver, MeteringGateway, EntitlementReader {
  private readonly tokens = new Map<string, FakeBuyer | 'expired'>();
  private readonly cancelledAt = new Map<string, number>();
  private readonly store = new Map<string, AcceptedMetering>();
  private readonly entitlementsByCustomer = new Map<string, Entitlement[]>();
  private seq = 0;
  /** every BatchMeterUsage-like call, for assertions */
  readonly calls: Array<{ records: number }> = [];
  /** the next N submits throw before AWS sees them */
  failNextCalls = 0;
  /** the next N submits are applied by AWS, then the response is lost */
  loseNextResponses = 0;
  /** the next N records answer throttled (retry) */
  throttleNextRecords = 0;
  resolveOutage = false;
  /** false: accept records whatever the subscription (to test that the core itself never bills after a cancellation) */
  enforceSubscriptions = true;
  /** every quantity AWS ever saw per (customer, dimension, hour): invariant "never two quantities" */
  readonly seenQuantities = new Map<string, Set<number>>();

  issueToken(buyer: FakeBuyer): string {
    const token = `tok-${++this.seq}-${randomBytes(6).toString('hex')}`;
    this.tokens.set(token, buyer);
    return token;
  }

  expireToken(token: string): void {
    this.tokens.set(token, 'expired');
  }

  static customerKey(c: Pick<CustomerRef, 'licenseArn' | 'customerIdentifier'>): string {
    return licenseIdOf(c.licenseArn) ?? c.customerIdentifier ?? 'unknown';
  }

  cancel(customer: Pick<CustomerRef, 'licenseArn' | 'customerIdentifier'>, at: Date): void {
    this.cancelledAt.set(FakeMarketplace.customerKey(customer), at.getTime());
  }

  resubscribe(customer: Pick<CustomerRef, 'licenseArn' | 'customerIdentifier'>): void {
    this.cancelledAt.delete(FakeMarketplace.customerKey(customer));
  }

  setEntitlements(customer: Pick<CustomerRef, 'licenseArn' | 'customerIdentifier'>, e: Entitlement[]): void {
    this.entitlementsByCustomer.set(FakeMarketplace.customerKey(customer), e);
  }

  accepted(): AcceptedMetering[] {
    return [...this.store.values()];
  }

  async resolve(partition: AwsPartition, token: string): Promise<ResolvedCustomer> {
    if (this.resolveOutage)
      throw new UnavailableError(
        'marketplace-unavailable',
        'AWS Marketplace is not answering; try again in a minute.',
      );
    const b = this.tokens.get(token);
    if (b === 'expired')
      throw new ValidationError('marketplace-token-expired', 'The registration token has expired.');
    if (!b || b.partition !== partition)
      throw new ValidationError('marketplace-token-invalid', 'The registration token is not valid.');
    return { ...b };
  }

  async read(customer: CustomerRef & { productCode: string }): Promise<Entitlement[]> {
    return this.entitlementsByCustomer.get(FakeMarketplace.customerKey(customer)) ?? [];
  }

  async submit(records: readonly MeteringRecord[]): Promise<MeteringResult[]> {
    this.calls.push({ records: records.length });
    if (this.failNextCalls > 0) {
      this.failNextCalls -= 1;
      throw new Error('connect ECONNRESET');
    }
    const results = records.map((r) => this.meterOne(r));
    if (this.loseNextResponses > 0) {
      this.loseNextResponses -= 1;
      throw new Error('socket hang up (response lost)');
    }
    return results;
  }

  private meterOne(r: MeteringRecord): MeteringResult {
    if (this.throttleNextRecords > 0) {
      this.throttleNextRecords -= 1;
      return { recordId: r.id, outcome: 'retry', error: 'ThrottlingException' };
    }
    const customer = FakeMarketplace.customerKey(r);
    const key = `${customer}|${r.dimension}|${r.hour.getTime()}`;
    const seen = this.seenQuantities.get(key) ?? new Set<number>();
    this.seenQuantities.set(key, seen);
    seen.add(r.quantity);
    const cancelled = this.cancelledAt.get(customer);
    if (this.enforceSubscriptions && cancelled !== undefined && r.hour.getTime() >= cancelled) {
      return { recordId: r.id, outcome: 'customer-not-subscribed' };
    }
    const sum = r.allocations.reduce((s, a) => s + a.quantity, 0);
    if (r.allocations.length && sum !== r.quantity)
      return { recordId: r.id, outcome: 'rejected', error: 'InvalidUsageAllocationsException' };
    const prior = this.store.get(key);
    if (prior) {
      return prior.quantity === r.quantity
        ? { recordId: r.id, outcome: 'accepted', awsMeteringRecordId: prior.meteringRecordId }
        : { recordId: r.id, outcome: 'duplicate' };
    }
    const meteringRecordId = `mr-${++this.seq}`;
    this.store.set(key, {
      customer,
      dimension: r.dimension,
      hour: r.hour.getTime(),
      quantity: r.quantity,
      allocations: r.allocations,
      meteringRecordId,
    });
    return { recordId: r.id, outcome: 'accepted', awsMeteringRecordId: meteringRecordId };
  }
}
