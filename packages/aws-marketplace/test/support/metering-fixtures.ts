// Test data and doubles for the outbound adapters: metering records, a clock that never waits, and a
// BatchMeterUsage answer built from the request the way AWS builds it.
import type {
  BatchMeterUsageCommandInput,
  BatchMeterUsageCommandOutput,
} from '@aws-sdk/client-marketplace-metering';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { type Allocation, type AwsPartition, MeteringRecord } from '@billing-center/core';
import type { Timer } from '../../src/outbound/token-bucket.js';

export const HOUR0 = new Date('2026-11-26T10:00:00.000Z');
export const LICENSE = 'arn:aws:license-manager::123456789012:license:l-0123456789abcdef0123456789abcdef';

let seq = 0;

export function meteringRecord(
  overrides: Partial<{
    id: string;
    partition: AwsPartition;
    productCode: string;
    customerIdentifier: string | null;
    customerAwsAccountId: string | null;
    licenseArn: string | null;
    dimension: string;
    hour: Date;
    quantity: number;
    allocations: Allocation[];
  }> = {},
): MeteringRecord {
  seq += 1;
  // Cast: the core's record grows fields the gateway never reads; the fixture need not follow each one.
  return new MeteringRecord({
    id: `rec-${seq}`,
    cloudAccountId: 'ca-1',
    partition: 'aws',
    productCode: 'prod-a',
    customerIdentifier: `cust-${seq}`,
    customerAwsAccountId: null,
    licenseArn: null,
    dimension: 'users',
    hour: HOUR0,
    quantity: seq,
    allocations: [],
    status: 'submitted',
    isFinal: false,
    attempts: 1,
    unansweredSends: 0,
    lastError: null,
    awsMeteringRecordId: null,
    sealedAt: HOUR0,
    resolvedAt: null,
    deadline: new Date(HOUR0.getTime() + 24 * 3_600_000),
    leaseOwner: 'w1',
    leaseUntil: null,
    nextAttemptAt: null,
    windowAlertedAt: null,
    version: 1,
    ...overrides,
  } as ConstructorParameters<typeof MeteringRecord>[0]);
}

export function records(n: number, overrides: Parameters<typeof meteringRecord>[0] = {}): MeteringRecord[] {
  return Array.from({ length: n }, () => meteringRecord(overrides));
}

/** A clock that advances by the time slept, instantly, and remembers every sleep. */
export class FakeTimer implements Timer {
  t = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

/** AWS's answer when every record is accepted: the record echoed back with a fresh MeteringRecordId. */
export function acceptAll(input: BatchMeterUsageCommandInput): BatchMeterUsageCommandOutput {
  return {
    $metadata: {},
    Results: (input.UsageRecords ?? []).map((u) => ({
      UsageRecord: u,
      Status: 'Success',
      MeteringRecordId: `mrid-${u.Dimension}-${u.Quantity}`,
    })),
    UnprocessedRecords: [],
  };
}

export function meteringClient(region = 'us-east-1'): MarketplaceMeteringClient {
  return new MarketplaceMeteringClient({
    region,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

export function lostResponse(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}
