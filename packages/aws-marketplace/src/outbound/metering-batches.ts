import type { UsageRecord } from '@aws-sdk/client-marketplace-metering';
import type { AwsPartition, MeteringRecord } from '@billing-center/core';

/** AWS's limits for one BatchMeterUsage call. */
export const MAX_RECORDS_PER_CALL = 25;
/** AWS refuses a request of 1 MB or more; a margin is kept for the envelope and the ProductCode. */
export const MAX_REQUEST_BYTES = 1_000_000;
const REQUEST_OVERHEAD_BYTES = 512;

/** The tag key under which a record's usage is allocated to our workspaces (visible to the buyer). */
export const WORKSPACE_TAG_KEY = 'workspace';

/** One record as AWS receives it, with its place in the caller's input. */
export interface WireRecord {
  index: number;
  record: MeteringRecord;
  usage: UsageRecord;
  /** Its size in the JSON request body, in bytes. */
  bytes: number;
  /** How AWS echoes it in `Results` / `UnprocessedRecords`. */
  key: string;
}

/**
 * Records that may go in one call: one partition, one product, one way of naming buyers. Records of
 * current products carry `LicenseArn` and the request carries no `ProductCode` (AWS bills a request that
 * names both twice); legacy records carry `CustomerIdentifier` and the request names the product.
 */
export interface MeteringBatch {
  partition: AwsPartition;
  productCode: string;
  byLicense: boolean;
  records: WireRecord[];
}

/** EventBridge and some stores spell license ARNs without `arn:`; AWS wants the full ARN. */
export function fullLicenseArn(licenseArn: string): string {
  return licenseArn.startsWith('arn:') ? licenseArn : `arn:${licenseArn}`;
}

export function toUsageRecord(r: MeteringRecord, pooledAllocationTag: string): UsageRecord {
  const usage: UsageRecord = { Timestamp: r.hour, Dimension: r.dimension, Quantity: r.quantity };
  if (r.licenseArn) {
    usage.LicenseArn = fullLicenseArn(r.licenseArn);
    if (r.customerAwsAccountId) usage.CustomerAWSAccountId = r.customerAwsAccountId;
  } else if (r.customerIdentifier) {
    usage.CustomerIdentifier = r.customerIdentifier;
  } else if (r.customerAwsAccountId) {
    // Newer integrations without a license ARN name the buyer by account, with the request's ProductCode.
    usage.CustomerAWSAccountId = r.customerAwsAccountId;
  }
  if (r.allocations.length > 0) {
    usage.UsageAllocations = r.allocations.map((a) => ({
      AllocatedUsageQuantity: a.quantity,
      Tags: [{ Key: WORKSPACE_TAG_KEY, Value: a.workspaceId ?? pooledAllocationTag }],
    }));
  }
  return usage;
}

/** The identity AWS echoes back for a record: who, which dimension, which hour, how much. */
export function usageKey(u: UsageRecord): string {
  // A license names one buyer on its own; AWS's echo may leave the account id out.
  const who = u.LicenseArn
    ? `L:${u.LicenseArn}`
    : u.CustomerIdentifier
      ? `C:${u.CustomerIdentifier}`
      : `A:${u.CustomerAWSAccountId ?? ''}`;
  const seconds = u.Timestamp ? Math.floor(new Date(u.Timestamp).getTime() / 1000) : 0;
  return `${who}|${u.Dimension ?? ''}|${seconds}|${u.Quantity ?? ''}`;
}

/**
 * Bytes of the record in the SDK's JSON body (Timestamp as epoch seconds), an upper bound computed without
 * serialising: this runs for every record sent.
 */
export function wireBytes(u: UsageRecord): number {
  // {"Timestamp":1234567890,"Dimension":"","Quantity":,"UsageAllocations":[]} and the comma after it
  let bytes = 80 + jsonBytes(u.Dimension) + numberBytes(u.Quantity);
  // present even when empty: the SDK sends "LicenseArn":"" (an upper bound must count it)
  if (u.LicenseArn !== undefined) bytes += 16 + jsonBytes(u.LicenseArn);
  if (u.CustomerAWSAccountId !== undefined) bytes += 28 + jsonBytes(u.CustomerAWSAccountId);
  if (u.CustomerIdentifier !== undefined) bytes += 26 + jsonBytes(u.CustomerIdentifier);
  for (const a of u.UsageAllocations ?? []) {
    // {"AllocatedUsageQuantity":,"Tags":[]}, and per tag {"Key":"","Value":""}
    bytes += 40 + numberBytes(a.AllocatedUsageQuantity);
    for (const t of a.Tags ?? []) bytes += 24 + jsonBytes(t.Key) + jsonBytes(t.Value);
  }
  return bytes;
}

// Printable ASCII other than " and \ is written as is; anything else is measured exactly.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
function jsonBytes(s: string | undefined): number {
  if (s === undefined) return 0;
  return PLAIN.test(s) ? s.length : Buffer.byteLength(JSON.stringify(s), 'utf8');
}
function numberBytes(n: number | undefined): number {
  return n === undefined ? 0 : String(n).length;
}

/**
 * Groups records by (partition, product, naming) and cuts each group into the fewest calls AWS allows:
 * ≤ 25 records and < 1 MB each. The order of records within a group is kept.
 */
export function planBatches(
  records: readonly MeteringRecord[],
  pooledAllocationTag: string,
): MeteringBatch[] {
  const groups = new Map<string, MeteringBatch & { bytes: number }>();
  const batches: MeteringBatch[] = [];
  records.forEach((record, index) => {
    const usage = toUsageRecord(record, pooledAllocationTag);
    const wire: WireRecord = { index, record, usage, bytes: wireBytes(usage), key: usageKey(usage) };
    const byLicense = Boolean(record.licenseArn);
    const groupKey = `${record.partition}\u0000${record.productCode}\u0000${byLicense}`;
    let open = groups.get(groupKey);
    if (
      !open ||
      open.records.length >= MAX_RECORDS_PER_CALL ||
      open.bytes + wire.bytes > MAX_REQUEST_BYTES - REQUEST_OVERHEAD_BYTES
    ) {
      open = {
        partition: record.partition,
        productCode: record.productCode,
        byLicense,
        records: [],
        bytes: 0,
      };
      groups.set(groupKey, open);
      batches.push(open);
    }
    open.records.push(wire);
    open.bytes += wire.bytes;
  });
  return batches.map(({ partition, productCode, byLicense, records: rs }) => ({
    partition,
    productCode,
    byLicense,
    records: rs,
  }));
}
