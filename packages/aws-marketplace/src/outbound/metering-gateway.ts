import {
  BatchMeterUsageCommand,
  type BatchMeterUsageCommandOutput,
  type MarketplaceMeteringClient,
} from '@aws-sdk/client-marketplace-metering';
import type { AwsPartition, MeteringGateway, MeteringRecord, MeteringResult } from '@billing-center/core';
import { type AwsFailureKind, awsErrorName, classifyAwsFailure } from './aws-errors.js';
import { DEFAULT_METERING_OPTIONS, type MeteringOptions } from './marketplace-config.js';
import { type MeteringBatch, planBatches, usageKey, type WireRecord } from './metering-batches.js';
import { fullJitterDelay, RateLimiters, realTimer, type Timer } from './token-bucket.js';

/**
 * Request-level errors that one bad record causes: AWS refuses the whole call, so the batch is split in
 * halves until the record is alone, and only that record is rejected.
 */
export const RECORD_LEVEL_ERRORS: ReadonlySet<string> = new Set([
  'InvalidUsageDimensionException',
  'InvalidCustomerIdentifierException',
  'InvalidLicenseException',
  'TimestampOutOfBoundsException',
  'InvalidUsageAllocationsException',
  'InvalidTagException',
  'CustomerNotEntitledException',
  'ValidationException',
]);
/** Request-level errors about what every record of the call shares: all of them are rejected at once. */
export const BATCH_LEVEL_ERRORS: ReadonlySet<string> = new Set(['InvalidProductCodeException']);

/** Where one partition's calls go. */
export interface MeteringEndpoint {
  client: MarketplaceMeteringClient;
  /** Rate-limit key: AWS counts calls per (seller account, region). */
  limiterKey: string;
}

/**
 * What the gateway did that operators may want in their logs: the records themselves are settled either
 * way, but a refusal that is not about the records (credentials, permissions, a disabled API) or a run of
 * lost responses is a fault someone has to look at. Never carries record contents.
 */
export interface MeteringEvent {
  type: 'retry' | 'split' | 'refused' | 'outcome-unknown';
  partition: AwsPartition;
  productCode: string;
  records: number;
  /** The AWS error name (or `UnprocessedRecords`). */
  error: string;
  /** `retry`: the attempt about to be made (2 = the first retry) and the backoff before it. */
  attempt?: number;
  delayMs?: number;
}

export interface AwsMeteringGatewayOptions extends Partial<MeteringOptions> {
  timer?: Timer;
  random?: () => number;
  onEvent?: (event: MeteringEvent) => void;
}

/** Counters for benchmarks and operators. */
export interface MeteringStats {
  calls: number;
  retries: number;
  splits: number;
}

type Settle = (w: WireRecord, result: MeteringResult) => void;

/**
 * `MeteringGateway` over `BatchMeterUsage`: batches (≤ 25 records, < 1 MB, one product per call), a token
 * bucket per account and region, full-jitter retries of throttling, 5xx and network failures, re-sends of
 * `UnprocessedRecords`, and bisection of a batch AWS refuses for one bad record.
 */
export class AwsMeteringGateway implements MeteringGateway {
  readonly stats: MeteringStats = { calls: 0, retries: 0, splits: 0 };
  private readonly options: MeteringOptions;
  private readonly limiters: RateLimiters;
  private readonly timer: Timer;
  private readonly random: () => number;
  private readonly onEvent: (event: MeteringEvent) => void;

  constructor(
    private readonly endpoints: Partial<Record<AwsPartition, MeteringEndpoint>>,
    options: AwsMeteringGatewayOptions = {},
  ) {
    const { timer, random, onEvent, ...rest } = options;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    this.options = { ...DEFAULT_METERING_OPTIONS, ...defined };
    this.timer = timer ?? realTimer;
    this.random = random ?? Math.random;
    this.onEvent = onEvent ?? (() => undefined);
    this.limiters = new RateLimiters(this.options.callsPerSecond, this.timer);
  }

  async submit(records: readonly MeteringRecord[]): Promise<MeteringResult[]> {
    const results: (MeteringResult | undefined)[] = new Array(records.length);
    const unknown: { records: WireRecord[]; cause: unknown }[] = [];
    const settle: Settle = (w, result) => {
      results[w.index] ??= result;
    };
    const batches = planBatches(records, this.options.pooledAllocationTag);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as MeteringBatch;
        const endpoint = this.endpoints[batch.partition];
        if (!endpoint) {
          for (const w of batch.records)
            settle(w, {
              recordId: w.record.id,
              outcome: 'retry',
              error: `partition-not-configured:${batch.partition}`,
            });
          continue;
        }
        const lost = await this.send(endpoint, batch, batch.records, settle);
        if (lost) unknown.push(lost);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, batches.length) }, worker));

    // A call whose every attempt lost its answer: AWS may hold those records. The core re-sends them,
    // identical, later; the other calls' results stand.
    for (const u of unknown) {
      for (const w of u.records) {
        settle(w, {
          recordId: w.record.id,
          outcome: 'unknown',
          error: `outcome unknown: ${awsErrorName(u.cause)}`,
        });
      }
    }
    return records.map(
      (r, i) => results[i] ?? { recordId: r.id, outcome: 'retry', error: 'NotSettled' }, // never expected
    );
  }

  /**
   * Sends `pending` (records of one batch) until each is settled or attempts run out. Answers the records
   * whose outcome is unknown, if the last attempt lost its response.
   */
  private async send(
    endpoint: MeteringEndpoint,
    batch: MeteringBatch,
    records: WireRecord[],
    settle: Settle,
    priorLoss = false,
  ): Promise<{ records: WireRecord[]; cause: unknown } | null> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.options;
    let pending = records;
    // Once a send of these records lost its answer, AWS may hold them: no later refusal or retry can say
    // "not billed" any more, so whatever stays unsettled is `unknown`.
    let lost = priorLoss;
    let lostCause: unknown = null;
    let lastKind: AwsFailureKind | 'unprocessed' = 'unprocessed';
    let lastError: unknown = null;
    const event = (type: MeteringEvent['type'], error: string, extra: Partial<MeteringEvent> = {}) =>
      this.onEvent({
        type,
        partition: batch.partition,
        productCode: batch.productCode,
        records: pending.length,
        error,
        ...extra,
      });
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      if (attempt > 0) {
        this.stats.retries += 1;
        const delayMs = fullJitterDelay(attempt - 1, baseDelayMs, maxDelayMs, this.random);
        const error = lastKind === 'unprocessed' ? 'UnprocessedRecords' : awsErrorName(lastError);
        event('retry', error, { attempt: attempt + 1, delayMs });
        await this.timer.sleep(delayMs);
      }
      await this.limiters.take(endpoint.limiterKey);
      this.stats.calls += 1;
      let out: BatchMeterUsageCommandOutput;
      try {
        out = await endpoint.client.send(
          new BatchMeterUsageCommand({
            UsageRecords: pending.map((w) => w.usage),
            ...(batch.byLicense ? {} : { ProductCode: batch.productCode }),
          }),
        );
      } catch (err) {
        const kind = classifyAwsFailure(err);
        if (kind === 'client')
          return this.refused(endpoint, batch, pending, err, settle, lost ? (lostCause ?? err) : null);
        if (kind === 'lost') {
          lost = true;
          lostCause = err;
        }
        lastKind = kind;
        lastError = err;
        continue;
      }
      const answered = this.settleResults(out, pending, settle);
      pending = answered.pending;
      if (answered.unmatched > 0) {
        // AWS answered about records we cannot tell apart: it may hold the rest, so none can be "not billed".
        lost = true;
        lostCause = new Error(`UnmatchedResults:${answered.unmatched}`);
      }
      if (pending.length === 0) return null;
      lastKind = 'unprocessed';
      lastError = null;
    }
    const error = lastKind === 'unprocessed' ? 'UnprocessedRecords' : awsErrorName(lastError);
    if (lost) {
      event('outcome-unknown', error);
      return { records: pending, cause: lostCause ?? lastError };
    }
    // No retryAfterMs: the core backs off further with each attempt of the record.
    for (const w of pending) settle(w, { recordId: w.record.id, outcome: 'retry', error });
    return null;
  }

  /** AWS refused the whole call (4xx): find the bad records, or give the call back to the caller. */
  private async refused(
    endpoint: MeteringEndpoint,
    batch: MeteringBatch,
    pending: WireRecord[],
    err: unknown,
    settle: Settle,
    /** set when an earlier send of these records lost its answer: AWS may hold them */
    lostCause: unknown = null,
  ): Promise<{ records: WireRecord[]; cause: unknown } | null> {
    const error = awsErrorName(err);
    const priorLoss = lostCause !== null;
    const event = (type: MeteringEvent['type']) =>
      this.onEvent({
        type,
        partition: batch.partition,
        productCode: batch.productCode,
        records: pending.length,
        error,
      });
    if (BATCH_LEVEL_ERRORS.has(error) || (RECORD_LEVEL_ERRORS.has(error) && pending.length === 1)) {
      if (priorLoss) return { records: pending, cause: lostCause };
      for (const w of pending) settle(w, { recordId: w.record.id, outcome: 'rejected', error });
      return null;
    }
    if (RECORD_LEVEL_ERRORS.has(error)) {
      this.stats.splits += 1;
      event('split');
      const half = Math.ceil(pending.length / 2);
      const [left, right] = await Promise.all([
        this.send(endpoint, batch, pending.slice(0, half), settle, priorLoss),
        this.send(endpoint, batch, pending.slice(half), settle, priorLoss),
      ]);
      if (!left && !right) return null;
      return {
        records: [...(left?.records ?? []), ...(right?.records ?? [])],
        cause: left?.cause ?? right?.cause,
      };
    }
    // Not about the records (credentials, permissions, a disabled API, a wrong region): they are fine and
    // must not be dropped; they come back for a later attempt with the reason, for operators to see.
    event('refused');
    if (priorLoss) return { records: pending, cause: lostCause };
    for (const w of pending) settle(w, { recordId: w.record.id, outcome: 'retry', error });
    return null;
  }

  /** Settles each answered record; answers those AWS left unprocessed (or did not mention). */
  private settleResults(
    out: BatchMeterUsageCommandOutput,
    pending: WireRecord[],
    settle: Settle,
  ): { pending: WireRecord[]; unmatched: number } {
    const byKey = new Map<string, WireRecord[]>();
    for (const w of pending) {
      const same = byKey.get(w.key);
      if (same) same.push(w);
      else byKey.set(w.key, [w]);
    }
    const take = (key: string) => byKey.get(key)?.shift();
    let unmatched = 0;
    for (const r of out.Results ?? []) {
      const w = r.UsageRecord ? take(usageKey(r.UsageRecord)) : undefined;
      if (!w) {
        unmatched += 1;
        continue;
      }
      const recordId = w.record.id;
      switch (r.Status) {
        case 'Success':
          settle(w, { recordId, outcome: 'accepted', awsMeteringRecordId: r.MeteringRecordId ?? null });
          break;
        case 'DuplicateRecord':
          settle(w, { recordId, outcome: 'duplicate' });
          break;
        case 'CustomerNotSubscribed':
          settle(w, { recordId, outcome: 'customer-not-subscribed' });
          break;
        default:
          settle(w, { recordId, outcome: 'retry', error: `UnknownStatus:${String(r.Status)}` });
      }
    }
    // UnprocessedRecords, and anything AWS did not mention at all, is sent again.
    return { pending: [...byKey.values()].flat(), unmatched };
  }
}
