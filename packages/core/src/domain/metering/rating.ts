import { utcDayKey } from '../../shared/time.js';
import type { BillingItem, PricingCatalog, RatingRate } from '../pricing/pricing-catalog.js';
import type { AwsPartition } from '../site/site.js';
import { type Allocation, MAX_ALLOCATIONS, MAX_RECORD_QUANTITY } from './metering-record.js';
import type { RatingState } from './rating-state.js';

export interface UsageReading {
  workspaceId: string;
  itemCode: string;
  quantity: number;
}

export interface RateHourInput<U extends UsageReading = UsageReading> {
  catalog: PricingCatalog;
  partition: AwsPartition;
  hour: Date;
  siteOf: (workspaceId: string) => string;
  /** All readings billed in this hour, including late ones for hours already sealed. */
  usage: Iterable<U>;
  /** The account's stored state for (workspace, item), or a fresh one (the caller keeps it: see RatingBook). */
  state: (workspaceId: string, itemCode: string) => RatingState;
}

export interface RatedHour<U extends UsageReading = UsageReading> {
  /** dimension → workspace → whole quantity for this hour */
  byDimension: Map<string, Map<string, bigint>>;
  /** Which (workspace, item) states this hour changed (`workspace|item`): the book is saved with the records. */
  touched: string[];
  /**
   * Readings of billing items the catalog no longer has (stored before an item was removed): not rated. The
   * caller reports them rather than let them count as billed.
   */
  unrated: U[];
}

/** One (workspace, item) of the hour: its aggregated raw quantity (a number while exact, else a bigint). */
interface Aggregate {
  workspaceId: string;
  itemCode: string;
  item: BillingItem;
  value: number | bigint;
}

/** Past this many (workspace, item) pairs an hour's aggregates are found through a Map, not a scan. */
const SCAN_LIMIT = 24;

/**
 * Rate one hour of one account exactly. `sum` items bill the hour's total; `max` items bill the rise of
 * the day's running maximum, so a day's total equals its maximum. Amounts are exact rationals: the whole
 * part is billed now, the remainder is carried to the next hour, so nothing is ever lost to rounding.
 *
 * The planner rates every account every hour, so this is written for speed: while every figure is a safe
 * integer (they nearly always are) the arithmetic is done on numbers, which is exact there; otherwise, or
 * on a price change, on bigints. Both give the same result (a property test compares them).
 */
export function rateHour<U extends UsageReading>(input: RateHourInput<U>): RatedHour<U> {
  const { catalog } = input;
  const day = utcDayKey(input.hour);
  const aggs: Aggregate[] = [];
  const unrated: U[] = [];
  let index: Map<string, Aggregate> | null = null;
  for (const u of input.usage) {
    const item = catalog.item(u.itemCode);
    if (!item) {
      // refused at ingestion: an item removed since; a catalog edit cannot make old usage crash the planner
      unrated.push(u);
      continue;
    }
    let a: Aggregate | undefined;
    if (index) a = index.get(`${u.workspaceId}|${u.itemCode}`);
    else {
      for (let i = 0; i < aggs.length; i++) {
        const x = aggs[i] as Aggregate;
        if (x.workspaceId === u.workspaceId && x.itemCode === u.itemCode) {
          a = x;
          break;
        }
      }
    }
    if (!a) {
      a = { workspaceId: u.workspaceId, itemCode: u.itemCode, item, value: u.quantity };
      aggs.push(a);
      if (index) index.set(`${u.workspaceId}|${u.itemCode}`, a);
      else if (aggs.length > SCAN_LIMIT)
        index = new Map(aggs.map((x) => [`${x.workspaceId}|${x.itemCode}`, x]));
      continue;
    }
    a.value = combine(item.aggregation, a.value, u.quantity);
  }
  const byDimension = new Map<string, Map<string, bigint>>();
  for (const d of catalog.dimensions) byDimension.set(d.name, new Map());
  const touched: string[] = [];
  for (const a of aggs) {
    const st = input.state(a.workspaceId, a.itemCode);
    const rate = catalog.ratingRate(a.itemCode, input.siteOf(a.workspaceId), input.partition);
    const whole = rateOne(a, st, rate, day);
    touched.push(`${a.workspaceId}|${a.itemCode}`);
    if (whole > 0) {
      const dim = byDimension.get(a.item.dimension) as Map<string, bigint>;
      const w = BigInt(whole);
      const before = dim.get(a.workspaceId);
      dim.set(a.workspaceId, before === undefined ? w : before + w);
    }
  }
  capDimensions(input, byDimension, aggs);
  return { byDimension, touched, unrated };
}

/** The hour's aggregate after one more reading: the sum, or the largest. */
function combine(aggregation: 'sum' | 'max', value: number | bigint, q: number): number | bigint {
  if (aggregation === 'max') return q > value ? q : value;
  if (typeof value === 'number') {
    const sum = value + q;
    return Number.isSafeInteger(sum) ? sum : BigInt(value) + BigInt(q);
  }
  return value + BigInt(q);
}

/** Longest decimal string that is always a safe integer. */
const SAFE_DIGITS = 15;

/**
 * Rate one (workspace, item) aggregate against its state, which it updates in place (carry, denominator,
 * running maximum). Returns the whole quantity billed this hour.
 */
function rateOne(a: Aggregate, st: RatingState, rate: RatingRate, day: string): number | bigint {
  const value = a.value;
  // a carry of 0 is 0 over any denominator; any other carried fraction over another one is rescaled below
  const sameDenominator = st.denominator === rate.denominatorText || st.carry === '0';
  if (
    rate.numerator !== null &&
    typeof value === 'number' &&
    sameDenominator &&
    st.carry.length <= SAFE_DIGITS
  ) {
    const num = rate.numerator;
    const den = rate.denominator as number;
    const carry = Number(st.carry);
    let raw = value;
    let peak = 0;
    if (a.item.aggregation === 'max') {
      peak = st.peakDay === day ? st.peak : 0;
      raw = value > peak ? value - peak : 0;
    }
    // Exact when the result is a safe integer: a product or sum past 2^53 - 1 can only round to 2^53 or
    // more, which is not safe. Then % is exact, and so is dividing the exact multiple total - remainder.
    const total = carry + raw * num;
    if (Number.isSafeInteger(total)) {
      const remainder = total % den;
      if (a.item.aggregation === 'max') {
        st.peakDay = day;
        st.peak = value > peak ? value : peak;
      }
      st.carry = remainder === carry ? st.carry : String(remainder);
      st.denominator = rate.denominatorText;
      return (total - remainder) / den;
    }
  }
  return rateOneExactly(a, st, rate, day);
}

/** The same as `rateOne`, on bigints: any size, and a price change that rescales the carried fraction. */
function rateOneExactly(a: Aggregate, st: RatingState, rate: RatingRate, day: string): bigint {
  let carry = BigInt(st.carry);
  const oldDen = BigInt(st.denominator);
  if (oldDen !== rate.exact.denominator) carry = (carry * rate.exact.denominator) / oldDen; // a price change rescales the fraction
  const value = BigInt(a.value);
  let raw = value;
  if (a.item.aggregation === 'max') {
    const peak = st.peakDay === day ? BigInt(st.peak) : 0n;
    raw = value > peak ? value - peak : 0n;
    st.peakDay = day;
    st.peak = Number(value > peak ? value : peak);
  }
  const total = carry + raw * rate.exact.numeratorPerUnit;
  st.carry = (total % rate.exact.denominator).toString();
  st.denominator = rate.denominatorText;
  return total / rate.exact.denominator;
}

/**
 * AWS takes at most 2^31-1 per record. Anything above is taken back, largest workspaces first, into the
 * carried fraction of one of that workspace's items, so it is billed in a later hour instead of being lost.
 */
export function capDimensions(
  input: Pick<RateHourInput, 'catalog' | 'state'>,
  byDimension: Map<string, Map<string, bigint>>,
  aggs: readonly { workspaceId: string; itemCode: string }[],
): void {
  const max = BigInt(MAX_RECORD_QUANTITY);
  byDimension.forEach((parts, dimension) => {
    let total = 0n;
    for (const v of parts.values()) total += v;
    if (total <= max) return;
    let excess = total - max;
    const largest = [...parts.entries()].sort((a, b) => (a[1] === b[1] ? 0 : a[1] > b[1] ? -1 : 1));
    for (const [ws, v] of largest) {
      if (excess === 0n) break;
      const take = v < excess ? v : excess;
      const carrier = aggs.find(
        (a) => a.workspaceId === ws && input.catalog.item(a.itemCode)?.dimension === dimension,
      );
      if (!carrier) continue;
      const st = input.state(ws, carrier.itemCode);
      st.carry = (BigInt(st.carry) + take * BigInt(st.denominator)).toString();
      parts.set(ws, v - take);
      excess -= take;
    }
  });
}

/** Whether part `a` comes before part `b`: the larger first, ties by workspace id. */
const before = (a: [string, bigint], b: [string, bigint]) => (a[1] === b[1] ? a[0] < b[0] : a[1] > b[1]);

/**
 * Per-workspace `UsageAllocations` summing exactly to the record's quantity. Zero parts are left out; past
 * AWS's limit the smallest parts are pooled into one untagged remainder.
 */
export function allocate(parts: Map<string, bigint>): { quantity: number; allocations: Allocation[] } {
  const entries: Array<[string, bigint]> = [];
  let quantity = 0n;
  parts.forEach((v, workspaceId) => {
    if (v > 0n) {
      entries.push([workspaceId, v]);
      quantity += v;
    }
  });
  if (entries.length > 1) {
    // largest first, ties by workspace id; a record has a few parts: an insertion sort allocates nothing
    if (entries.length <= 16) {
      for (let i = 1; i < entries.length; i++) {
        const e = entries[i] as [string, bigint];
        let j = i - 1;
        while (j >= 0 && before(e, entries[j] as [string, bigint])) {
          entries[j + 1] = entries[j] as [string, bigint];
          j -= 1;
        }
        entries[j + 1] = e;
      }
    } else entries.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }
  let allocations: Allocation[] = entries.map(([workspaceId, q]) => ({ workspaceId, quantity: Number(q) }));
  if (allocations.length > MAX_ALLOCATIONS) {
    const kept = allocations.slice(0, MAX_ALLOCATIONS - 1);
    const rest = allocations.slice(MAX_ALLOCATIONS - 1).reduce((s, a) => s + a.quantity, 0);
    allocations = [...kept, { workspaceId: null, quantity: rest }];
  }
  return { quantity: Number(quantity), allocations };
}
