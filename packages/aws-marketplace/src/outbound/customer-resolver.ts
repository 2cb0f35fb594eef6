import {
  type MarketplaceMeteringClient,
  ResolveCustomerCommand,
  type ResolveCustomerCommandOutput,
} from '@aws-sdk/client-marketplace-metering';
import {
  type AwsPartition,
  type MarketplaceCustomerResolver,
  type ResolvedCustomer,
  UnavailableError,
  ValidationError,
} from '@billing-center/core';
import { awsErrorName, classifyAwsFailure } from './aws-errors.js';

/**
 * Resolves the `x-amzn-marketplace-token` a buyer brings from AWS Marketplace (`ResolveCustomer`). The token
 * is a bearer credential for the buyer's registration: it is never logged nor put in an error.
 */
export class AwsCustomerResolver implements MarketplaceCustomerResolver {
  constructor(private readonly clients: Partial<Record<AwsPartition, MarketplaceMeteringClient>>) {}

  async resolve(partition: AwsPartition, token: string): Promise<ResolvedCustomer> {
    const client = this.clients[partition];
    if (!client) {
      throw new ValidationError(
        'marketplace-partition-not-configured',
        `AWS Marketplace is not configured for the ${partition} partition.`,
        { partition },
      );
    }
    if (typeof token !== 'string' || token.trim() === '' || token.length > 4096) {
      throw new ValidationError('marketplace-token-invalid', 'The registration token is not valid.');
    }
    let out: ResolveCustomerCommandOutput;
    try {
      out = await client.send(new ResolveCustomerCommand({ RegistrationToken: token }));
    } catch (err) {
      throw mapResolveError(err, partition);
    }
    if (!out.ProductCode) {
      throw new UnavailableError(
        'marketplace-unavailable',
        'AWS Marketplace answered ResolveCustomer without a product code.',
        { partition },
      );
    }
    return {
      productCode: out.ProductCode,
      customerIdentifier: out.CustomerIdentifier || null,
      customerAwsAccountId: out.CustomerAWSAccountId || null,
      licenseArn: out.LicenseArn || null,
    };
  }
}

/** One distinct domain outcome per AWS answer; the error's details carry the AWS name, never the token. */
export function mapResolveError(err: unknown, partition: AwsPartition): Error {
  const awsError = awsErrorName(err);
  const details = { partition, awsError };
  switch (awsError) {
    case 'InvalidTokenException':
      return new ValidationError(
        'marketplace-token-invalid',
        'The registration token is not valid.',
        details,
      );
    case 'ExpiredTokenException':
      return new ValidationError(
        'marketplace-token-expired',
        'The registration token has expired; open the product again from AWS Marketplace.',
        details,
      );
    case 'DisabledApiException':
      return new UnavailableError(
        'marketplace-api-disabled',
        'The AWS Marketplace API is disabled for this seller account.',
        details,
      );
  }
  switch (classifyAwsFailure(err)) {
    case 'throttled':
      return new UnavailableError(
        'marketplace-throttled',
        'AWS Marketplace is throttling requests; try again in a minute.',
        details,
      );
    case 'server':
    case 'not-sent':
    case 'lost':
      return new UnavailableError(
        'marketplace-unavailable',
        'AWS Marketplace is not answering; try again in a minute.',
        details,
      );
    case 'client':
      // Not the buyer's fault (credentials, permissions, region): a fault for operators, without the token.
      return new Error(`ResolveCustomer failed in ${partition}: ${awsError}`, { cause: err });
  }
}
