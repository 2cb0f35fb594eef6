import { type AwsMarketplaceAdapters, createAwsMarketplaceAdapters } from '@billing-center/aws-marketplace';
import { MeteringRecord } from '@billing-center/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BUYER,
  CHINA_PRODUCT,
  GLOBAL_PRODUCT,
  hourAgo,
  type RunningSimulator,
  startSimulator,
  subscribe,
} from './helpers.js';

// The outbound adapters of packages/aws-marketplace against the simulator over HTTP: the proof that the two
// speak the same protocol. (A package may not import an app, so this test lives here.)
let sim: RunningSimulator;
let adapters: AwsMarketplaceAdapters;
beforeAll(async () => {
  sim = await startSimulator({ unsubscribeDelayMs: 60_000 });
  const endpoint = {
    meteringEndpoint: sim.url,
    entitlementEndpoint: sim.url,
    staticCredentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  };
  adapters = createAwsMarketplaceAdapters({
    partitions: { aws: endpoint, 'aws-cn': endpoint },
    metering: { callsPerSecond: null, baseDelayMs: 1, maxDelayMs: 5 },
  });
});
afterAll(async () => {
  adapters.close();
  await sim.close();
});
beforeEach(() => {
  sim.services.reset();
});

let n = 0;
function record(
  sub: { licenseArn: string; buyerAccountId: string; productCode: string },
  hoursAgo: number,
  quantity: number,
  dimension = 'usage_cost',
) {
  n += 1;
  const hour = hourAgo(sim.services, hoursAgo);
  return new MeteringRecord({
    id: `rec-${n}`,
    cloudAccountId: 'ca-1',
    partition: 'aws',
    productCode: sub.productCode,
    customerIdentifier: null,
    customerAwsAccountId: sub.buyerAccountId,
    licenseArn: sub.licenseArn,
    dimension,
    hour,
    quantity,
    allocations: [
      { workspaceId: 'ws-1', quantity: quantity - Math.floor(quantity / 2) },
      { workspaceId: 'ws-2', quantity: Math.floor(quantity / 2) },
    ],
    status: 'sealed',
    isFinal: false,
    attempts: 0,
    unansweredSends: 0,
    lastError: null,
    awsMeteringRecordId: null,
    sealedAt: hour,
    resolvedAt: null,
    deadline: new Date(hour.getTime() + 24 * 3_600_000),
    leaseOwner: null,
    leaseUntil: null,
    nextAttemptAt: null,
    windowAlertedAt: null,
    usageAfterHour: null,
    usageAfterSeq: 0,
    usageThroughSeq: 0,
    version: 1,
  });
}

describe('packages/aws-marketplace adapters against the simulator', () => {
  it('resolves a token from "Set up your account"; refuses a forged one', async () => {
    const sub = subscribe(sim.services);
    const token = sim.services.marketplace.issueToken(sub.id);
    await expect(adapters.customerResolver.resolve('aws', token)).resolves.toMatchObject({
      productCode: GLOBAL_PRODUCT,
      customerAwsAccountId: BUYER,
      licenseArn: sub.licenseArn,
      customerIdentifier: sub.customerIdentifier,
    });
    await expect(adapters.customerResolver.resolve('aws', 'forged')).rejects.toMatchObject({
      code: 'marketplace-token-invalid',
    });
    const china = subscribe(sim.services, CHINA_PRODUCT);
    await expect(
      adapters.customerResolver.resolve('aws-cn', sim.services.marketplace.issueToken(china.id)),
    ).resolves.toMatchObject({
      productCode: CHINA_PRODUCT,
    });
  });

  it('meters 40 records in batches of ≤ 25 through throttling, a lost response and a bad record', async () => {
    const sub = subscribe(sim.services);
    const records = Array.from({ length: 20 }, (_, i) => [
      record(sub, i, 10 + i),
      record(sub, i, 5, 'workspaces'),
    ]).flat();
    sim.services.faults.update({ throttleNext: 1, loseResponseNext: 1 });
    const bad = record(sub, 1, 3, 'gigabytes');
    const results = await adapters.meteringGateway.submit([...records, bad]);
    const byId = new Map(results.map((r) => [r.recordId, r]));
    expect(records.every((r) => byId.get(r.id)?.outcome === 'accepted')).toBe(true);
    expect(byId.get(bad.id)).toMatchObject({ outcome: 'rejected' });
    const stored = sim.services.marketplace.meteredRecords();
    expect(stored).toHaveLength(40);
    expect(stored.every((r) => r.allocations.length === 2)).toBe(true);
    const calls = sim.services.calls.query({ target: 'AWSMPMeteringService.BatchMeterUsage' });
    expect(calls.every((c) => (c.recordCount ?? 0) <= 25)).toBe(true);
    const outcomes = calls.map((c) => c.outcome);
    expect(outcomes).toContain('fault:throttle');
    expect(outcomes).toContain('fault:lose-response');
    expect(outcomes).toContain('error:InvalidUsageDimensionException');

    // A retry of a sealed record is accepted with AWS's first id; another quantity is a duplicate.
    const first = stored.find(
      (r) => r.dimension === 'usage_cost' && r.hour === hourAgo(sim.services, 3).toISOString(),
    )!;
    const [same] = await adapters.meteringGateway.submit([record(sub, 3, first.quantity)]);
    expect(same).toMatchObject({ outcome: 'accepted', awsMeteringRecordId: first.meteringRecordId });
    const [other] = await adapters.meteringGateway.submit([record(sub, 3, first.quantity + 1)]);
    expect(other?.outcome).toBe('duplicate');
  });

  it('a cancelled customer is not subscribed for the hours after unsubscribe-success', async () => {
    const sub = subscribe(sim.services);
    sim.services.marketplace.cancel(sub.id);
    sim.services.marketplace.completeCancellation(sub.id);
    sim.services.clock.offsetMs = 2 * 3_600_000;
    const [after, before] = await adapters.meteringGateway.submit([record(sub, 1, 4), record(sub, 5, 4)]);
    expect(after?.outcome).toBe('customer-not-subscribed');
    expect(before?.outcome).toBe('accepted');
  });

  it('reads entitlements', async () => {
    const sub = subscribe(sim.services);
    sim.services.marketplace.setEntitlements(sub.id, [
      { dimension: 'workspaces', value: { IntegerValue: 3 }, expirationDate: null },
    ]);
    const got = await adapters.entitlementReader.read({
      partition: 'aws',
      productCode: GLOBAL_PRODUCT,
      licenseArn: sub.licenseArn,
      customerAwsAccountId: BUYER,
      customerIdentifier: sub.customerIdentifier,
    });
    expect(got).toEqual([{ dimension: 'workspaces', value: 3, expiresAt: null }]);
  });
});
