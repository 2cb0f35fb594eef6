import { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsPartition } from '@billing-center/core';
import type { AwsMarketplaceConfig, PartitionConfig } from './marketplace-config.js';

/** The SDK clients of one partition. */
export interface PartitionClients {
  partition: AwsPartition;
  region: string;
  /** BatchMeterUsage: one attempt per call, the gateway retries. */
  metering: MarketplaceMeteringClient;
  /** ResolveCustomer: a user waits on it, so the SDK's own standard retry (with jitter) applies. */
  resolver: MarketplaceMeteringClient;
  entitlement: MarketplaceEntitlementServiceClient;
}

export type MarketplaceClients = Partial<Record<AwsPartition, PartitionClients>>;

/**
 * Builds one metering and one entitlement client per configured partition. The SDK resolves AWS's endpoint
 * from the region (`metering.marketplace.cn-northwest-1.amazonaws.com.cn` in China) unless an endpoint is
 * configured for the simulator.
 */
export function createMarketplaceClients(config: AwsMarketplaceConfig): MarketplaceClients {
  const clients: MarketplaceClients = {};
  for (const partition of ['aws', 'aws-cn'] as const) {
    const p = config.partitions[partition];
    if (!p) continue;
    const common = {
      region: p.region,
      credentials: credentialsFor(p),
      requestHandler: { requestTimeout: config.requestTimeoutMs },
    };
    clients[partition] = {
      partition,
      region: p.region,
      // The gateway retries BatchMeterUsage itself (token bucket, full jitter, lost-response detection).
      metering: new MarketplaceMeteringClient({
        ...common,
        maxAttempts: 1,
        ...(p.meteringEndpoint ? { endpoint: p.meteringEndpoint } : {}),
      }),
      resolver: new MarketplaceMeteringClient({
        ...common,
        maxAttempts: config.sdkMaxAttempts,
        ...(p.meteringEndpoint ? { endpoint: p.meteringEndpoint } : {}),
      }),
      entitlement: new MarketplaceEntitlementServiceClient({
        ...common,
        maxAttempts: config.sdkMaxAttempts,
        ...(p.entitlementEndpoint ? { endpoint: p.entitlementEndpoint } : {}),
      }),
    };
  }
  return clients;
}

function credentialsFor(p: PartitionConfig) {
  if (p.staticCredentials) return { ...p.staticCredentials };
  if (!p.assumeRoleArn) return undefined; // the SDK's standard provider chain
  // Temporary credentials of the seller account's role, refreshed before they expire; the STS client
  // itself authenticates with the standard chain, in the partition's own region.
  return fromTemporaryCredentials({
    params: {
      RoleArn: p.assumeRoleArn,
      RoleSessionName: p.assumeRoleSessionName ?? 'billing-center-marketplace',
      ...(p.assumeRoleExternalId ? { ExternalId: p.assumeRoleExternalId } : {}),
    },
    clientConfig: { region: p.region },
  });
}

export function destroyMarketplaceClients(clients: MarketplaceClients): void {
  for (const c of Object.values(clients)) {
    c?.metering.destroy();
    c?.resolver.destroy();
    c?.entitlement.destroy();
  }
}
