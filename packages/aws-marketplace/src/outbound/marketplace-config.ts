import { type AwsPartition, ValidationError } from '@billing-center/core';

/** How the adapters reach AWS Marketplace in one partition (one seller account). */
export interface PartitionConfig {
  /** `us-east-1` for the global partition, `cn-northwest-1` for China (the regions that serve the APIs). */
  region: string;
  /** Simulator or VPC endpoint; unset: the SDK resolves AWS's endpoint from the region. */
  meteringEndpoint?: string | undefined;
  entitlementEndpoint?: string | undefined;
  /** Assume this role (in the seller account) with the standard-chain credentials before every call. */
  assumeRoleArn?: string | undefined;
  assumeRoleExternalId?: string | undefined;
  assumeRoleSessionName?: string | undefined;
  /**
   * Fixed credentials, for the local simulator only. Unset (production): the SDK's standard provider chain
   * (environment, shared config, SSO, container or instance role).
   */
  staticCredentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

export interface MeteringOptions {
  /** `BatchMeterUsage` calls per second per (seller account, region); null: no limit. AWS allows about 10. */
  callsPerSecond: number | null;
  /** Calls sent at once within one `submit` (they still share the rate limit). */
  concurrency: number;
  /** Attempts per call on throttling, 5xx and network errors, the first one included. */
  maxAttempts: number;
  /** Full-jitter backoff: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs · 2ⁿ)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** `workspace` tag value of the allocation that pools the workspaces beyond AWS's allocation limit. */
  pooledAllocationTag: string;
}

export interface AwsMarketplaceConfig {
  partitions: Partial<Record<AwsPartition, PartitionConfig>>;
  metering: MeteringOptions;
  /** SDK attempts for ResolveCustomer and GetEntitlements (the SDK's own standard retry with jitter). */
  sdkMaxAttempts: number;
  /** Per-attempt request timeout. */
  requestTimeoutMs: number;
}

export const DEFAULT_METERING_OPTIONS: MeteringOptions = {
  callsPerSecond: 10,
  concurrency: 4,
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
  pooledAllocationTag: 'other',
};

export const DEFAULT_REGIONS: Record<AwsPartition, string> = { aws: 'us-east-1', 'aws-cn': 'cn-northwest-1' };

export interface AwsMarketplaceConfigInput {
  partitions: Partial<Record<AwsPartition, Partial<PartitionConfig> | undefined>>;
  metering?: Partial<MeteringOptions> | undefined;
  sdkMaxAttempts?: number | undefined;
  requestTimeoutMs?: number | undefined;
}

const ROLE_ARN = /^arn:aws(-cn)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
// Tag values: letters, digits, spaces and + - = . _ : / @ (AWS's tag alphabet), at most 256 characters.
const TAG_VALUE = /^[\p{L}\p{N}\s+\-=._:/@]{1,256}$/u;

/** Validates the adapters' settings once, at start; every error names the setting and what it expects. */
export function parseAwsMarketplaceConfig(input: AwsMarketplaceConfigInput): AwsMarketplaceConfig {
  const bad = (setting: string, expected: string): never => {
    throw new ValidationError('invalid-configuration', `Configuration "${setting}" ${expected}.`, {
      setting,
    });
  };
  const partitions: Partial<Record<AwsPartition, PartitionConfig>> = {};
  const given = input?.partitions ?? {};
  for (const key of Object.keys(given)) {
    if (key !== 'aws' && key !== 'aws-cn') bad(`partitions.${key}`, 'is not a partition (aws, aws-cn)');
  }
  for (const partition of ['aws', 'aws-cn'] as const) {
    const p = given[partition];
    if (!p) continue;
    const at = (name: string) => `partitions.${partition}.${name}`;
    const region = p.region ?? DEFAULT_REGIONS[partition];
    if (!REGION.test(region)) bad(at('region'), 'must be an AWS region such as us-east-1');
    if (region.startsWith('cn-') !== (partition === 'aws-cn'))
      bad(at('region'), `must be a region of the ${partition} partition`);
    for (const name of ['meteringEndpoint', 'entitlementEndpoint'] as const) {
      const url = p[name];
      if (url === undefined) continue;
      if (!isHttpUrl(url)) bad(at(name), 'must be an http(s) URL');
    }
    if (p.assumeRoleArn !== undefined) {
      if (!ROLE_ARN.test(p.assumeRoleArn)) bad(at('assumeRoleArn'), 'must be an IAM role ARN');
      if (p.assumeRoleArn.startsWith('arn:aws-cn:') !== (partition === 'aws-cn'))
        bad(at('assumeRoleArn'), `must be a role of the ${partition} partition`);
    }
    if (p.assumeRoleExternalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(p.assumeRoleExternalId))
      bad(at('assumeRoleExternalId'), 'must be 2 to 1224 characters of [\\w+=,.@:/-]');
    if (p.assumeRoleSessionName !== undefined && !/^[\w+=,.@-]{2,64}$/.test(p.assumeRoleSessionName))
      bad(at('assumeRoleSessionName'), 'must be 2 to 64 characters of [\\w+=,.@-]');
    const creds = p.staticCredentials;
    if (creds !== undefined && (!creds?.accessKeyId || !creds.secretAccessKey))
      bad(at('staticCredentials'), 'must have accessKeyId and secretAccessKey');
    partitions[partition] = {
      region,
      meteringEndpoint: p.meteringEndpoint,
      entitlementEndpoint: p.entitlementEndpoint,
      assumeRoleArn: p.assumeRoleArn,
      assumeRoleExternalId: p.assumeRoleExternalId,
      assumeRoleSessionName: p.assumeRoleSessionName,
      staticCredentials: creds,
    };
  }
  if (!partitions.aws && !partitions['aws-cn']) bad('partitions', 'must configure aws, aws-cn or both');

  const definedOnly = Object.fromEntries(
    Object.entries(input.metering ?? {}).filter(([, v]) => v !== undefined),
  );
  const metering: MeteringOptions = { ...DEFAULT_METERING_OPTIONS, ...definedOnly };
  const int = (setting: string, v: unknown, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      bad(setting, `must be a whole number from ${min} to ${max}`);
  };
  if (metering.callsPerSecond !== null) {
    const rate = metering.callsPerSecond;
    if (typeof rate !== 'number' || !(rate > 0) || rate > 10_000)
      bad('metering.callsPerSecond', 'must be a number above 0 and at most 10000, or null for no limit');
  }
  int('metering.concurrency', metering.concurrency, 1, 64);
  int('metering.maxAttempts', metering.maxAttempts, 1, 20);
  int('metering.baseDelayMs', metering.baseDelayMs, 0, 60_000);
  int('metering.maxDelayMs', metering.maxDelayMs, metering.baseDelayMs, 300_000);
  if (typeof metering.pooledAllocationTag !== 'string' || !TAG_VALUE.test(metering.pooledAllocationTag))
    bad(
      'metering.pooledAllocationTag',
      'must be an AWS tag value (1 to 256 letters, digits, spaces, +-=._:/@)',
    );
  const sdkMaxAttempts = input.sdkMaxAttempts ?? 3;
  int('sdkMaxAttempts', sdkMaxAttempts, 1, 10);
  const requestTimeoutMs = input.requestTimeoutMs ?? 10_000;
  int('requestTimeoutMs', requestTimeoutMs, 100, 120_000);
  return { partitions, metering, sdkMaxAttempts, requestTimeoutMs };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
