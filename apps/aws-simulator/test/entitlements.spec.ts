import {
  GetEntitlementsCommand,
  type GetEntitlementsCommandOutput,
  paginateGetEntitlements,
} from '@aws-sdk/client-marketplace-entitlement-service';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CHINA_PRODUCT,
  GLOBAL_PRODUCT,
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

function entitle(subscriptionId: string, n: number) {
  sim.services.marketplace.setEntitlements(
    subscriptionId,
    Array.from({ length: n }, (_, i) => ({
      dimension: `dim_${i.toString().padStart(2, '0')}`,
      value: { IntegerValue: i },
      expirationDate: '2027-01-01T00:00:00.000Z',
    })),
  );
}

describe('GetEntitlements', () => {
  it('pages through every entitlement of the product with NextToken', async () => {
    const a = subscribe(sim.services);
    const b = subscribe(sim.services, GLOBAL_PRODUCT, SECOND_BUYER);
    entitle(a.id, 30);
    entitle(b.id, 7);
    const client = sim.entitlements();
    const first = await client.send(new GetEntitlementsCommand({ ProductCode: GLOBAL_PRODUCT }));
    expect(first.Entitlements).toHaveLength(25);
    expect(first.NextToken).toBeTruthy();
    const pages: GetEntitlementsCommandOutput[] = [];
    for await (const page of paginateGetEntitlements(
      { client, pageSize: 10 },
      { ProductCode: GLOBAL_PRODUCT },
    )) {
      pages.push(page);
    }
    expect(pages.map((p) => p.Entitlements?.length)).toEqual([10, 10, 10, 7]);
    const all = pages.flatMap((p) => p.Entitlements ?? []);
    expect(new Set(all.map((e) => `${e.CustomerIdentifier}/${e.Dimension}`)).size).toBe(37);
    expect(all[0]).toEqual({
      ProductCode: GLOBAL_PRODUCT,
      Dimension: 'dim_00',
      CustomerIdentifier: a.customerIdentifier,
      CustomerAWSAccountId: a.buyerAccountId,
      LicenseArn: a.licenseArn,
      Value: { IntegerValue: 0 },
      ExpirationDate: new Date('2027-01-01T00:00:00.000Z'),
    });
  });

  it('filters by customer identifier, AWS account, license and dimension', async () => {
    const a = subscribe(sim.services);
    const b = subscribe(sim.services, GLOBAL_PRODUCT, SECOND_BUYER);
    entitle(a.id, 3);
    entitle(b.id, 3);
    const client = sim.entitlements();
    const get = async (Filter: Record<string, string[]>) =>
      (await client.send(new GetEntitlementsCommand({ ProductCode: GLOBAL_PRODUCT, Filter }))).Entitlements ??
      [];
    expect(
      (await get({ CUSTOMER_IDENTIFIER: [a.customerIdentifier] })).map((e) => e.CustomerIdentifier),
    ).toEqual(Array(3).fill(a.customerIdentifier));
    expect(await get({ CUSTOMER_AWS_ACCOUNT_ID: [SECOND_BUYER] })).toHaveLength(3);
    expect(await get({ LICENSE_ARN: [b.licenseArn] })).toHaveLength(3);
    expect(await get({ DIMENSION: ['dim_01'] })).toHaveLength(2);
    expect(await get({ CUSTOMER_IDENTIFIER: [a.customerIdentifier], DIMENSION: ['dim_02'] })).toHaveLength(1);
  });

  it('drops the entitlements of a cancelled subscription', async () => {
    const a = subscribe(sim.services);
    entitle(a.id, 2);
    sim.services.marketplace.cancel(a.id);
    const client = sim.entitlements();
    expect(
      (await client.send(new GetEntitlementsCommand({ ProductCode: GLOBAL_PRODUCT }))).Entitlements,
    ).toHaveLength(2);
    sim.services.marketplace.completeCancellation(a.id);
    expect(
      (await client.send(new GetEntitlementsCommand({ ProductCode: GLOBAL_PRODUCT }))).Entitlements,
    ).toEqual([]);
  });

  it('refuses an unknown product, a product of another partition, a bad filter and a forged NextToken', async () => {
    const client = sim.entitlements();
    const fails = (input: ConstructorParameters<typeof GetEntitlementsCommand>[0]) =>
      expect(client.send(new GetEntitlementsCommand(input))).rejects.toMatchObject({
        name: 'InvalidParameterException',
      });
    await fails({ ProductCode: 'nope' });
    await fails({ ProductCode: CHINA_PRODUCT });
    await fails({ ProductCode: GLOBAL_PRODUCT, NextToken: 'forged' });
    await fails({ ProductCode: GLOBAL_PRODUCT, MaxResults: 26 });
    // The China product answers at the China region.
    const china = await sim
      .entitlements('cn-northwest-1')
      .send(new GetEntitlementsCommand({ ProductCode: CHINA_PRODUCT }));
    expect(china.Entitlements).toEqual([]);
  });
});
