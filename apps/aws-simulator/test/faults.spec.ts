import {
  BatchMeterUsageCommand,
  MarketplaceMeteringClient,
  ResolveCustomerCommand,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hourAgo, type RunningSimulator, startSimulator, subscribe } from './helpers.js';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.services.reset();
});

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sim.url}/_admin${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as never };
};

function record(
  sub: { licenseArn: string; buyerAccountId: string },
  quantity = 10,
  hoursAgo = 1,
): UsageRecord {
  return {
    Timestamp: hourAgo(sim.services, hoursAgo),
    Dimension: 'usage_cost',
    Quantity: quantity,
    LicenseArn: sub.licenseArn,
    CustomerAWSAccountId: sub.buyerAccountId,
  };
}

describe('fault injection through /_admin/faults', () => {
  it('throttleNext answers ThrottlingException, serverErrorNext HTTP 500, and nothing is applied', async () => {
    const sub = subscribe(sim.services);
    await admin('POST', '/faults', { throttleNext: 1, serverErrorNext: 1 });
    const client = sim.metering();
    const send = () => client.send(new BatchMeterUsageCommand({ UsageRecords: [record(sub)] }));
    await expect(send()).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(send()).rejects.toMatchObject({
      name: 'InternalServiceErrorException',
      $metadata: { httpStatusCode: 500 },
    });
    expect(sim.services.marketplace.meteredRecords()).toEqual([]);
    expect((await send()).Results?.[0]?.Status).toBe('Success');
    expect(
      sim.services.calls.query({ target: 'AWSMPMeteringService.BatchMeterUsage' }).map((c) => c.outcome),
    ).toEqual(['fault:throttle', 'fault:server-error', 'ok']);
  });

  it("the SDK's own retries ride over throttling", async () => {
    const sub = subscribe(sim.services);
    sim.services.faults.update({ throttleNext: 2 });
    const out = await sim
      .metering('us-east-1', 3)
      .send(new BatchMeterUsageCommand({ UsageRecords: [record(sub)] }));
    expect(out.Results?.[0]?.Status).toBe('Success');
    expect(sim.services.calls.query().length).toBe(3);
  });

  it('a lost response is applied first: the retry answers Success with the same MeteringRecordId', async () => {
    const sub = subscribe(sim.services);
    await admin('POST', '/faults', { loseResponseNext: 1 });
    await expect(
      sim.metering().send(new BatchMeterUsageCommand({ UsageRecords: [record(sub, 42)] })),
    ).rejects.toBeTruthy();
    const stored = sim.services.marketplace.meteredRecords();
    expect(stored).toHaveLength(1);
    const retry = await sim.metering().send(new BatchMeterUsageCommand({ UsageRecords: [record(sub, 42)] }));
    expect(retry.Results?.[0]).toMatchObject({
      Status: 'Success',
      MeteringRecordId: stored[0]?.meteringRecordId,
    });
    expect(sim.services.calls.query().map((c) => c.outcome)).toEqual(['fault:lose-response', 'ok']);
  });

  it('unprocessedNextRecords returns records in UnprocessedRecords without storing them', async () => {
    const sub = subscribe(sim.services);
    sim.services.faults.update({ unprocessedNextRecords: 1 });
    const out = await sim
      .metering()
      .send(new BatchMeterUsageCommand({ UsageRecords: [record(sub, 1, 1), record(sub, 2, 2)] }));
    expect(out.UnprocessedRecords).toHaveLength(1);
    expect(out.UnprocessedRecords?.[0]?.Quantity).toBe(1);
    expect(out.Results?.map((r) => r.Status)).toEqual(['Success']);
    expect(sim.services.calls.query()[0]).toMatchObject({
      recordCount: 2,
      statuses: { Success: 1, DuplicateRecord: 0, CustomerNotSubscribed: 0, Unprocessed: 1 },
    });
  });

  it('targets limit faults to some calls; a seeded rate is reproducible', async () => {
    const sub = subscribe(sim.services);
    sim.services.faults.update({ throttleNext: 1, targets: ['AWSMPMeteringService.BatchMeterUsage'] });
    const token = sim.services.marketplace.issueToken(sub.id);
    await sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    await expect(
      sim.metering().send(new BatchMeterUsageCommand({ UsageRecords: [record(sub)] })),
    ).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    const draw = (seed: number) => {
      sim.services.faults.update({ seed, throttleRate: 0.5, targets: [] });
      return Array.from({ length: 20 }, () => sim.services.faults.drawCallFault('x'));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7).filter(Boolean).length).toBeGreaterThan(0);
  });

  it('callsPerSecond limits each caller (access key and region) like AWS, answering ThrottlingException', async () => {
    const sub = subscribe(sim.services);
    await admin('POST', '/faults', { callsPerSecond: 2 });
    const send = (client: MarketplaceMeteringClient) =>
      client.send(new BatchMeterUsageCommand({ UsageRecords: [record(sub)] })).then(
        () => 'ok',
        (e: Error) => e.name,
      );
    const client = sim.metering();
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(await send(client));
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes.slice(2)).toContain('ThrottlingException');
    expect(sim.services.calls.query({ outcome: 'fault:rate-limit' }).length).toBeGreaterThan(0);
    const other = new MarketplaceMeteringClient({
      region: 'us-east-1',
      endpoint: sim.url,
      credentials: { accessKeyId: 'ANOTHERCALLER', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      expect(await send(other)).toBe('ok');
    } finally {
      other.destroy();
    }
  });

  it('refuses unknown or out-of-range settings', async () => {
    expect((await admin('POST', '/faults', { throttleRate: 2 })).status).toBe(400);
    expect((await admin('POST', '/faults', { trottleNext: 1 })).status).toBe(400);
    expect((await admin('GET', '/faults')).json).toMatchObject({ throttleRate: 0, throttleNext: 0 });
  });
});

describe('admin inspection and control', () => {
  it('the clock offset moves the metering window', async () => {
    const sub = subscribe(sim.services);
    const old = hourAgo(sim.services, 30);
    const client = sim.metering();
    await expect(
      client.send(new BatchMeterUsageCommand({ UsageRecords: [{ ...record(sub), Timestamp: old }] })),
    ).rejects.toMatchObject({ name: 'TimestampOutOfBoundsException' });
    const { json } = await admin('POST', '/clock', {
      now: new Date(old.getTime() + 3_600_000).toISOString(),
    });
    expect((json as { offsetMs: number }).offsetMs).toBeLessThan(-28 * 3_600_000);
    const out = await client.send(
      new BatchMeterUsageCommand({ UsageRecords: [{ ...record(sub), Timestamp: old }] }),
    );
    expect(out.Results?.[0]?.Status).toBe('Success');
  });

  it('the call log is queryable by target and outcome; metered records are listed; reset clears everything', async () => {
    const sub = subscribe(sim.services);
    const client = sim.metering();
    await client.send(new BatchMeterUsageCommand({ UsageRecords: [record(sub, 5, 1), record(sub, 6, 2)] }));
    await expect(client.send(new ResolveCustomerCommand({ RegistrationToken: 'nope' }))).rejects.toBeTruthy();
    const calls = (await admin('GET', '/calls')).json as Array<{
      target: string;
      outcome: string;
      recordCount: number | null;
      region: string;
    }>;
    expect(calls.map((c) => [c.target, c.outcome, c.recordCount, c.region])).toEqual([
      ['AWSMPMeteringService.BatchMeterUsage', 'ok', 2, 'us-east-1'],
      ['AWSMPMeteringService.ResolveCustomer', 'error:InvalidTokenException', null, 'us-east-1'],
    ]);
    expect((await admin('GET', '/calls?outcome=error')).json).toHaveLength(1);
    expect((await admin('GET', '/calls?target=AWSMPMeteringService.BatchMeterUsage')).json).toHaveLength(1);
    const records = (await admin('GET', `/metering-records?customer=${sub.licenseArn}`)).json as Array<{
      quantity: number;
    }>;
    expect(records.map((r) => r.quantity)).toEqual([6, 5]);
    const state = (await admin('GET', '/state')).json as { subscriptions: unknown[]; topics: unknown[] };
    expect(state.subscriptions).toHaveLength(1);
    expect(state.topics).toHaveLength(4);
    expect((await admin('POST', '/reset')).status).toBe(200);
    expect((await admin('GET', '/metering-records')).json).toEqual([]);
    expect((await admin('GET', '/calls')).json).toEqual([]);
    expect((await admin('GET', '/subscriptions')).json).toEqual([]);
  });

  it('subscriptions, tokens and cancellations through the admin API', async () => {
    const created = (
      await admin('POST', '/subscriptions', {
        productCode: 'bcglobal0000000000000001',
        buyerAccountId: '210987654321',
      })
    ).json as { id: string; customerIdentifier: string };
    const { token } = (await admin('POST', `/subscriptions/${created.id}/tokens`)).json as { token: string };
    const resolved = await sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    expect(resolved.CustomerIdentifier).toBe(created.customerIdentifier);
    expect((await admin('POST', '/tokens/expire', { token })).status).toBe(200);
    await expect(
      sim.metering().send(new ResolveCustomerCommand({ RegistrationToken: token })),
    ).rejects.toMatchObject({
      name: 'ExpiredTokenException',
    });
    expect(
      ((await admin('POST', `/subscriptions/${created.id}/cancel`)).json as { state: string }).state,
    ).toBe('unsubscribe-pending');
    expect(
      ((await admin('POST', `/subscriptions/${created.id}/resubscribe`)).json as { state: string }).state,
    ).toBe('active');
    expect((await admin('POST', '/subscriptions/sub-nope/cancel')).status).toBe(404);
  });
});
