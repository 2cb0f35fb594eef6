import {
  GetEntitlementsCommand,
  InternalServiceErrorException,
  MarketplaceEntitlementServiceClient,
  ThrottlingException,
} from '@aws-sdk/client-marketplace-entitlement-service';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AwsEntitlementReader,
  entitlementFilter,
  toEntitlement,
} from '../src/outbound/entitlement-reader.js';
import { LICENSE } from './support/metering-fixtures.js';

const meta = { $metadata: {} };
const client = new MarketplaceEntitlementServiceClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const mock = mockClient(client);
const reader = new AwsEntitlementReader({ aws: client });
const EXPIRY = new Date('2027-01-01T00:00:00Z');

afterEach(() => mock.reset());

describe('AwsEntitlementReader', () => {
  it('reads every page, following NextToken', async () => {
    mock
      .on(GetEntitlementsCommand)
      .resolvesOnce({
        ...meta,
        Entitlements: [{ Dimension: 'users', Value: { IntegerValue: 10 }, ExpirationDate: EXPIRY }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        ...meta,
        Entitlements: [{ Dimension: 'storage', Value: { DoubleValue: 2.5 } }],
        NextToken: 'page-3',
      })
      .resolvesOnce({ ...meta, Entitlements: [{ Dimension: 'sso', Value: { BooleanValue: true } }] });
    const found = await reader.read({ partition: 'aws', productCode: 'prod-a', customerIdentifier: 'X01' });
    expect(found).toEqual([
      { dimension: 'users', value: 10, expiresAt: EXPIRY },
      { dimension: 'storage', value: 2.5, expiresAt: null },
      { dimension: 'sso', value: 1, expiresAt: null },
    ]);
    const tokens = mock.commandCalls(GetEntitlementsCommand).map((c) => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
    expect(mock.commandCalls(GetEntitlementsCommand)[0]?.args[0].input).toMatchObject({
      ProductCode: 'prod-a',
      Filter: { CUSTOMER_IDENTIFIER: ['X01'] },
    });
  });

  it('filters current products by license ARN and buyer account', () => {
    expect(
      entitlementFilter({
        partition: 'aws',
        licenseArn: LICENSE.slice(4),
        customerAwsAccountId: '845735284135',
      }),
    ).toEqual({ LICENSE_ARN: [LICENSE], CUSTOMER_AWS_ACCOUNT_ID: ['845735284135'] });
    expect(entitlementFilter({ partition: 'aws', customerAwsAccountId: '845735284135' })).toEqual({
      CUSTOMER_AWS_ACCOUNT_ID: ['845735284135'],
    });
    expect(() => entitlementFilter({ partition: 'aws' })).toThrow(
      expect.objectContaining({ code: 'marketplace-customer-unidentified' }),
    );
  });

  it('turns each kind of value into a number, or null when it is not one', () => {
    const value = (Value: object) => toEntitlement({ Dimension: 'd', Value }).value;
    expect(value({ IntegerValue: 0 })).toBe(0);
    expect(value({ DoubleValue: 0.25 })).toBe(0.25);
    expect(value({ BooleanValue: false })).toBe(0);
    expect(value({ StringValue: '42' })).toBe(42);
    expect(value({ StringValue: 'premium' })).toBeNull();
    expect(value({})).toBeNull();
  });

  it('maps throttling and 5xx to unavailable domain errors', async () => {
    mock.on(GetEntitlementsCommand).rejects(new ThrottlingException({ message: 'x', ...meta }));
    await expect(
      reader.read({ partition: 'aws', productCode: 'p', customerIdentifier: 'c' }),
    ).rejects.toMatchObject({ kind: 'unavailable', code: 'marketplace-throttled' });
    mock.reset();
    mock.on(GetEntitlementsCommand).rejects(new InternalServiceErrorException({ message: 'x', ...meta }));
    await expect(
      reader.read({ partition: 'aws', productCode: 'p', customerIdentifier: 'c' }),
    ).rejects.toMatchObject({ kind: 'unavailable', code: 'marketplace-unavailable' });
  });

  it('refuses a partition that is not configured', async () => {
    await expect(
      reader.read({ partition: 'aws-cn', productCode: 'p', customerIdentifier: 'c' }),
    ).rejects.toMatchObject({ code: 'marketplace-partition-not-configured' });
  });
});
