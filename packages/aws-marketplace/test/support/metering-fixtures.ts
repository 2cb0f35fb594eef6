// Test data and doubles for the outbound adapters: metering records, a clock that never waits, and a
// BatchMeterUsage answer built from the request the way AWS builds it.
import type {
  BatchMeterUsageCommandInput,
  BatchMeterUsageCommandOutput,
} from '@aws-sdk/client-marketplace-metering';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import type { Allocation, AwsPartition, MeteringRecord } from '@billing-center/core';
import { mother } from '@billing-center/core/testing';
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
  return mother.meteringRecord({
    id: `rec-${seq}`,
    cloudAccountId: 'ca-1',
    productCode: 'prod-a',
    customerIdentifier: `cust-${seq}`,
    customerAwsAccountId: null,
    licenseArn: null,
    dimension: 'users',
    hour: HOUR0,
    quantity: seq,
    allocations: [],
    status: 'submitted',
    attempts: 1,
    sealedAt: HOUR0,
    deadline: new Date(HOUR0.getTime() + 24 * 3_600_000),
    leaseOwner: 'w1',
    ...overrides,
  });
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
