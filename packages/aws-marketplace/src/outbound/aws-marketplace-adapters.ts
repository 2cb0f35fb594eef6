import type { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import type { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import type { AwsPartition } from '@billing-center/core';
import { AwsCustomerResolver } from './customer-resolver.js';
import { AwsEntitlementReader } from './entitlement-reader.js';
import {
  createMarketplaceClients,
  destroyMarketplaceClients,
  type MarketplaceClients,
} from './marketplace-clients.js';
import { type AwsMarketplaceConfigInput, parseAwsMarketplaceConfig } from './marketplace-config.js';
import {
  AwsMeteringGateway,
  type AwsMeteringGatewayOptions,
  type MeteringEndpoint,
} from './metering-gateway.js';

export interface AwsMarketplaceAdapters {
  /** `MarketplaceCustomerResolver` */
  customerResolver: AwsCustomerResolver;
  /** `MeteringGateway` */
  meteringGateway: AwsMeteringGateway;
  /** `EntitlementReader` */
  entitlementReader: AwsEntitlementReader;
  clients: MarketplaceClients;
  /** Closes the SDK clients' sockets. */
  close(): void;
}

/**
 * Validates the configuration and builds the three outbound adapters over one set of SDK clients per
 * partition. An app binds them to the core's `MarketplaceCustomerResolver`, `MeteringGateway` and
 * `EntitlementReader` tokens.
 */
export function createAwsMarketplaceAdapters(
  input: AwsMarketplaceConfigInput,
  /** Where metering retries, splits and faults are reported (a logger); a clock and randomness for tests. */
  hooks: Pick<AwsMeteringGatewayOptions, 'onEvent' | 'timer' | 'random'> = {},
): AwsMarketplaceAdapters {
  const config = parseAwsMarketplaceConfig(input);
  const clients = createMarketplaceClients(config);
  const resolvers: Partial<Record<AwsPartition, MarketplaceMeteringClient>> = {};
  const entitlements: Partial<Record<AwsPartition, MarketplaceEntitlementServiceClient>> = {};
  const metering: Partial<Record<AwsPartition, MeteringEndpoint>> = {};
  for (const c of Object.values(clients)) {
    if (!c) continue;
    resolvers[c.partition] = c.resolver;
    entitlements[c.partition] = c.entitlement;
    // One seller account per partition, so (partition, region) names the account and region AWS counts.
    metering[c.partition] = { client: c.metering, limiterKey: `${c.partition}/${c.region}` };
  }
  return {
    customerResolver: new AwsCustomerResolver(resolvers),
    meteringGateway: new AwsMeteringGateway(metering, { ...config.metering, ...hooks }),
    entitlementReader: new AwsEntitlementReader(entitlements),
    clients,
    close: () => destroyMarketplaceClients(clients),
  };
}
