// The adapters with the real AWS SDK over HTTP against the local simulator (apps/aws-simulator), through
// the endpoint override: the same path the product takes to AWS, down to SigV4 and the JSON protocol.
import type { MeteringRecord } from '@billing-center/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsMarketplaceAdapters,
  createAwsMarketplaceAdapters,
} from '../src/outbound/aws-marketplace-adapters.js';
import { meteringRecord } from './support/metering-fixtures.js';
import {
  SIM_BUYERS,
  SIM_CHINA_PRODUCT,
  SIM_CREDENTIALS,
  SIM_GLOBAL_PRODUCT,
  type SimSubscription,
  type SimulatorProcess,
  simulatorAvailable,
  startSimulatorProcess,
} from './support/simulator-process.js';

const HOUR = 3_600_000;

describe.skipIf(!simulatorAvailable())('adapters against the AWS Marketplace simulator over HTTP', () => {
  let sim: SimulatorProcess;
  let adapters: AwsMarketplaceAdapters;
  let global: SimSubscription;
  let china: SimSubscription;
  const lastHour = () => new Date(Math.floor(Date.now() / HOUR) * HOUR - HOUR);

  beforeAll(async () => {
    sim = await startSimulatorProcess();
    const endpoints = {
      meteringEndpoint: sim.url,
      entitlementEndpoint: sim.url,
      staticCredentials: SIM_CREDENTIALS,
    };
    adapters = createAwsMarketplaceAdapters({
      partitions: { aws: endpoints, 'aws-cn': endpoints },
      metering: { callsPerSecond: null, baseDelayMs: 1, maxDelayMs: 10 },
      sdkMaxAttempts: 1,
    });
    global = await sim.admin('POST', '/_admin/subscriptions', {
      productCode: SIM_GLOBAL_PRODUCT,
      buyerAccountId: SIM_BUYERS[0],
    });
    china = await sim.admin('POST', '/_admin/subscriptions', {
      productCode: SIM_CHINA_PRODUCT,
      buyerAccountId: SIM_BUYERS[0],
    });
  }, 150_000);

  afterAll(async () => {
    adapters?.close();
    await sim?.close();
  });

  const faults = (settings: Record<string, unknown>) => sim.admin('POST', '/_admin/faults', settings);
  const clearFaults = () => sim.admin('DELETE', '/_admin/faults');
  const meteringCalls = async () =>
    (await sim.admin<unknown[]>('GET', '/_admin/calls?target=AWSMPMeteringService.BatchMeterUsage')).length;

  const byLicense = (sub: SimSubscription, n: number, hour = lastHour(), dimension = 'usage_cost') =>
    Array.from({ length: n }, (_, i) =>
      meteringRecord({
        partition: sub.partition,
        productCode: sub.productCode,
        licenseArn: sub.licenseArn,
        customerAwsAccountId: sub.buyerAccountId,
        customerIdentifier: null,
        dimension,
        hour: new Date(hour.getTime() - i * HOUR),
        quantity: 100 + i,
        allocations: [
          { workspaceId: `ws-${i}`, quantity: 60 + i },
          { workspaceId: null, quantity: 40 },
        ],
      }),
    );

  it('resolves a registration token to the buyer, in both partitions', async () => {
    for (const sub of [global, china]) {
      const { token } = await sim.admin<{ token: string }>('POST', `/_admin/subscriptions/${sub.id}/tokens`);
      await expect(adapters.customerResolver.resolve(sub.partition, token)).resolves.toEqual({
        productCode: sub.productCode,
        customerIdentifier: sub.customerIdentifier,
        customerAwsAccountId: sub.buyerAccountId,
        licenseArn: sub.licenseArn,
      });
    }
  });

  it('maps an invalid, an expired and a throttled token to their domain errors', async () => {
    await expect(adapters.customerResolver.resolve('aws', 'not-a-token')).rejects.toMatchObject({
      code: 'marketplace-token-invalid',
    });
    const { token } = await sim.admin<{ token: string }>('POST', `/_admin/subscriptions/${global.id}/tokens`);
    await sim.admin('POST', '/_admin/tokens/expire', { token });
    await expect(adapters.customerResolver.resolve('aws', token)).rejects.toMatchObject({
      code: 'marketplace-token-expired',
    });
    await faults({ throttleNext: 1 });
    const { token: fresh } = await sim.admin<{ token: string }>(
      'POST',
      `/_admin/subscriptions/${global.id}/tokens`,
    );
    await expect(adapters.customerResolver.resolve('aws', fresh)).rejects.toMatchObject({
      code: 'marketplace-throttled',
    });
    await clearFaults();
  });

  it('meters 20 hours by license in one call; an identical resend is accepted, a changed one is a duplicate', async () => {
    const before = await meteringCalls();
    const rs = byLicense(global, 20);
    const results = await adapters.meteringGateway.submit(rs);
    expect(results.map((r) => r.outcome)).toEqual(rs.map(() => 'accepted'));
    expect((await meteringCalls()) - before).toBe(1);
    const again = await adapters.meteringGateway.submit(rs);
    expect(again.map((r) => r.outcome)).toEqual(rs.map(() => 'accepted'));
    const changed = byLicense(global, 1).map((r) => Object.assign(r, { quantity: 999, allocations: [] }));
    expect((await adapters.meteringGateway.submit(changed))[0]?.outcome).toBe('duplicate');
  });

  it('meters the China product through the China partition', async () => {
    const results = await adapters.meteringGateway.submit(byLicense(china, 3, lastHour(), 'workspaces'));
    expect(results.map((r) => r.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
  });

  it('isolates a record with an unknown dimension; the others are accepted', async () => {
    const rs = byLicense(global, 10, lastHour(), 'workspaces');
    const bad = rs[6] as MeteringRecord;
    bad.dimension = 'no_such_dimension';
    const results = await adapters.meteringGateway.submit(rs);
    expect(results.filter((r) => r.outcome === 'rejected')).toEqual([
      { recordId: bad.id, outcome: 'rejected', error: 'InvalidUsageDimensionException' },
    ]);
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(9);
  });

  it('rides out throttling, 5xx, a lost response and unprocessed records', async () => {
    const sub = await sim.admin<SimSubscription>('POST', '/_admin/subscriptions', {
      productCode: SIM_GLOBAL_PRODUCT,
      buyerAccountId: SIM_BUYERS[1],
    });
    await faults({
      throttleNext: 1,
      serverErrorNext: 1,
      loseResponseNext: 1,
      unprocessedNextRecords: 3,
      targets: ['AWSMPMeteringService.BatchMeterUsage'],
    });
    const results = await adapters.meteringGateway.submit(byLicense(sub, 12));
    expect(results.map((r) => r.outcome)).toEqual(Array(12).fill('accepted'));
    await clearFaults();
  });

  it('answers unknown when every attempt loses its response', async () => {
    await faults({ loseResponseRate: 1, targets: ['AWSMPMeteringService.BatchMeterUsage'] });
    const results = await adapters.meteringGateway.submit(byLicense(global, 2, lastHour(), 'workspaces'));
    expect(results.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
    await clearFaults();
  });

  it('reads the entitlements AWS holds for the license', async () => {
    await sim.admin('PUT', `/_admin/subscriptions/${global.id}/entitlements`, [
      { dimension: 'seats', value: { IntegerValue: 25 }, expirationDate: '2027-06-01T00:00:00.000Z' },
      { dimension: 'tier', value: { StringValue: 'gold' } },
    ]);
    const found = await adapters.entitlementReader.read({
      partition: 'aws',
      productCode: global.productCode,
      licenseArn: global.licenseArn,
      customerAwsAccountId: global.buyerAccountId,
    });
    expect(found).toEqual([
      { dimension: 'seats', value: 25, expiresAt: new Date('2027-06-01T00:00:00.000Z') },
      { dimension: 'tier', value: null, expiresAt: null },
    ]);
  });
});
