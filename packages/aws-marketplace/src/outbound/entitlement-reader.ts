import {
  type Entitlement as AwsEntitlement,
  type GetEntitlementFilterName,
  GetEntitlementsCommand,
  type MarketplaceEntitlementServiceClient,
} from '@aws-sdk/client-marketplace-entitlement-service';
import {
  type AwsPartition,
  type CustomerRef,
  type Entitlement,
  type EntitlementReader,
  UnavailableError,
  ValidationError,
} from '@billing-center/core';
import { awsErrorName, classifyAwsFailure } from './aws-errors.js';

/** AWS's page size limit for GetEntitlements. */
const PAGE_SIZE = 25;
/** A bound on pages, so that a NextToken that never ends cannot loop forever. */
const MAX_PAGES = 1_000;

/** Reads a buyer's entitlements (`GetEntitlements`, every page) after an `entitlement-updated`. */
export class AwsEntitlementReader implements EntitlementReader {
  constructor(private readonly clients: Partial<Record<AwsPartition, MarketplaceEntitlementServiceClient>>) {}

  async read(customer: CustomerRef & { productCode: string }): Promise<Entitlement[]> {
    const client = this.clients[customer.partition];
    if (!client) {
      throw new ValidationError(
        'marketplace-partition-not-configured',
        `AWS Marketplace is not configured for the ${customer.partition} partition.`,
        { partition: customer.partition },
      );
    }
    const Filter = entitlementFilter(customer);
    const found: Entitlement[] = [];
    let NextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      let out: { Entitlements?: AwsEntitlement[]; NextToken?: string };
      try {
        out = await client.send(
          new GetEntitlementsCommand({
            ProductCode: customer.productCode,
            Filter,
            MaxResults: PAGE_SIZE,
            ...(NextToken ? { NextToken } : {}),
          }),
        );
      } catch (err) {
        throw mapEntitlementError(err, customer.partition);
      }
      for (const e of out.Entitlements ?? []) {
        if (e.Dimension) found.push(toEntitlement(e));
      }
      NextToken = out.NextToken || undefined;
      if (!NextToken) return found;
    }
    throw new UnavailableError(
      'marketplace-unavailable',
      `GetEntitlements returned more than ${MAX_PAGES} pages.`,
      { partition: customer.partition },
    );
  }
}

/**
 * Current products (concurrent agreements) are read by license ARN and buyer account, legacy ones by
 * customer identifier. EventBridge spells license ARNs without `arn:`; AWS's filter wants the full ARN.
 */
export function entitlementFilter(
  customer: CustomerRef,
): Partial<Record<GetEntitlementFilterName, string[]>> {
  if (customer.licenseArn) {
    const licenseArn = customer.licenseArn.startsWith('arn:')
      ? customer.licenseArn
      : `arn:${customer.licenseArn}`;
    return {
      LICENSE_ARN: [licenseArn],
      ...(customer.customerAwsAccountId ? { CUSTOMER_AWS_ACCOUNT_ID: [customer.customerAwsAccountId] } : {}),
    };
  }
  if (customer.customerIdentifier) return { CUSTOMER_IDENTIFIER: [customer.customerIdentifier] };
  if (customer.customerAwsAccountId) return { CUSTOMER_AWS_ACCOUNT_ID: [customer.customerAwsAccountId] };
  throw new ValidationError(
    'marketplace-customer-unidentified',
    'Entitlements need a license ARN, a customer identifier or an AWS account id.',
  );
}

/**
 * The core keeps one number per dimension: integers and doubles as they are, a boolean as 1 or 0, a numeric
 * string as its number; any other string (a tier name) as null — the dimension is present, with no amount.
 */
export function toEntitlement(e: AwsEntitlement): Entitlement {
  const v = e.Value ?? {};
  let value: number | null = null;
  if (typeof v.IntegerValue === 'number') value = v.IntegerValue;
  else if (typeof v.DoubleValue === 'number') value = v.DoubleValue;
  else if (typeof v.BooleanValue === 'boolean') value = v.BooleanValue ? 1 : 0;
  else if (typeof v.StringValue === 'string' && v.StringValue.trim() !== '') {
    const n = Number(v.StringValue);
    value = Number.isFinite(n) ? n : null;
  }
  const expires = e.ExpirationDate instanceof Date ? e.ExpirationDate : null;
  return {
    dimension: e.Dimension as string,
    value,
    expiresAt: expires && !Number.isNaN(expires.getTime()) ? expires : null,
  };
}

export function mapEntitlementError(err: unknown, partition: AwsPartition): Error {
  const awsError = awsErrorName(err);
  const details = { partition, awsError };
  switch (classifyAwsFailure(err)) {
    case 'throttled':
      return new UnavailableError(
        'marketplace-throttled',
        'AWS Marketplace is throttling requests.',
        details,
      );
    case 'server':
    case 'not-sent':
    case 'lost':
      return new UnavailableError('marketplace-unavailable', 'AWS Marketplace is not answering.', details);
    case 'client':
      return new Error(`GetEntitlements failed in ${partition}: ${awsError}`, { cause: err });
  }
}
