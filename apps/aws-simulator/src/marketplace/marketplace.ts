import { meteringDeadline } from '@billing-center/core';
import { inject, injectable } from 'inversify';
import { AwsError, validationError } from '../aws-json/aws-error.js';
import {
  type BuyerConfig,
  type EntitlementValueConfig,
  type Partition,
  type ProductConfig,
  SimulatorConfig,
} from '../config/simulator-config.js';
import { FaultInjector } from '../faults/fault-injector.js';
import { SimulatorClock } from '../faults/simulator-clock.js';
import {
  licenseId,
  newAgreementId,
  newCustomerIdentifier,
  newLicenseArn,
  newMeteringRecordId,
  newRegistrationToken,
} from './ids.js';

export type SubscriptionState = 'active' | 'unsubscribe-pending' | 'cancelled' | 'failed';
export type LifecycleAction =
  | 'subscribe-success'
  | 'subscribe-fail'
  | 'unsubscribe-pending'
  | 'unsubscribe-success'
  | 'entitlement-updated';

export interface SimulatedEntitlement {
  dimension: string;
  value: EntitlementValueConfig;
  expirationDate: string | null;
}

export interface Subscription {
  id: string;
  productCode: string;
  partition: Partition;
  buyerAccountId: string;
  customerIdentifier: string;
  licenseArn: string;
  /** The purchase agreement (EventBridge events); a resubscription after unsubscribe-success makes a new one. */
  agreementId: string;
  offerId: string;
  freeTrial: boolean;
  state: SubscriptionState;
  createdAt: string;
  updatedAt: string;
  /** Periods in which metering answers CustomerNotSubscribed: from unsubscribe-success to a resubscription. */
  inactive: Array<{ fromMs: number; toMs: number | null }>;
  entitlements: SimulatedEntitlement[];
}

/** Port of the SNS side: the marketplace publishes lifecycle messages to its product topics. */
export interface LifecycleNotifications {
  /** `newAgreement`: a subscribe-success that starts an agreement (not one that withdraws a cancellation). */
  publishLifecycle(subscription: Subscription, action: LifecycleAction, newAgreement?: boolean): void;
}
export const LifecycleNotifications = Symbol('LifecycleNotifications');

export interface UsageAllocationInput {
  AllocatedUsageQuantity: number;
  Tags?: Array<{ Key: string; Value: string }>;
}

export interface UsageRecordInput {
  Timestamp: number;
  Dimension: string;
  Quantity?: number;
  CustomerIdentifier?: string;
  CustomerAWSAccountId?: string;
  LicenseArn?: string;
  UsageAllocations?: UsageAllocationInput[];
}

export interface MeteredRecord {
  meteringRecordId: string;
  subscriptionId: string;
  productCode: string;
  customerIdentifier: string;
  customerAwsAccountId: string;
  licenseArn: string;
  dimension: string;
  /** Start of the UTC hour the record counts for. */
  hour: string;
  timestamp: string;
  quantity: number;
  allocations: UsageAllocationInput[];
  acceptedAt: string;
}

export type UsageRecordStatus = 'Success' | 'DuplicateRecord' | 'CustomerNotSubscribed';

export interface BatchMeterUsageOutput {
  Results: Array<{ UsageRecord: unknown; MeteringRecordId?: string; Status: UsageRecordStatus }>;
  UnprocessedRecords: unknown[];
}

export interface EntitlementOutput {
  ProductCode: string;
  Dimension: string;
  CustomerIdentifier: string;
  CustomerAWSAccountId: string;
  LicenseArn: string;
  Value: EntitlementValueConfig;
  ExpirationDate?: number;
}

const HOUR_MS = 3_600_000;
const MAX_RECORDS = 25;
const MAX_QUANTITY = 2_147_483_647;
const MAX_ALLOCATIONS = 2500;
const TAG_KEY = /^[a-zA-Z0-9+ -=._:\\/@]{1,100}$/;
const TAG_VALUE = /^[a-zA-Z0-9+ -=._:\\/@]{1,256}$/;
const FILTER_NAMES = ['CUSTOMER_IDENTIFIER', 'DIMENSION', 'CUSTOMER_AWS_ACCOUNT_ID', 'LICENSE_ARN'] as const;

interface IssuedToken {
  subscriptionId: string;
  issuedAtMs: number;
}

/**
 * AWS Marketplace's state and rules, in memory: subscriptions and their lifecycle, registration tokens,
 * metering (first write wins per customer, dimension and hour) and entitlements. The rules are those of
 * `FakeMarketplace` in `@billing-center/core/testing`, answered with AWS's error codes.
 */
@injectable()
export class Marketplace {
  private subscriptions = new Map<string, Subscription>();
  // Lookups of the metering path, so a call costs the same with ten or ten thousand subscriptions.
  private byLicenseId = new Map<string, Subscription>();
  private byCustomer = new Map<string, Subscription>();
  private tokens = new Map<string, IssuedToken>();
  private records = new Map<string, MeteredRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pendingCancellations = new Map<string, NodeJS.Timeout>();
  private seq = 0;

  constructor(
    @inject(SimulatorConfig) private readonly config: SimulatorConfig,
    @inject(SimulatorClock) private readonly clock: SimulatorClock,
    @inject(FaultInjector) private readonly faults: FaultInjector,
    @inject(LifecycleNotifications) private readonly notifications: LifecycleNotifications,
  ) {}

  products(): readonly ProductConfig[] {
    return this.config.products;
  }

  product(code: string): ProductConfig | undefined {
    return this.config.products.find((p) => p.productCode === code);
  }

  buyers(): readonly BuyerConfig[] {
    return this.config.buyers;
  }

  buyer(accountId: string): BuyerConfig | undefined {
    return this.config.buyers.find((b) => b.awsAccountId === accountId);
  }

  listSubscriptions(filter: { buyerAccountId?: string; productCode?: string } = {}): Subscription[] {
    return [...this.subscriptions.values()].filter(
      (s) =>
        (!filter.buyerAccountId || s.buyerAccountId === filter.buyerAccountId) &&
        (!filter.productCode || s.productCode === filter.productCode),
    );
  }

  subscription(id: string): Subscription | undefined {
    return this.subscriptions.get(id);
  }

  // ---- buyer lifecycle -------------------------------------------------------------------------------

  /** "Subscribe": a new subscription, or the buyer's existing one for the product reactivated. */
  subscribe(productCode: string, buyerAccountId: string): Subscription {
    const product = this.product(productCode);
    if (!product) throw new AwsError('NotFound', `unknown product ${productCode}`, 404);
    const buyer = this.buyer(buyerAccountId);
    if (!buyer) throw new AwsError('NotFound', `unknown buyer ${buyerAccountId}`, 404);
    const now = this.clock.nowMs();
    const existing = this.listSubscriptions({ buyerAccountId, productCode })[0];
    if (existing) {
      if (existing.state === 'active') return existing;
      return this.resubscribe(existing.id);
    }
    this.seq += 1;
    const sub: Subscription = {
      id: `sub-${this.seq.toString().padStart(6, '0')}`,
      productCode,
      partition: product.partition,
      buyerAccountId,
      customerIdentifier: newCustomerIdentifier(),
      licenseArn: newLicenseArn(product.partition, this.config.sellerAccountId),
      agreementId: newAgreementId(),
      offerId: product.offerId,
      freeTrial: product.freeTrial,
      state: buyer.paymentFails ? 'failed' : 'active',
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      inactive: buyer.paymentFails ? [{ fromMs: 0, toMs: null }] : [],
      entitlements: product.entitlements.map((e) => ({ ...e, expirationDate: null })),
    };
    this.subscriptions.set(sub.id, sub);
    this.byLicenseId.set(licenseId(sub.licenseArn) ?? sub.licenseArn, sub);
    this.byCustomer.set(`${sub.productCode}|${sub.customerIdentifier}`, sub);
    this.notifications.publishLifecycle(
      sub,
      buyer.paymentFails ? 'subscribe-fail' : 'subscribe-success',
      true,
    );
    return sub;
  }

  /** "Cancel subscription": unsubscribe-pending now, unsubscribe-success after the configured delay. */
  cancel(subscriptionId: string): Subscription {
    const sub = this.requireSubscription(subscriptionId);
    if (sub.state !== 'active')
      throw new AwsError('InvalidState', `subscription ${sub.id} is ${sub.state}`, 409);
    this.setState(sub, 'unsubscribe-pending');
    this.notifications.publishLifecycle(sub, 'unsubscribe-pending');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pendingCancellations.delete(sub.id);
      this.completeCancellation(sub.id);
    }, this.config.unsubscribeDelayMs);
    timer.unref();
    this.timers.add(timer);
    this.pendingCancellations.set(sub.id, timer);
    return sub;
  }

  /** Ends a pending cancellation now (also what the delay timer does). */
  completeCancellation(subscriptionId: string): Subscription {
    const sub = this.requireSubscription(subscriptionId);
    if (sub.state !== 'unsubscribe-pending')
      throw new AwsError('InvalidState', `subscription ${sub.id} is ${sub.state}`, 409);
    this.clearPending(sub.id);
    this.setState(sub, 'cancelled');
    sub.inactive.push({ fromMs: this.clock.nowMs(), toMs: null });
    this.notifications.publishLifecycle(sub, 'unsubscribe-success');
    return sub;
  }

  /**
   * "Resubscribe": before unsubscribe-success it replaces that message with subscribe-success (as AWS
   * does); after it, the same customer identity is active again from now on.
   */
  resubscribe(subscriptionId: string): Subscription {
    const sub = this.requireSubscription(subscriptionId);
    if (sub.state === 'active') return sub;
    const buyer = this.buyer(sub.buyerAccountId);
    if (buyer?.paymentFails) {
      this.notifications.publishLifecycle(sub, 'subscribe-fail');
      return sub;
    }
    this.clearPending(sub.id);
    const open = sub.inactive.find((i) => i.toMs === null);
    if (open) {
      open.toMs = this.clock.nowMs();
      sub.agreementId = newAgreementId();
    }
    this.setState(sub, 'active');
    this.notifications.publishLifecycle(sub, 'subscribe-success', open !== undefined);
    return sub;
  }

  setEntitlements(subscriptionId: string, entitlements: SimulatedEntitlement[]): Subscription {
    const sub = this.requireSubscription(subscriptionId);
    sub.entitlements = entitlements.map((e) => ({ ...e }));
    sub.updatedAt = this.clock.now().toISOString();
    this.notifications.publishLifecycle(sub, 'entitlement-updated');
    return sub;
  }

  // ---- registration tokens -------------------------------------------------------------------------

  /** "Set up your account": a token that ResolveCustomer accepts for `tokenTtlSeconds`. */
  issueToken(subscriptionId: string): string {
    const sub = this.requireSubscription(subscriptionId);
    const token = newRegistrationToken();
    this.tokens.set(token, { subscriptionId: sub.id, issuedAtMs: this.clock.nowMs() });
    return token;
  }

  expireToken(token: string): boolean {
    const t = this.tokens.get(token);
    if (!t) return false;
    t.issuedAtMs = Number.NEGATIVE_INFINITY;
    return true;
  }

  resolveCustomer(token: unknown, partition: Partition) {
    if (typeof token !== 'string' || token.length === 0)
      throw validationError('registrationToken', 'Member must not be null');
    const issued = this.tokens.get(token);
    const sub = issued && this.subscriptions.get(issued.subscriptionId);
    if (!issued || !sub || sub.partition !== partition)
      throw new AwsError('InvalidTokenException', 'Registration token is invalid');
    if (this.clock.nowMs() - issued.issuedAtMs > this.config.tokenTtlSeconds * 1000)
      throw new AwsError('ExpiredTokenException', 'Registration token has expired');
    return {
      CustomerIdentifier: sub.customerIdentifier,
      CustomerAWSAccountId: sub.buyerAccountId,
      ProductCode: sub.productCode,
      LicenseArn: sub.licenseArn,
    };
  }

  // ---- metering ------------------------------------------------------------------------------------

  /**
   * BatchMeterUsage. Request-level errors reject the whole batch before anything is stored; then each
   * record is applied: first write wins per (subscription, dimension, hour).
   */
  batchMeterUsage(body: Record<string, unknown>, partition: Partition): BatchMeterUsageOutput {
    const records = body.UsageRecords;
    if (!Array.isArray(records)) throw validationError('usageRecords', 'Member must not be null');
    if (records.length > MAX_RECORDS)
      throw validationError('usageRecords', `Member must have length less than or equal to ${MAX_RECORDS}`);
    if (records.length < 1)
      throw validationError('usageRecords', 'Member must have length greater than or equal to 1');
    const productCode = body.ProductCode;
    if (productCode !== undefined && typeof productCode !== 'string')
      throw validationError('productCode', 'Member must be a string');
    let product = productCode === undefined ? undefined : this.productIn(productCode, partition);

    const now = this.clock.nowMs();
    const checked = records.map((raw, i) => {
      const r = this.checkRecordShape(raw, i);
      const sub = this.identify(r, product);
      product ??= this.productIn(sub.productCode, partition);
      if (sub.productCode !== product?.productCode)
        throw new AwsError(
          'InvalidProductCodeException',
          'All usage records of a call must be for one product',
        );
      if (!product.dimensions.some((d) => d.name === r.Dimension))
        throw new AwsError('InvalidUsageDimensionException', `The usageDimension ${r.Dimension} is invalid`);
      const tsMs = Math.round(r.Timestamp * 1000);
      const hourMs = Math.floor(tsMs / HOUR_MS) * HOUR_MS;
      const deadline = meteringDeadline(new Date(hourMs), product.meteringWindowHours).getTime();
      if (now > deadline || tsMs > now + this.config.futureSkewSeconds * 1000)
        throw new AwsError(
          'TimestampOutOfBoundsException',
          `Timestamp ${new Date(tsMs).toISOString()} is outside the allowed window`,
        );
      this.checkAllocations(r);
      return { raw, r, sub, tsMs, hourMs };
    });

    const output: BatchMeterUsageOutput = { Results: [], UnprocessedRecords: [] };
    for (const { raw, r, sub, tsMs, hourMs } of checked) {
      if (this.faults.drawUnprocessedRecord()) {
        output.UnprocessedRecords.push(raw);
        continue;
      }
      if (sub.inactive.some((i) => hourMs >= i.fromMs && (i.toMs === null || hourMs + HOUR_MS <= i.toMs))) {
        output.Results.push({ UsageRecord: raw, Status: 'CustomerNotSubscribed' });
        continue;
      }
      const key = `${sub.id}|${r.Dimension}|${hourMs}`;
      const quantity = r.Quantity ?? 0;
      const prior = this.records.get(key);
      if (prior) {
        output.Results.push(
          prior.quantity === quantity
            ? { UsageRecord: raw, MeteringRecordId: prior.meteringRecordId, Status: 'Success' }
            : { UsageRecord: raw, Status: 'DuplicateRecord' },
        );
        continue;
      }
      const stored = this.store(key, sub, r.Dimension, hourMs, tsMs, quantity, r.UsageAllocations, now);
      output.Results.push({ UsageRecord: raw, MeteringRecordId: stored.meteringRecordId, Status: 'Success' });
    }
    return output;
  }

  /**
   * MeterUsage (AMI and container products): one record, metered for the calling AWS account — here the
   * access key of the signature when it names a buyer's account id. Usage up to one hour old; the same
   * (dimension, hour) again with the same quantity answers the first MeteringRecordId, with another quantity
   * DuplicateRequestException; no subscription: CustomerNotEntitledException.
   */
  meterUsage(body: Record<string, unknown>, partition: Partition, callerAccountId: string) {
    if (typeof body.ProductCode !== 'string') throw validationError('productCode', 'Member must not be null');
    const product = this.productIn(body.ProductCode, partition);
    if (typeof body.Timestamp !== 'number' || !Number.isFinite(body.Timestamp))
      throw validationError('timestamp', 'Member must not be null');
    if (
      typeof body.UsageDimension !== 'string' ||
      !product.dimensions.some((d) => d.name === body.UsageDimension)
    )
      throw new AwsError(
        'InvalidUsageDimensionException',
        `The usageDimension ${String(body.UsageDimension)} is invalid`,
      );
    const quantity = body.UsageQuantity ?? 0;
    if (
      typeof quantity !== 'number' ||
      !Number.isInteger(quantity) ||
      quantity < 0 ||
      quantity > MAX_QUANTITY
    )
      throw validationError('usageQuantity', `Member must have value between 0 and ${MAX_QUANTITY}`);
    const now = this.clock.nowMs();
    const tsMs = Math.round(body.Timestamp * 1000);
    if (tsMs < now - HOUR_MS || tsMs > now + this.config.futureSkewSeconds * 1000)
      throw new AwsError(
        'TimestampOutOfBoundsException',
        `Timestamp ${new Date(tsMs).toISOString()} is outside the allowed window`,
      );
    const record: UsageRecordInput = {
      Timestamp: body.Timestamp,
      Dimension: body.UsageDimension,
      Quantity: quantity,
      ...(Array.isArray(body.UsageAllocations)
        ? { UsageAllocations: body.UsageAllocations as UsageAllocationInput[] }
        : {}),
    };
    this.checkAllocations(record);
    const sub = this.listSubscriptions({
      productCode: product.productCode,
      buyerAccountId: callerAccountId,
    })[0];
    const hourMs = Math.floor(tsMs / HOUR_MS) * HOUR_MS;
    if (
      !sub ||
      sub.inactive.some((i) => hourMs >= i.fromMs && (i.toMs === null || hourMs + HOUR_MS <= i.toMs))
    )
      throw new AwsError(
        'CustomerNotEntitledException',
        'The calling account is not subscribed to this product',
      );
    if (body.DryRun === true) return { MeteringRecordId: '' };
    const key = `${sub.id}|${record.Dimension}|${hourMs}`;
    const prior = this.records.get(key);
    if (prior) {
      if (prior.quantity !== quantity)
        throw new AwsError(
          'DuplicateRequestException',
          'A record was already metered for this dimension and hour with another quantity',
        );
      return { MeteringRecordId: prior.meteringRecordId };
    }
    const stored = this.store(
      key,
      sub,
      record.Dimension,
      hourMs,
      tsMs,
      quantity,
      record.UsageAllocations,
      now,
    );
    return { MeteringRecordId: stored.meteringRecordId };
  }

  /** First write wins: keep the accepted record for (customer, dimension, hour). */
  private store(
    key: string,
    sub: Subscription,
    dimension: string,
    hourMs: number,
    tsMs: number,
    quantity: number,
    allocations: MeteredRecord['allocations'] | undefined,
    now: number,
  ): MeteredRecord {
    const stored: MeteredRecord = {
      meteringRecordId: newMeteringRecordId(),
      subscriptionId: sub.id,
      productCode: sub.productCode,
      customerIdentifier: sub.customerIdentifier,
      customerAwsAccountId: sub.buyerAccountId,
      licenseArn: sub.licenseArn,
      dimension,
      hour: new Date(hourMs).toISOString(),
      timestamp: new Date(tsMs).toISOString(),
      quantity,
      allocations: allocations ?? [],
      acceptedAt: new Date(now).toISOString(),
    };
    this.records.set(key, stored);
    return stored;
  }

  meteredRecords(
    filter: { productCode?: string; customer?: string; dimension?: string; subscriptionId?: string } = {},
  ): MeteredRecord[] {
    return [...this.records.values()]
      .filter(
        (r) =>
          (!filter.productCode || r.productCode === filter.productCode) &&
          (!filter.dimension || r.dimension === filter.dimension) &&
          (!filter.subscriptionId || r.subscriptionId === filter.subscriptionId) &&
          (!filter.customer ||
            [r.customerIdentifier, r.customerAwsAccountId, r.licenseArn].includes(filter.customer)),
      )
      .sort((a, b) => a.hour.localeCompare(b.hour) || a.acceptedAt.localeCompare(b.acceptedAt));
  }

  // ---- entitlements --------------------------------------------------------------------------------

  getEntitlements(body: Record<string, unknown>, partition: Partition) {
    const productCode = body.ProductCode;
    if (typeof productCode !== 'string' || productCode.length === 0)
      throw new AwsError('InvalidParameterException', 'ProductCode is required');
    const product = this.product(productCode);
    if (!product || product.partition !== partition)
      throw new AwsError('InvalidParameterException', `Product code ${productCode} is not valid`);
    const filter = (body.Filter ?? {}) as Record<string, unknown>;
    if (typeof filter !== 'object' || Array.isArray(filter))
      throw new AwsError('InvalidParameterException', 'Filter must be a map');
    for (const [name, values] of Object.entries(filter)) {
      if (!(FILTER_NAMES as readonly string[]).includes(name))
        throw new AwsError('InvalidParameterException', `Unknown filter ${name}`);
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string'))
        throw new AwsError('InvalidParameterException', `Filter ${name} must be a list of strings`);
    }
    const max = body.MaxResults ?? this.config.entitlementsPageSize;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 25)
      throw new AwsError('InvalidParameterException', 'MaxResults must be between 1 and 25');
    const query = JSON.stringify([productCode, filter]);
    let offset = 0;
    if (body.NextToken !== undefined) offset = decodeNextToken(body.NextToken, query);

    const matches = (field: (typeof FILTER_NAMES)[number], value: string) => {
      const wanted = filter[field] as string[] | undefined;
      if (!wanted) return true;
      if (field === 'LICENSE_ARN') return wanted.some((w) => licenseId(w) === licenseId(value));
      return wanted.includes(value);
    };
    const all: EntitlementOutput[] = [];
    for (const sub of this.listSubscriptions({ productCode })) {
      if (sub.state !== 'active' && sub.state !== 'unsubscribe-pending') continue;
      if (!matches('CUSTOMER_IDENTIFIER', sub.customerIdentifier)) continue;
      if (!matches('CUSTOMER_AWS_ACCOUNT_ID', sub.buyerAccountId)) continue;
      if (!matches('LICENSE_ARN', sub.licenseArn)) continue;
      for (const e of sub.entitlements) {
        if (!matches('DIMENSION', e.dimension)) continue;
        all.push({
          ProductCode: productCode,
          Dimension: e.dimension,
          CustomerIdentifier: sub.customerIdentifier,
          CustomerAWSAccountId: sub.buyerAccountId,
          LicenseArn: sub.licenseArn,
          Value: e.value,
          ...(e.expirationDate ? { ExpirationDate: Date.parse(e.expirationDate) / 1000 } : {}),
        });
      }
    }
    const page = all.slice(offset, offset + max);
    const next = offset + max < all.length ? encodeNextToken(offset + max, query) : undefined;
    return { Entitlements: page, ...(next ? { NextToken: next } : {}) };
  }

  // ---- admin ---------------------------------------------------------------------------------------

  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pendingCancellations.clear();
    this.subscriptions.clear();
    this.byLicenseId.clear();
    this.byCustomer.clear();
    this.tokens.clear();
    this.records.clear();
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private productIn(code: string, partition: Partition): ProductConfig {
    const product = this.product(code);
    if (!product) throw new AwsError('InvalidProductCodeException', `Product code ${code} is not valid`);
    if (product.partition !== partition)
      throw new AwsError(
        'InvalidEndpointRegionException',
        `Product ${code} is not sold in the partition of this endpoint (${partition})`,
      );
    return product;
  }

  private checkRecordShape(raw: unknown, i: number): UsageRecordInput {
    const at = (f: string) => `usageRecords.${i + 1}.member.${f}`;
    if (typeof raw !== 'object' || raw === null)
      throw validationError(`usageRecords.${i + 1}`, 'must be a structure');
    const r = raw as Record<string, unknown>;
    if (typeof r.Timestamp !== 'number' || !Number.isFinite(r.Timestamp))
      throw validationError(at('timestamp'), 'Member must not be null');
    if (typeof r.Dimension !== 'string' || r.Dimension.length < 1 || r.Dimension.length > 255)
      throw validationError(at('dimension'), 'Member must have length between 1 and 255');
    if (
      r.Quantity !== undefined &&
      (typeof r.Quantity !== 'number' ||
        !Number.isInteger(r.Quantity) ||
        r.Quantity < 0 ||
        r.Quantity > MAX_QUANTITY)
    )
      throw validationError(at('quantity'), `Member must have value between 0 and ${MAX_QUANTITY}`);
    for (const f of ['CustomerIdentifier', 'CustomerAWSAccountId', 'LicenseArn'] as const) {
      if (r[f] !== undefined && typeof r[f] !== 'string')
        throw validationError(at(f), 'Member must be a string');
    }
    if (r.UsageAllocations !== undefined && !Array.isArray(r.UsageAllocations))
      throw validationError(at('usageAllocations'), 'Member must be a list');
    return r as unknown as UsageRecordInput;
  }

  /** The subscription a record names: LicenseArn + CustomerAWSAccountId, or legacy CustomerIdentifier + ProductCode. */
  private identify(r: UsageRecordInput, product: ProductConfig | undefined): Subscription {
    if (r.LicenseArn !== undefined) {
      if (r.CustomerIdentifier !== undefined)
        throw new AwsError(
          'InvalidCustomerIdentifierException',
          'Give either CustomerIdentifier or LicenseArn, not both',
        );
      const id = licenseId(r.LicenseArn);
      const sub = id
        ? [...this.subscriptions.values()].find((s) => licenseId(s.licenseArn) === id)
        : undefined;
      if (!sub || (product && sub.productCode !== product.productCode))
        throw new AwsError(
          'InvalidLicenseException',
          `License ${r.LicenseArn} is not valid for this product`,
        );
      if (r.CustomerAWSAccountId === undefined || r.CustomerAWSAccountId !== sub.buyerAccountId)
        throw new AwsError(
          'InvalidCustomerIdentifierException',
          'CustomerAWSAccountId does not match the license',
        );
      return sub;
    }
    if (r.CustomerIdentifier === undefined)
      throw new AwsError(
        'InvalidCustomerIdentifierException',
        'A usage record needs LicenseArn and CustomerAWSAccountId, or CustomerIdentifier',
      );
    if (!product)
      throw new AwsError('InvalidProductCodeException', 'ProductCode is required with CustomerIdentifier');
    const sub = this.byCustomer.get(`${product.productCode}|${r.CustomerIdentifier}`);
    if (!sub)
      throw new AwsError(
        'InvalidCustomerIdentifierException',
        `Customer ${r.CustomerIdentifier} is not valid`,
      );
    if (r.CustomerAWSAccountId !== undefined && r.CustomerAWSAccountId !== sub.buyerAccountId)
      throw new AwsError(
        'InvalidCustomerIdentifierException',
        'CustomerAWSAccountId does not match the customer',
      );
    return sub;
  }

  private checkAllocations(r: UsageRecordInput): void {
    const allocations = r.UsageAllocations;
    if (allocations === undefined) return;
    if (allocations.length < 1 || allocations.length > MAX_ALLOCATIONS)
      throw new AwsError(
        'InvalidUsageAllocationsException',
        `A record has 1 to ${MAX_ALLOCATIONS} allocations`,
      );
    let sum = 0;
    for (const a of allocations) {
      const q = a?.AllocatedUsageQuantity;
      if (typeof q !== 'number' || !Number.isInteger(q) || q < 0)
        throw new AwsError(
          'InvalidUsageAllocationsException',
          'AllocatedUsageQuantity must be a non-negative integer',
        );
      sum += q;
      const tags = a.Tags ?? [];
      if (!Array.isArray(tags) || tags.length > 5)
        throw new AwsError('InvalidTagException', 'An allocation has at most 5 tags');
      const keys = new Set<string>();
      for (const t of tags) {
        if (
          typeof t?.Key !== 'string' ||
          typeof t.Value !== 'string' ||
          !TAG_KEY.test(t.Key) ||
          !TAG_VALUE.test(t.Value)
        )
          throw new AwsError('InvalidTagException', 'A tag key or value is not valid');
        if (keys.has(t.Key)) throw new AwsError('InvalidTagException', `Tag key ${t.Key} appears twice`);
        keys.add(t.Key);
      }
    }
    if (sum !== (r.Quantity ?? 0))
      throw new AwsError(
        'InvalidUsageAllocationsException',
        `The allocations sum to ${sum}, not to the record's quantity ${r.Quantity ?? 0}`,
      );
  }

  private requireSubscription(id: string): Subscription {
    const sub = this.subscriptions.get(id);
    if (!sub) throw new AwsError('NotFound', `unknown subscription ${id}`, 404);
    return sub;
  }

  private setState(sub: Subscription, state: SubscriptionState): void {
    sub.state = state;
    sub.updatedAt = this.clock.now().toISOString();
  }

  private clearPending(id: string): void {
    const timer = this.pendingCancellations.get(id);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(timer);
      this.pendingCancellations.delete(id);
    }
  }
}

function encodeNextToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: query })).toString('base64url');
}

function decodeNextToken(token: unknown, query: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(String(token), 'base64url').toString('utf8')) as {
      o: unknown;
      q: unknown;
    };
    if (parsed.q === query && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0)
      return parsed.o;
  } catch {
    // fall through: any malformed token is refused the same way
  }
  throw new AwsError('InvalidParameterException', 'NextToken is not valid for this request');
}
