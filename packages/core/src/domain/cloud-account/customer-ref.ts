import type { AwsPartition } from '../site/site.js';

/**
 * How an inbound message or a resolved token names an AWS Marketplace buyer. Current products identify
 * a buyer by license ARN + AWS account id ("concurrent agreements"); legacy ones by customer identifier +
 * product code; EventBridge agreement events only carry the agreement id and the acceptor's account id.
 */
export interface CustomerRef {
  partition: AwsPartition;
  productCode?: string | null;
  customerIdentifier?: string | null;
  customerAwsAccountId?: string | null;
  licenseArn?: string | null;
  agreementId?: string | null;
  offerId?: string | null;
}

/**
 * The trailing `l-…` id of a license ARN. EventBridge documents license ARNs without the leading `arn:`
 * while ResolveCustomer returns full ARNs, so licenses are matched on this id.
 */
export function licenseIdOf(licenseArn: string | null | undefined): string | null {
  if (!licenseArn) return null;
  const m = /(?:^|[:/])(l-[A-Za-z0-9]+)$/.exec(licenseArn.trim());
  return m?.[1] ?? null;
}

export function describeCustomerRef(ref: CustomerRef): string {
  return [
    ref.partition,
    ref.productCode && `product ${ref.productCode}`,
    ref.customerIdentifier && `customer ${ref.customerIdentifier}`,
    ref.customerAwsAccountId && `AWS account ${ref.customerAwsAccountId}`,
    ref.licenseArn && `license ${licenseIdOf(ref.licenseArn) ?? ref.licenseArn}`,
    ref.agreementId && `agreement ${ref.agreementId}`,
  ]
    .filter(Boolean)
    .join(', ');
}
