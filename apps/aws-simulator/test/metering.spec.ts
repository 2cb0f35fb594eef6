import {
  BatchMeterUsageCommand,
  type BatchMeterUsageCommandOutput,
  MarketplaceMeteringClient,
  MeterUsageCommand,
  ResolveCustomerCommand,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BUYER,
  CHINA_PRODUCT,
  GLOBAL_PRODUCT,
  hourAgo,
  type RunningSimulator,
  SECOND_BUYER,
  startSimulator,
  subscribe,
} from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ unsubscribeDelayMs: 60_000 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.services.reset();
});

async function awsError(
  promise: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

function licenseRecord(
  sub: { licenseArn: string; buyerAccountId: string },
  overrides: Partial<UsageRecord> = {},
): UsageRecord {
  return {
    Timestamp: hourAgo(sim.services, 1),
    Dimension: 'usage_cost',
    Quantity: 100,
    LicenseArn: sub.licenseArn,
    CustomerAWSAccountId: sub.buyerAccountId,
    ...overrides,
  };
}

const meter = (records: UsageRecord[], productCode?: string, region = 'us-east-1') =>
  sim.metering(region).send(
    new BatchMeterUsageCommand({
      UsageRecords: records,
      ...(productCode ? { ProductCode: productCode } : {}),
    }),
  );

describe('ResolveCustomer', () => {
  it('answers the four identifiers for a token issued by "Set up your account"', async () => {
    const sub = subscribe(sim.services);
    const token = sim.services.marketplace.issueToken(sub.id);
    const out = await sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    expect(out).toMatchObject({
      CustomerIdentifier: sub.customerIdentifier,
      CustomerAWSAccountId: BUYER,
      ProductCode: GLOBAL_PRODUCT,
      LicenseArn: sub.licenseArn,
    });
    expect(sub.licenseArn).toMatch(/^arn:aws:license-manager::111122223333:license:l-[0-9a-f]{32}$/);
  });

  it('refuses an unknown token with InvalidTokenException in the real error shape', async () => {
    const e = await awsError(
      sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: 'forged' })),
    );
    expect(e).toMatchObject({ name: 'InvalidTokenException', status: 400 });
    const raw = await fetch(sim.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSMPMeteringService.ResolveCustomer',
      },
      body: JSON.stringify({ RegistrationToken: 'forged' }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toMatch(/^InvalidTokenException:/);
    expect(await raw.json()).toEqual({
      __type: 'com.amazonaws.marketplacemetering#InvalidTokenException',
      message: 'Registration token is invalid',
    });
  });

  it('answers ExpiredTokenException once the validity window has passed', async () => {
    const sub = subscribe(sim.services);
    const token = sim.services.marketplace.issueToken(sub.id);
    await sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    sim.services.clock.offsetMs = (sim.services.config.tokenTtlSeconds + 1) * 1000;
    const e = await awsError(sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token })));
    expect(e.name).toBe('ExpiredTokenException');
  });

  it('resolves a China token only at the China endpoint (cn-northwest-1)', async () => {
    const sub = subscribe(sim.services, CHINA_PRODUCT);
    const token = sim.services.marketplace.issueToken(sub.id);
    expect(
      (await awsError(sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token })))).name,
    ).toBe('InvalidTokenException');
    const out = await sim
      .metering('cn-northwest-1')
      .send(new ResolveCustomerCommand({ RegistrationToken: token }));
    expect(out.LicenseArn).toMatch(/^arn:aws-cn:license-manager::/);
    expect(out.ProductCode).toBe(CHINA_PRODUCT);
  });
});

describe('BatchMeterUsage', () => {
  it('accepts a record by LicenseArn + CustomerAWSAccountId and stores it', async () => {
    const sub = subscribe(sim.services);
    const out = await meter([licenseRecord(sub)]);
    expect(out.Results).toHaveLength(1);
    expect(out.Results?.[0]?.Status).toBe('Success');
    expect(out.Results?.[0]?.MeteringRecordId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.UnprocessedRecords).toEqual([]);
    expect(out.Results?.[0]?.UsageRecord?.LicenseArn).toBe(sub.licenseArn);
    const stored = sim.services.marketplace.meteredRecords();
    expect(stored).toMatchObject([
      { dimension: 'usage_cost', quantity: 100, hour: hourAgo(sim.services, 1).toISOString() },
    ]);
  });

  it('accepts the legacy identity CustomerIdentifier + ProductCode', async () => {
    const sub = subscribe(sim.services);
    const out = await meter(
      [
        {
          Timestamp: hourAgo(sim.services, 2),
          Dimension: 'usage_cost',
          Quantity: 5,
          CustomerIdentifier: sub.customerIdentifier,
        },
      ],
      GLOBAL_PRODUCT,
    );
    expect(out.Results?.[0]?.Status).toBe('Success');
  });

  it('first write wins per (customer, dimension, hour): same quantity → Success with the same id, another → DuplicateRecord', async () => {
    const sub = subscribe(sim.services);
    const first = await meter([licenseRecord(sub)]);
    const id = first.Results?.[0]?.MeteringRecordId;
    // Another timestamp inside the same hour is the same (customer, dimension, hour).
    const again = await meter([
      licenseRecord(sub, { Timestamp: new Date(hourAgo(sim.services, 1).getTime() + 1_800_000) }),
    ]);
    expect(again.Results?.[0]).toMatchObject({ Status: 'Success', MeteringRecordId: id });
    const different = await meter([licenseRecord(sub, { Quantity: 101 })]);
    expect(different.Results?.[0]?.Status).toBe('DuplicateRecord');
    expect(different.Results?.[0]?.MeteringRecordId).toBeUndefined();
    // The legacy identity names the same customer.
    const legacy = await meter(
      [
        {
          Timestamp: hourAgo(sim.services, 1),
          Dimension: 'usage_cost',
          Quantity: 7,
          CustomerIdentifier: sub.customerIdentifier,
        },
      ],
      GLOBAL_PRODUCT,
    );
    expect(legacy.Results?.[0]?.Status).toBe('DuplicateRecord');
    expect(sim.services.marketplace.meteredRecords()).toHaveLength(1);
    // Other dimensions and hours are separate records.
    const other = await meter([
      licenseRecord(sub, { Dimension: 'workspaces' }),
      licenseRecord(sub, { Timestamp: hourAgo(sim.services, 2) }),
    ]);
    expect(other.Results?.map((r) => r.Status)).toEqual(['Success', 'Success']);
  });

  it('accepts at most 25 records per call', async () => {
    const sub = subscribe(sim.services);
    const records = Array.from({ length: 26 }, (_, i) =>
      licenseRecord(sub, { Timestamp: hourAgo(sim.services, i % 13) }),
    );
    const e = await awsError(meter(records));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toMatch(/less than or equal to 25/);
    const ok = await meter(
      records.slice(0, 25).map((r, i) => ({ ...r, Dimension: i % 2 ? 'workspaces' : 'usage_cost' })),
    );
    expect(ok.Results).toHaveLength(25);
    expect(sim.services.marketplace.meteredRecords()).toHaveLength(25);
  });

  it('refuses records outside the window with TimestampOutOfBoundsException, and stores nothing of the batch', async () => {
    const sub = subscribe(sim.services);
    const now = sim.services.clock.nowMs();
    const tooOld = new Date(Math.floor(now / 3_600_000) * 3_600_000 - 25 * 3_600_000);
    let e = await awsError(
      meter([licenseRecord(sub), licenseRecord(sub, { Timestamp: tooOld, Dimension: 'workspaces' })]),
    );
    expect(e.name).toBe('TimestampOutOfBoundsException');
    expect(sim.services.marketplace.meteredRecords()).toEqual([]);
    e = await awsError(meter([licenseRecord(sub, { Timestamp: new Date(now + 3_600_000) })]));
    expect(e.name).toBe('TimestampOutOfBoundsException');
    // 23 hours ago is inside the 24-hour window.
    expect(
      (await meter([licenseRecord(sub, { Timestamp: hourAgo(sim.services, 23) })])).Results?.[0]?.Status,
    ).toBe('Success');
  });

  it('month-end grace: the last hours of a month are accepted until 06:00 UTC on the 1st, not after', async () => {
    const sub = subscribe(sim.services);
    const lastHour = new Date(Date.UTC(2026, 10, 30, 23));
    const setNow = (iso: string) => {
      sim.services.clock.offsetMs = Date.parse(iso) - Date.now();
    };
    setNow('2026-12-01T05:59:00Z');
    expect((await meter([licenseRecord(sub, { Timestamp: lastHour })])).Results?.[0]?.Status).toBe('Success');
    setNow('2026-12-01T06:01:00Z');
    const e = await awsError(meter([licenseRecord(sub, { Timestamp: lastHour, Dimension: 'workspaces' })]));
    expect(e.name).toBe('TimestampOutOfBoundsException');
  });

  it('a product with a 6-hour window refuses a record 7 hours old', async () => {
    const custom = await startSimulator({
      products: [
        {
          productCode: 'old0000000000000000000001',
          partition: 'aws',
          title: 'Older product',
          fulfillmentUrl: 'http://127.0.0.1:9/fulfil',
          offerId: 'offer-old',
          dimensions: [{ name: 'usage_cost', description: 'cost' }],
          meteringWindowHours: 6,
          freeTrial: false,
          entitlements: [],
        },
      ],
    });
    try {
      const sub = custom.services.marketplace.subscribe('old0000000000000000000001', BUYER);
      const client = custom.metering();
      const record = (hours: number): UsageRecord => ({
        Timestamp: hourAgo(custom.services, hours),
        Dimension: 'usage_cost',
        Quantity: 1,
        LicenseArn: sub.licenseArn,
        CustomerAWSAccountId: BUYER,
      });
      expect(
        (await client.send(new BatchMeterUsageCommand({ UsageRecords: [record(5)] }))).Results?.[0]?.Status,
      ).toBe('Success');
      const e = await awsError(client.send(new BatchMeterUsageCommand({ UsageRecords: [record(7)] })));
      expect(e.name).toBe('TimestampOutOfBoundsException');
    } finally {
      await custom.close();
    }
  });

  it('answers CustomerNotSubscribed for hours after the cancellation, and accepts hours before it', async () => {
    const sub = subscribe(sim.services);
    sim.services.marketplace.cancel(sub.id);
    // unsubscribe-pending: the final records are still accepted.
    expect(
      (await meter([licenseRecord(sub, { Timestamp: hourAgo(sim.services, 3) })])).Results?.[0]?.Status,
    ).toBe('Success');
    sim.services.marketplace.completeCancellation(sub.id);
    sim.services.clock.offsetMs = 2 * 3_600_000;
    const out = await meter([
      licenseRecord(sub, { Timestamp: hourAgo(sim.services, 1) }),
      licenseRecord(sub, { Timestamp: hourAgo(sim.services, 4) }),
    ]);
    expect(out.Results?.map((r) => r.Status)).toEqual(['CustomerNotSubscribed', 'Success']);
    expect(out.Results?.[0]?.MeteringRecordId).toBeUndefined();
    // A resubscription bills again from the next hour on.
    sim.services.marketplace.resubscribe(sub.id);
    sim.services.clock.offsetMs = 4 * 3_600_000;
    const after = await meter([licenseRecord(sub, { Timestamp: hourAgo(sim.services, 1) })]);
    expect(after.Results?.[0]?.Status).toBe('Success');
  });

  it('answers request-level errors for unknown product, dimension, license and customer', async () => {
    const sub = subscribe(sim.services);
    const other = subscribe(sim.services, GLOBAL_PRODUCT, SECOND_BUYER);
    const cases: Array<[Promise<BatchMeterUsageCommandOutput>, string]> = [
      [meter([licenseRecord(sub)], 'nosuchproduct'), 'InvalidProductCodeException'],
      [meter([licenseRecord(sub, { Dimension: 'gigabytes' })]), 'InvalidUsageDimensionException'],
      [
        meter([licenseRecord(sub, { LicenseArn: 'arn:aws:license-manager::111122223333:license:l-0000' })]),
        'InvalidLicenseException',
      ],
      [
        meter([licenseRecord(sub, { CustomerAWSAccountId: SECOND_BUYER })]),
        'InvalidCustomerIdentifierException',
      ],
      [
        meter([licenseRecord(sub), licenseRecord(other, { LicenseArn: sub.licenseArn })]),
        'InvalidCustomerIdentifierException',
      ],
      [
        meter(
          [
            {
              Timestamp: hourAgo(sim.services),
              Dimension: 'usage_cost',
              Quantity: 1,
              CustomerIdentifier: 'NOSUCHCUST1',
            },
          ],
          GLOBAL_PRODUCT,
        ),
        'InvalidCustomerIdentifierException',
      ],
      [
        meter([{ Timestamp: hourAgo(sim.services), Dimension: 'usage_cost', Quantity: 1 }], GLOBAL_PRODUCT),
        'InvalidCustomerIdentifierException',
      ],
      [meter([licenseRecord(sub)], CHINA_PRODUCT), 'InvalidEndpointRegionException'],
    ];
    for (const [call, name] of cases) expect((await awsError(call)).name).toBe(name);
    expect(sim.services.marketplace.meteredRecords()).toEqual([]);
  });

  it('requires UsageAllocations to sum to the quantity, with valid tags', async () => {
    const sub = subscribe(sim.services);
    const tagged = (q: number, ws: string) => ({
      AllocatedUsageQuantity: q,
      Tags: [{ Key: 'workspace', Value: ws }],
    });
    const bad = await awsError(
      meter([licenseRecord(sub, { Quantity: 10, UsageAllocations: [tagged(3, 'ws-1'), tagged(6, 'ws-2')] })]),
    );
    expect(bad.name).toBe('InvalidUsageAllocationsException');
    const badTag = await awsError(
      meter([
        licenseRecord(sub, {
          Quantity: 1,
          UsageAllocations: [{ AllocatedUsageQuantity: 1, Tags: [{ Key: 'a', Value: '' }] }],
        }),
      ]),
    );
    expect(badTag.name).toBe('InvalidTagException');
    const ok = await meter([
      licenseRecord(sub, { Quantity: 10, UsageAllocations: [tagged(4, 'ws-1'), tagged(6, 'ws-2')] }),
    ]);
    expect(ok.Results?.[0]?.Status).toBe('Success');
    expect(sim.services.marketplace.meteredRecords()[0]?.allocations).toHaveLength(2);
  });

  it('meters the China product at cn-northwest-1', async () => {
    const sub = subscribe(sim.services, CHINA_PRODUCT);
    const out = await meter([licenseRecord(sub)], CHINA_PRODUCT, 'cn-northwest-1');
    expect(out.Results?.[0]?.Status).toBe('Success');
    // The China license is unknown to the global product.
    expect((await awsError(meter([licenseRecord(sub)], GLOBAL_PRODUCT))).name).toBe(
      'InvalidLicenseException',
    );
  });
});

describe('MeterUsage (AMI and container products)', () => {
  it('meters for the calling account; same quantity → same id, another → DuplicateRequestException', async () => {
    subscribe(sim.services);
    const asBuyer = new MarketplaceMeteringClient({
      region: 'us-east-1',
      endpoint: sim.url,
      credentials: { accessKeyId: BUYER, secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      const input = {
        ProductCode: GLOBAL_PRODUCT,
        Timestamp: new Date(sim.services.clock.nowMs() - 60_000),
        UsageDimension: 'usage_cost',
        UsageQuantity: 3,
      };
      const first = await asBuyer.send(new MeterUsageCommand(input));
      expect(first.MeteringRecordId).toMatch(/^[0-9a-f-]{36}$/);
      expect((await asBuyer.send(new MeterUsageCommand(input))).MeteringRecordId).toBe(
        first.MeteringRecordId,
      );
      expect((await awsError(asBuyer.send(new MeterUsageCommand({ ...input, UsageQuantity: 4 })))).name).toBe(
        'DuplicateRequestException',
      );
      const old = { ...input, Timestamp: new Date(sim.services.clock.nowMs() - 2 * 3_600_000) };
      expect((await awsError(asBuyer.send(new MeterUsageCommand(old)))).name).toBe(
        'TimestampOutOfBoundsException',
      );
      // Another account has no subscription.
      expect((await awsError(sim.metering().send(new MeterUsageCommand(input)))).name).toBe(
        'CustomerNotEntitledException',
      );
    } finally {
      asBuyer.destroy();
    }
  });
});

describe('the AWS JSON 1.1 protocol itself', () => {
  const post = (target: string, body: string) =>
    fetch(sim.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    });

  it('answers malformed JSON, unknown operations and entitlement errors in the real error shape', async () => {
    const bad = await post('AWSMPMeteringService.BatchMeterUsage', '{not json');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { __type: string }).__type).toBe(
      'com.amazon.coral.service#SerializationException',
    );
    const unknown = await post('AWSMPMeteringService.DeleteEverything', '{}');
    expect(((await unknown.json()) as { __type: string }).__type).toBe(
      'com.amazon.coral.service#UnknownOperationException',
    );
    const entitlement = await post('AWSMPEntitlementService.GetEntitlements', '{"ProductCode":"nope"}');
    expect(entitlement.status).toBe(400);
    expect(entitlement.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await entitlement.json()).toEqual({
      __type: 'com.amazonaws.marketplaceentitlementservice#InvalidParameterException',
      message: 'Product code nope is not valid',
    });
  });
});
