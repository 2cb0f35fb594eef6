import {
  BatchMeterUsageCommand,
  type BatchMeterUsageCommandInput,
  InternalServiceErrorException,
  InvalidProductCodeException,
  InvalidUsageDimensionException,
  ThrottlingException,
  TimestampOutOfBoundsException,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import type { MeteringResult } from '@billing-center/core';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsMeteringGateway, type MeteringEvent } from '../src/outbound/metering-gateway.js';
import {
  acceptAll,
  FakeTimer,
  HOUR0,
  LICENSE,
  lostResponse,
  meteringClient,
  meteringRecord,
  records,
} from './support/metering-fixtures.js';

const meta = { $metadata: {} };
const client = meteringClient();
const cnClient = meteringClient('cn-northwest-1');
const aws = mockClient(client);
const cn = mockClient(cnClient);

afterEach(() => {
  aws.reset();
  cn.reset();
});

function gateway(options: ConstructorParameters<typeof AwsMeteringGateway>[1] = {}) {
  const timer = new FakeTimer();
  const gw = new AwsMeteringGateway(
    { aws: { client, limiterKey: 'aws/us-east-1' }, 'aws-cn': { client: cnClient, limiterKey: 'aws-cn/cn' } },
    { timer, random: () => 0.5, callsPerSecond: null, concurrency: 1, ...options },
  );
  return { gw, timer };
}

function inputs(mock: typeof aws): BatchMeterUsageCommandInput[] {
  return mock.commandCalls(BatchMeterUsageCommand).map((c) => c.args[0].input);
}

const byId = (results: MeteringResult[]) => new Map(results.map((r) => [r.recordId, r]));

describe('AwsMeteringGateway batching', () => {
  it('sends 60 records of one product in 3 calls of 25, 25 and 10, one result per record', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const rs = records(60);
    const results = await gateway().gw.submit(rs);
    expect(inputs(aws).map((i) => i.UsageRecords?.length)).toEqual([25, 25, 10]);
    expect(results.map((r) => r.recordId)).toEqual(rs.map((r) => r.id));
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
    expect(results[0]).toEqual({
      recordId: rs[0]?.id,
      outcome: 'accepted',
      awsMeteringRecordId: `mrid-users-${rs[0]?.quantity}`,
    });
  });

  it('sends each product in its own calls, naming the product in legacy calls', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const rs = [...records(3, { productCode: 'prod-a' }), ...records(2, { productCode: 'prod-b' })].sort(
      () => 0.5 - Math.random(),
    );
    await gateway().gw.submit(rs);
    const calls = inputs(aws);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => [c.ProductCode, c.UsageRecords?.length]).sort()).toEqual([
      ['prod-a', 3],
      ['prod-b', 2],
    ]);
  });

  it('sends each partition to its own client', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    cn.on(BatchMeterUsageCommand).callsFake(acceptAll);
    await gateway().gw.submit([...records(2), ...records(3, { partition: 'aws-cn' })]);
    expect(inputs(aws).map((i) => i.UsageRecords?.length)).toEqual([2]);
    expect(inputs(cn).map((i) => i.UsageRecords?.length)).toEqual([3]);
  });

  it('builds each UsageRecord: identity, hour, dimension, quantity and workspace allocations', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const licensed = meteringRecord({
      licenseArn: LICENSE,
      customerAwsAccountId: '845735284135',
      customerIdentifier: 'legacy-id-ignored',
      dimension: 'cost',
      quantity: 10,
      allocations: [
        { workspaceId: 'ws-1', quantity: 7 },
        { workspaceId: null, quantity: 3 },
      ],
    });
    const legacy = meteringRecord({ customerIdentifier: 'X01EXAMPLEX', quantity: 0 });
    await gateway().gw.submit([licensed, legacy]);
    const [byLicense, byCustomer] = inputs(aws);
    // Current products: no ProductCode on the request (AWS would bill twice), the license names the product.
    expect(byLicense).toEqual({
      UsageRecords: [
        {
          Timestamp: HOUR0,
          Dimension: 'cost',
          Quantity: 10,
          LicenseArn: LICENSE,
          CustomerAWSAccountId: '845735284135',
          UsageAllocations: [
            { AllocatedUsageQuantity: 7, Tags: [{ Key: 'workspace', Value: 'ws-1' }] },
            { AllocatedUsageQuantity: 3, Tags: [{ Key: 'workspace', Value: 'other' }] },
          ],
        },
      ],
    });
    expect(byCustomer).toEqual({
      ProductCode: 'prod-a',
      UsageRecords: [
        { Timestamp: HOUR0, Dimension: 'users', Quantity: 0, CustomerIdentifier: 'X01EXAMPLEX' },
      ],
    });
  });

  it('names a buyer known only by AWS account with CustomerAWSAccountId and the ProductCode', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    await gateway().gw.submit([
      meteringRecord({ customerIdentifier: null, customerAwsAccountId: '845735284135' }),
    ]);
    expect(inputs(aws)[0]).toMatchObject({
      ProductCode: 'prod-a',
      UsageRecords: [{ CustomerAWSAccountId: '845735284135' }],
    });
    expect(inputs(aws)[0]?.UsageRecords?.[0]).not.toHaveProperty('CustomerIdentifier');
  });

  it('completes a license ARN written without "arn:" (as EventBridge spells it)', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    await gateway().gw.submit([
      meteringRecord({ licenseArn: LICENSE.slice(4), customerAwsAccountId: '845735284135' }),
    ]);
    expect(inputs(aws)[0]?.UsageRecords?.[0]?.LicenseArn).toBe(LICENSE);
  });

  it('keeps every call under 1 MB, however many allocations the records carry', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const allocations = Array.from({ length: 2_500 }, (_, i) => ({
      workspaceId: `workspace-${String(i).padStart(40, '0')}`,
      quantity: 1,
    }));
    const rs = records(25, { quantity: 2_500, allocations });
    const results = await gateway().gw.submit(rs);
    const calls = inputs(aws);
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) {
      const body = JSON.stringify({
        ...c,
        UsageRecords: c.UsageRecords?.map((u) => ({ ...u, Timestamp: 1 })),
      });
      expect(Buffer.byteLength(body)).toBeLessThan(1_000_000);
    }
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
  });
});

describe('AwsMeteringGateway per-record statuses', () => {
  it('maps Success, DuplicateRecord and CustomerNotSubscribed', async () => {
    const [a, b, c] = records(3);
    aws.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => ({
      ...meta,
      Results: (input.UsageRecords ?? []).map((u, i) => ({
        UsageRecord: u,
        Status: (['Success', 'DuplicateRecord', 'CustomerNotSubscribed'] as const)[i],
        ...(i === 0 ? { MeteringRecordId: 'mr-1' } : {}),
      })),
    }));
    const results = await gateway().gw.submit([a!, b!, c!]);
    expect(results).toEqual([
      { recordId: a?.id, outcome: 'accepted', awsMeteringRecordId: 'mr-1' },
      { recordId: b?.id, outcome: 'duplicate' },
      { recordId: c?.id, outcome: 'customer-not-subscribed' },
    ]);
  });

  it('matches results answered out of order to their records', async () => {
    aws.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => {
      const out = acceptAll(input);
      out.Results?.reverse();
      return out;
    });
    const rs = records(5);
    const results = await gateway().gw.submit(rs);
    expect(results.map((r) => (r.outcome === 'accepted' ? r.awsMeteringRecordId : null))).toEqual(
      rs.map((r) => `mrid-users-${r.quantity}`),
    );
  });

  it('sends UnprocessedRecords again, alone', async () => {
    const rs = records(4);
    aws
      .on(BatchMeterUsageCommand)
      .callsFakeOnce((input: BatchMeterUsageCommandInput) => {
        const [first, ...rest] = input.UsageRecords as UsageRecord[];
        return { ...meta, Results: acceptAll({ UsageRecords: [first!] }).Results, UnprocessedRecords: rest };
      })
      .callsFake(acceptAll);
    const { gw } = gateway();
    const results = await gw.submit(rs);
    expect(inputs(aws).map((i) => i.UsageRecords?.length)).toEqual([4, 3]);
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
    expect(gw.stats).toMatchObject({ calls: 2, retries: 1 });
  });

  it('answers retry for records still unprocessed (or never mentioned) after every attempt', async () => {
    aws.on(BatchMeterUsageCommand).resolves({ ...meta, Results: [], UnprocessedRecords: [] });
    const rs = records(2);
    const results = await gateway({ maxAttempts: 3 }).gw.submit(rs);
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(3);
    expect(results.map((r) => [r.outcome, r.outcome === 'retry' && r.error])).toEqual([
      ['retry', 'UnprocessedRecords'],
      ['retry', 'UnprocessedRecords'],
    ]);
  });
});

describe('AwsMeteringGateway transient failures', () => {
  it('retries throttling with full-jitter backoff, then succeeds', async () => {
    aws
      .on(BatchMeterUsageCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...meta }))
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', ...meta }))
      .callsFake(acceptAll);
    const { gw, timer } = gateway({ baseDelayMs: 100, maxDelayMs: 1_000 });
    const results = await gw.submit(records(3));
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(3);
    // random() = 0.5: half of 100·2⁰ and of 100·2¹
    expect(timer.sleeps).toEqual([50, 100]);
  });

  it('retries 5xx and network failures before the request left', async () => {
    aws
      .on(BatchMeterUsageCommand)
      .rejectsOnce(new InternalServiceErrorException({ message: 'boom', ...meta }))
      .rejectsOnce(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
      .rejectsOnce(Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } }))
      .callsFake(acceptAll);
    const results = await gateway().gw.submit(records(2));
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(4);
  });

  it('gives records back as retry when throttling outlasts the attempts', async () => {
    aws.on(BatchMeterUsageCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    const results = await gateway({ maxAttempts: 4 }).gw.submit(records(2));
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(4);
    expect(results.every((r) => r.outcome === 'retry' && r.error === 'ThrottlingException')).toBe(true);
    expect(results[0]).not.toHaveProperty('retryAfterMs'); // the core's own back-off grows per attempt
  });

  it('answers unknown, not retry, when an earlier attempt lost its answer and throttling followed', async () => {
    aws
      .on(BatchMeterUsageCommand)
      .rejectsOnce(lostResponse())
      .rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    const results = await gateway({ maxAttempts: 3 }).gw.submit(records(2));
    expect(results.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
  });

  it('answers unknown, not rejected, when a record is refused after a send whose answer was lost', async () => {
    aws
      .on(BatchMeterUsageCommand)
      .rejectsOnce(lostResponse())
      .rejects(
        Object.assign(new Error('too old'), {
          name: 'TimestampOutOfBoundsException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      );
    const results = await gateway({ maxAttempts: 3 }).gw.submit(records(2));
    expect(results.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
  });

  it('answers unknown when AWS echoes records it cannot be matched to, instead of re-sending them as unprocessed', async () => {
    aws.on(BatchMeterUsageCommand).callsFake((input: { UsageRecords: Array<Record<string, unknown>> }) => ({
      Results: input.UsageRecords.map((u) => ({
        UsageRecord: { ...u, Dimension: 'renamed' },
        Status: 'Success',
        MeteringRecordId: 'x',
      })),
      UnprocessedRecords: [],
    }));
    const results = await gateway({ maxAttempts: 2 }).gw.submit(records(2));
    expect(results.map((r) => r.outcome)).toEqual(['unknown', 'unknown']);
  });

  it('treats a 200 whose body broke off as a lost answer', async () => {
    const cut = Object.assign(new SyntaxError('Unexpected end of JSON input'), {
      $metadata: { httpStatusCode: 200 },
    });
    aws.on(BatchMeterUsageCommand).rejects(cut);
    const results = await gateway({ maxAttempts: 2 }).gw.submit(records(1));
    expect(results[0]).toMatchObject({ outcome: 'unknown' });
  });

  it('sends again after a lost response, and accepts the identical record', async () => {
    aws.on(BatchMeterUsageCommand).rejectsOnce(lostResponse()).callsFake(acceptAll);
    const rs = records(2);
    const results = await gateway().gw.submit(rs);
    const [first, second] = inputs(aws);
    expect(second).toEqual(first);
    expect(results.every((r) => r.outcome === 'accepted')).toBe(true);
  });

  it('answers unknown for a call whose every attempt lost its response, and settles the other products', async () => {
    aws.on(BatchMeterUsageCommand, { ProductCode: 'prod-a' }).rejects(lostResponse());
    aws.on(BatchMeterUsageCommand, { ProductCode: 'prod-b' }).callsFake(acceptAll);
    const lost = records(2, { productCode: 'prod-a' });
    const fine = records(3, { productCode: 'prod-b' });
    const results = await gateway({ maxAttempts: 3 }).gw.submit([...lost, ...fine]);
    expect(results.map((r) => [r.recordId, r.outcome])).toEqual([
      ...lost.map((r) => [r.id, 'unknown']),
      ...fine.map((r) => [r.id, 'accepted']),
    ]);
    expect(inputs(aws).filter((i) => i.ProductCode === 'prod-a')).toHaveLength(3);
  });

  it('answers retry, not rejected, for a refusal that is not about the records (permissions)', async () => {
    aws.on(BatchMeterUsageCommand).rejects(
      Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const results = await gateway().gw.submit(records(3));
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(1);
    expect(results.every((r) => r.outcome === 'retry' && r.error === 'AccessDeniedException')).toBe(true);
  });

  it('answers retry for a partition that is not configured', async () => {
    const gw = new AwsMeteringGateway({}, { callsPerSecond: null });
    const [r] = await gw.submit(records(1, { partition: 'aws-cn' }));
    expect(r).toMatchObject({ outcome: 'retry', error: 'partition-not-configured:aws-cn' });
  });
});

describe('AwsMeteringGateway request-level errors', () => {
  const refuseDimension = (bad: (u: UsageRecord) => boolean) => (input: BatchMeterUsageCommandInput) => {
    if ((input.UsageRecords ?? []).some(bad)) {
      throw new InvalidUsageDimensionException({ message: 'unknown dimension', ...meta });
    }
    return acceptAll(input);
  };

  it('isolates one bad record among 25 by bisection; the other 24 are accepted', async () => {
    const rs = records(25);
    const bad = rs[17]!;
    bad.dimension = 'no-such-dimension';
    aws.on(BatchMeterUsageCommand).callsFake(refuseDimension((u) => u.Dimension === 'no-such-dimension'));
    const { gw } = gateway();
    const results = byId(await gw.submit(rs));
    expect(results.get(bad.id)).toEqual({
      recordId: bad.id,
      outcome: 'rejected',
      error: 'InvalidUsageDimensionException',
    });
    expect(rs.filter((r) => r !== bad).every((r) => results.get(r.id)?.outcome === 'accepted')).toBe(true);
    // ⌈log₂ 25⌉ = 5 levels, two calls a level, and the first call
    expect(gw.stats.calls).toBeLessThanOrEqual(11);
  });

  it('isolates several bad records with different errors', async () => {
    const rs = records(20);
    rs[2]!.dimension = 'bad';
    rs[9]!.hour = new Date('2020-01-01T00:00:00Z');
    aws.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => {
      const us = input.UsageRecords ?? [];
      if (us.some((u) => u.Dimension === 'bad'))
        throw new InvalidUsageDimensionException({ message: 'x', ...meta });
      if (us.some((u) => (u.Timestamp?.getFullYear() ?? 0) < 2026))
        throw new TimestampOutOfBoundsException({ message: 'x', ...meta });
      return acceptAll(input);
    });
    const results = await gateway().gw.submit(rs);
    expect(results.filter((r) => r.outcome === 'rejected')).toEqual([
      { recordId: rs[2]?.id, outcome: 'rejected', error: 'InvalidUsageDimensionException' },
      { recordId: rs[9]?.id, outcome: 'rejected', error: 'TimestampOutOfBoundsException' },
    ]);
    expect(results.filter((r) => r.outcome === 'accepted')).toHaveLength(18);
  });

  it('rejects the whole call at once for an unknown product code', async () => {
    aws.on(BatchMeterUsageCommand).rejects(new InvalidProductCodeException({ message: 'x', ...meta }));
    const results = await gateway().gw.submit(records(25));
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(1);
    expect(results.every((r) => r.outcome === 'rejected' && r.error === 'InvalidProductCodeException')).toBe(
      true,
    );
  });
});

describe('AwsMeteringGateway rate limit', () => {
  it('spaces calls to the configured rate per account and region', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const { gw, timer } = gateway({ callsPerSecond: 10, concurrency: 4 });
    await gw.submit(records(25 * 30));
    expect(aws.commandCalls(BatchMeterUsageCommand)).toHaveLength(30);
    // 10 saved-up tokens, then 20 more at 10 a second
    expect(timer.t).toBeGreaterThanOrEqual(1_999);
    expect(timer.t).toBeLessThanOrEqual(2_100);
  });

  it('does not wait at all when the limit is off', async () => {
    aws.on(BatchMeterUsageCommand).callsFake(acceptAll);
    const { gw, timer } = gateway({ callsPerSecond: null });
    await gw.submit(records(25 * 30));
    expect(timer.sleeps).toEqual([]);
  });
});

describe('AwsMeteringGateway events for operators', () => {
  it('reports retries, splits, refusals and unknown outcomes, without record contents', async () => {
    const events: MeteringEvent[] = [];
    const rs = records(4, { productCode: 'prod-a' });
    rs[3]!.dimension = 'bad';
    aws
      .on(BatchMeterUsageCommand, { ProductCode: 'prod-a' })
      .rejectsOnce(new ThrottlingException({ message: 'x', ...meta }))
      .callsFake((input: BatchMeterUsageCommandInput) => {
        if (input.UsageRecords?.some((u) => u.Dimension === 'bad'))
          throw new InvalidUsageDimensionException({ message: 'x', ...meta });
        return acceptAll(input);
      });
    aws
      .on(BatchMeterUsageCommand, { ProductCode: 'prod-b' })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client' }));
    aws.on(BatchMeterUsageCommand, { ProductCode: 'prod-c' }).rejects(lostResponse());
    const { gw } = gateway({ onEvent: (e) => events.push(e), maxAttempts: 2 });
    await gw
      .submit([...rs, ...records(1, { productCode: 'prod-b' }), ...records(1, { productCode: 'prod-c' })])
      .catch(() => undefined);
    expect(events).toEqual([
      {
        type: 'retry',
        partition: 'aws',
        productCode: 'prod-a',
        records: 4,
        error: 'ThrottlingException',
        attempt: 2,
        delayMs: 50,
      },
      {
        type: 'split',
        partition: 'aws',
        productCode: 'prod-a',
        records: 4,
        error: 'InvalidUsageDimensionException',
      },
      {
        type: 'split',
        partition: 'aws',
        productCode: 'prod-a',
        records: 2,
        error: 'InvalidUsageDimensionException',
      },
      {
        type: 'refused',
        partition: 'aws',
        productCode: 'prod-b',
        records: 1,
        error: 'AccessDeniedException',
      },
      {
        type: 'retry',
        partition: 'aws',
        productCode: 'prod-c',
        records: 1,
        error: 'ECONNRESET',
        attempt: 2,
        delayMs: 50,
      },
      { type: 'outcome-unknown', partition: 'aws', productCode: 'prod-c', records: 1, error: 'ECONNRESET' },
    ]);
  });
});
