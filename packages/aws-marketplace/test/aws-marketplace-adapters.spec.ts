import { GetEntitlementsCommand } from '@aws-sdk/client-marketplace-entitlement-service';
import { BatchMeterUsageCommand } from '@aws-sdk/client-marketplace-metering';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AwsMarketplaceAdapters,
  createAwsMarketplaceAdapters,
} from '../src/outbound/aws-marketplace-adapters.js';
import { parseAwsMarketplaceConfig } from '../src/outbound/marketplace-config.js';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let adapters: AwsMarketplaceAdapters | undefined;
afterEach(() => adapters?.close());

class Stop extends Error {}

/** The URL a client would call for a command: captured once the endpoint is resolved, then stopped. */
async function urlOf(
  client: { middlewareStack: { add: (...a: never[]) => void }; send: (c: never) => Promise<unknown> },
  command: unknown,
): Promise<string> {
  let url = '';
  const capture = (() => async (args: { request: { protocol: string; hostname: string; port?: number } }) => {
    const r = args.request;
    url = `${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ''}`;
    throw new Stop();
  }) as never;
  client.middlewareStack.add(capture, { step: 'build', name: 'captureUrl' } as never);
  await client.send(command as never).catch((e: unknown) => {
    if (!(e instanceof Stop)) throw e;
  });
  return url;
}

describe('createAwsMarketplaceAdapters', () => {
  it('lets the SDK resolve the real endpoints of both partitions from their regions', async () => {
    adapters = createAwsMarketplaceAdapters({
      partitions: { aws: { staticCredentials: creds }, 'aws-cn': { staticCredentials: creds } },
    });
    const { aws, 'aws-cn': cn } = adapters.clients;
    const meter = new BatchMeterUsageCommand({ UsageRecords: [] });
    expect(await urlOf(aws!.metering as never, meter)).toBe(
      'https://metering.marketplace.us-east-1.amazonaws.com',
    );
    expect(await urlOf(cn!.metering as never, meter)).toBe(
      'https://metering.marketplace.cn-northwest-1.amazonaws.com.cn',
    );
    const entitlements = new GetEntitlementsCommand({ ProductCode: 'p' });
    expect(await urlOf(cn!.entitlement as never, entitlements)).toMatch(
      /\.cn-northwest-1\.amazonaws\.com\.cn$/,
    );
    expect(await urlOf(aws!.entitlement as never, entitlements)).toMatch(/\.us-east-1\.amazonaws\.com$/);
  });

  it('sends to the configured endpoint instead (the local simulator)', async () => {
    adapters = createAwsMarketplaceAdapters({
      partitions: {
        'aws-cn': {
          meteringEndpoint: 'http://127.0.0.1:4599',
          entitlementEndpoint: 'http://127.0.0.1:4598',
          staticCredentials: creds,
        },
      },
    });
    const cn = adapters.clients['aws-cn']!;
    expect(await urlOf(cn.metering as never, new BatchMeterUsageCommand({ UsageRecords: [] }))).toBe(
      'http://127.0.0.1:4599',
    );
    expect(await urlOf(cn.resolver as never, new BatchMeterUsageCommand({ UsageRecords: [] }))).toBe(
      'http://127.0.0.1:4599',
    );
    expect(await urlOf(cn.entitlement as never, new GetEntitlementsCommand({ ProductCode: 'p' }))).toBe(
      'http://127.0.0.1:4598',
    );
    expect(adapters.clients.aws).toBeUndefined();
  });

  it('assumes the seller role through STS when configured, lazily', async () => {
    adapters = createAwsMarketplaceAdapters({
      partitions: { aws: { assumeRoleArn: 'arn:aws:iam::123456789012:role/marketplace-seller' } },
    });
    // A provider function, not fixed keys: nothing is fetched until the first call.
    expect(typeof adapters.clients.aws?.metering.config.credentials).toBe('function');
  });

  it('gives the metering client one attempt (the gateway retries) and the others the SDK retry', async () => {
    adapters = createAwsMarketplaceAdapters({
      partitions: { aws: { staticCredentials: creds } },
      sdkMaxAttempts: 4,
    });
    const { metering, resolver, entitlement } = adapters.clients.aws!;
    expect(await metering.config.maxAttempts()).toBe(1);
    expect(await resolver.config.maxAttempts()).toBe(4);
    expect(await entitlement.config.maxAttempts()).toBe(4);
  });
});

describe('parseAwsMarketplaceConfig', () => {
  it('fills in the defaults', () => {
    const c = parseAwsMarketplaceConfig({ partitions: { aws: {}, 'aws-cn': {} } });
    expect(c.partitions.aws?.region).toBe('us-east-1');
    expect(c.partitions['aws-cn']?.region).toBe('cn-northwest-1');
    expect(c.metering).toEqual({
      callsPerSecond: 10,
      concurrency: 4,
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 5_000,
      pooledAllocationTag: 'other',
    });
  });

  it('accepts a disabled rate limit', () => {
    expect(
      parseAwsMarketplaceConfig({ partitions: { aws: {} }, metering: { callsPerSecond: null } }).metering,
    ).toMatchObject({ callsPerSecond: null });
  });

  it.each([
    ['no partition', { partitions: {} }, 'partitions'],
    ['an unknown partition', { partitions: { 'aws-us-gov': {} } }, 'partitions.aws-us-gov'],
    [
      'a China region in the global partition',
      { partitions: { aws: { region: 'cn-north-1' } } },
      'partitions.aws.region',
    ],
    [
      'a global region in China',
      { partitions: { 'aws-cn': { region: 'us-east-1' } } },
      'partitions.aws-cn.region',
    ],
    [
      'an endpoint that is not a URL',
      { partitions: { aws: { meteringEndpoint: 'localhost' } } },
      'partitions.aws.meteringEndpoint',
    ],
    [
      'a role that is not an ARN',
      { partitions: { aws: { assumeRoleArn: 'seller' } } },
      'partitions.aws.assumeRoleArn',
    ],
    [
      'a global role in China',
      { partitions: { 'aws-cn': { assumeRoleArn: 'arn:aws:iam::123456789012:role/r' } } },
      'partitions.aws-cn.assumeRoleArn',
    ],
    ['a zero rate', { partitions: { aws: {} }, metering: { callsPerSecond: 0 } }, 'metering.callsPerSecond'],
    ['no attempts', { partitions: { aws: {} }, metering: { maxAttempts: 0 } }, 'metering.maxAttempts'],
    [
      'a cap below the base delay',
      { partitions: { aws: {} }, metering: { baseDelayMs: 10, maxDelayMs: 5 } },
      'metering.maxDelayMs',
    ],
    [
      'a bad pooled tag',
      { partitions: { aws: {} }, metering: { pooledAllocationTag: '' } },
      'metering.pooledAllocationTag',
    ],
  ])('refuses %s', (_, input, setting) => {
    expect(() => parseAwsMarketplaceConfig(input as never)).toThrow(
      expect.objectContaining({ code: 'invalid-configuration', details: { setting } }),
    );
  });
});
