import {
  BatchMeterUsageCommand,
  type BatchMeterUsageCommandInput,
  InvalidUsageDimensionException,
  ThrottlingException,
  type UsageRecord,
} from '@aws-sdk/client-marketplace-metering';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { wireBytes } from '../src/outbound/metering-batches.js';
import { AwsMeteringGateway } from '../src/outbound/metering-gateway.js';
import { fullJitterDelay, TokenBucket } from '../src/outbound/token-bucket.js';
import { FakeTimer, LICENSE, meteringClient, meteringRecord } from './support/metering-fixtures.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 200);
const client = meteringClient();
const cnClient = meteringClient('cn-northwest-1');
const mocks = [mockClient(client), mockClient(cnClient)];
afterEach(() => {
  for (const m of mocks) m.reset();
});

const STATUSES = ['Success', 'DuplicateRecord', 'CustomerNotSubscribed', 'Unprocessed', 'Bad'] as const;

const recordSpec = fc.record({
  partition: fc.constantFrom('aws' as const, 'aws-cn' as const),
  productCode: fc.constantFrom('prod-a', 'prod-b', 'prod-c'),
  byLicense: fc.boolean(),
  status: fc.constantFrom(...STATUSES),
});

describe('AwsMeteringGateway properties', () => {
  it('answers exactly one result per record, in order, whatever AWS answers for each', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordSpec, { maxLength: 120 }),
        fc.boolean(),
        async (specs, throttleFirst) => {
          for (const m of mocks) m.reset();
          const statusOf = new Map<string, (typeof STATUSES)[number]>();
          const rs = specs.map((s, i) => {
            const r = meteringRecord({
              partition: s.partition,
              productCode: s.productCode,
              licenseArn: s.byLicense ? `${LICENSE}${i}` : null,
              customerAwsAccountId: s.byLicense ? '845735284135' : null,
              customerIdentifier: s.byLicense ? null : `cust-${i}`,
              dimension: s.status === 'Bad' ? 'bad' : 'users',
            });
            statusOf.set(`${r.dimension}|${r.quantity}`, s.status);
            return r;
          });
          const answer = (input: BatchMeterUsageCommandInput) => {
            const us = input.UsageRecords ?? [];
            if (us.some((u) => u.Dimension === 'bad'))
              throw new InvalidUsageDimensionException({ message: 'x', $metadata: {} });
            const status = (u: UsageRecord) => statusOf.get(`${u.Dimension}|${u.Quantity}`);
            return {
              $metadata: {},
              Results: us
                .filter((u) => status(u) !== 'Unprocessed')
                .map((u) => ({ UsageRecord: u, Status: status(u) as 'Success', MeteringRecordId: 'm' })),
              UnprocessedRecords: us.filter((u) => status(u) === 'Unprocessed'),
            };
          };
          for (const m of mocks) {
            const on = m.on(BatchMeterUsageCommand);
            if (throttleFirst) on.rejectsOnce(new ThrottlingException({ message: 'x', $metadata: {} }));
            on.callsFake(answer);
          }
          const gw = new AwsMeteringGateway(
            { aws: { client, limiterKey: 'a' }, 'aws-cn': { client: cnClient, limiterKey: 'c' } },
            { timer: new FakeTimer(), callsPerSecond: 10, concurrency: 3, maxAttempts: 3 },
          );
          const results = await gw.submit(rs);
          expect(results.map((r) => r.recordId)).toEqual(rs.map((r) => r.id));
          results.forEach((result, i) => {
            const expected = {
              Success: 'accepted',
              DuplicateRecord: 'duplicate',
              CustomerNotSubscribed: 'customer-not-subscribed',
              Unprocessed: 'retry',
              Bad: 'rejected',
            }[specs[i]!.status];
            expect(result.outcome).toBe(expected);
          });
        },
      ),
      { numRuns },
    );
  });

  it('uses the optimal number of calls when AWS accepts everything: ⌈n/25⌉ per product and naming', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordSpec, { maxLength: 300 }), async (specs) => {
        for (const m of mocks) {
          m.reset();
          m.on(BatchMeterUsageCommand).callsFake((input: BatchMeterUsageCommandInput) => ({
            $metadata: {},
            Results: (input.UsageRecords ?? []).map((u) => ({ UsageRecord: u, Status: 'Success' as const })),
          }));
        }
        const rs = specs.map((s, i) =>
          meteringRecord({
            partition: s.partition,
            productCode: s.productCode,
            licenseArn: s.byLicense ? LICENSE : null,
            customerAwsAccountId: s.byLicense ? '845735284135' : null,
            customerIdentifier: s.byLicense ? null : `cust-${i}`,
          }),
        );
        const groups = new Map<string, number>();
        for (const r of rs) {
          const key = `${r.partition}|${r.productCode}|${Boolean(r.licenseArn)}`;
          groups.set(key, (groups.get(key) ?? 0) + 1);
        }
        const optimal = [...groups.values()].reduce((sum, n) => sum + Math.ceil(n / 25), 0);
        const gw = new AwsMeteringGateway(
          { aws: { client, limiterKey: 'a' }, 'aws-cn': { client: cnClient, limiterKey: 'c' } },
          { callsPerSecond: null, concurrency: 4 },
        );
        const results = await gw.submit(rs);
        expect(results).toHaveLength(rs.length);
        expect(gw.stats.calls).toBe(optimal);
        const sent = mocks.flatMap((m) => m.commandCalls(BatchMeterUsageCommand));
        for (const c of sent) {
          expect(c.args[0].input.UsageRecords?.length).toBeLessThanOrEqual(25);
        }
      }),
      { numRuns },
    );
  });
});

describe('TokenBucket and backoff', () => {
  it('never lets more than rate·t + capacity calls through in t', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 200 }),
        async (rate, calls) => {
          const timer = new FakeTimer();
          const bucket = new TokenBucket(rate, rate, timer);
          for (let i = 0; i < calls; i += 1) await bucket.take();
          expect(calls).toBeLessThanOrEqual((rate * timer.t) / 1000 + rate + 1e-9);
          expect(timer.t).toBeLessThanOrEqual((Math.max(0, calls - rate) * 1000) / rate + 1e-6);
        },
      ),
      { numRuns },
    );
  });

  it('draws each backoff uniformly below min(cap, base·2ⁿ)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (n, r) => {
          const d = fullJitterDelay(n, 100, 5_000, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(Math.max(1, Math.min(5_000, 100 * 2 ** n)));
        },
      ),
      { numRuns },
    );
  });
});

describe('wireBytes', () => {
  it('counts a field that is present but empty (the counterexample fast-check found)', () => {
    const usage = {
      Timestamp: new Date(1_790_000_000_000),
      Dimension: '',
      Quantity: 0,
      LicenseArn: '',
      CustomerAWSAccountId: '845735284135',
      UsageAllocations: [{ AllocatedUsageQuantity: 0, Tags: [{ Key: 'workspace', Value: '' }] }],
    };
    const json = JSON.stringify({ ...usage, Timestamp: 1_790_000_000 });
    expect(wireBytes(usage)).toBeGreaterThanOrEqual(Buffer.byteLength(json, 'utf8') + 1);
  });

  it('is never below the record’s size in the JSON body', () => {
    const text = fc.string({ unit: 'binary', maxLength: 60 });
    fc.assert(
      fc.property(
        text,
        fc.option(text, { nil: undefined }),
        fc.integer({ min: 0, max: 2_147_483_647 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1e9 }), text), { maxLength: 20 }),
        (dimension, license, quantity, allocations) => {
          const usage = {
            Timestamp: new Date(1_790_000_000_000),
            Dimension: dimension,
            Quantity: quantity,
            ...(license === undefined
              ? { CustomerIdentifier: 'X01' }
              : { LicenseArn: license, CustomerAWSAccountId: '845735284135' }),
            ...(allocations.length
              ? {
                  UsageAllocations: allocations.map(([q, v]) => ({
                    AllocatedUsageQuantity: q,
                    Tags: [{ Key: 'workspace', Value: v }],
                  })),
                }
              : {}),
          };
          const json = JSON.stringify({ ...usage, Timestamp: 1_790_000_000 });
          expect(wireBytes(usage)).toBeGreaterThanOrEqual(Buffer.byteLength(json, 'utf8') + 1);
        },
      ),
      { numRuns },
    );
  });
});
