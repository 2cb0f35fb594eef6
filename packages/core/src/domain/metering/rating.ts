import { utcDayKey } from '../../shared/time.js';
import type { PricingCatalog } from '../pricing/pricing-catalog.js';
import type { AwsPartition } from '../site/site.js';
import { type Allocation, MAX_ALLOCATIONS, MAX_RECORD_QUANTITY } from './metering-record.js';
import type { RatingState } from './rating-state.js';

export interface UsageReading {
  workspaceId: string;
  itemCode: string;
  quantity: number;
}

export interface RateHourInput {
  catalog: PricingCatalog;
  partition: AwsPartition;
  hour: Date;
  siteOf: (workspaceId: string) => string;
  /** All readings billed in this hour, including late ones for hours already sealed. */
  usage: Iterable<UsageReading>;
  /** The account's stored state for (workspace, item), or a fresh one (the caller keeps it: see RatingBook). */
  state: (workspaceId: string, itemCode: string) => RatingState;
}

export interface RatedHour {
  /** dimension → workspace → whole quantity for this hour */
  byDimension: Map<string, Map<string, bigint>>;
  /** Which (workspace, item) states this hour changed (`workspace|item`): the book is saved with the records. */
  touched: string[];
}

/**
 * Rate one hour of one account exactly. `sum` items bill the hour's total; `max` items bill the rise of
 * the day's running maximum, so a day's total equals its maximum. Amounts are exact rationals: the whole
 * part is billed now, the remainder is carried to the next hour, so nothing is ever lost to rounding.
 */
export function rateHour(input: RateHourInput): RatedHour {
  const { catalog } = input;
  const day = utcDayKey(input.hour);
  const agg = new Map<string, { workspaceId: string; itemCode: string; value: bigint }>();
  for (const u of input.usage) {
    const item = catalog.item(u.itemCode);
    if (!item) continue; // refused at ingestion; a catalog edit cannot make old usage crash the planner
    const key = `${u.workspaceId}|${u.itemCode}`;
    const q = BigInt(u.quantity);
    const a = agg.get(key);
    if (!a) agg.set(key, { workspaceId: u.workspaceId, itemCode: u.itemCode, value: q });
    else a.value = item.aggregation === 'sum' ? a.value + q : q > a.value ? q : a.value;
  }
  const byDimension = new Map<string, Map<string, bigint>>();
  for (const d of catalog.dimensions) byDimension.set(d.name, new Map());
  const touched: string[] = [];
  for (const a of agg.values()) {
    const item = catalog.item(a.itemCode);
    if (!item) continue;
    const st = input.state(a.workspaceId, a.itemCode);
    const rate = catalog.rate(a.itemCode, input.siteOf(a.workspaceId), input.partition);
    let carry = BigInt(st.carry);
    const oldDen = BigInt(st.denominator);
    if (oldDen !== rate.denominator) carry = (carry * rate.denominator) / oldDen; // a price change rescales the fraction
    let raw = a.value;
    if (item.aggregation === 'max') {
      const peak = st.peakDay === day ? BigInt(st.peak) : 0n;
      raw = a.value > peak ? a.value - peak : 0n;
      st.peakDay = day;
      st.peak = Number(a.value > peak ? a.value : peak);
    }
    const total = carry + raw * rate.numeratorPerUnit;
    const whole = total / rate.denominator;
    st.carry = (total % rate.denominator).toString();
    st.denominator = rate.denominator.toString();
    touched.push(`${a.workspaceId}|${a.itemCode}`);
    if (whole > 0n) {
      const dim = byDimension.get(item.dimension) as Map<string, bigint>;
      dim.set(a.workspaceId, (dim.get(a.workspaceId) ?? 0n) + whole);
    }
  }
  capDimensions(input, byDimension, agg);
  return { byDimension, touched };
}

/**
 * AWS takes at most 2^31-1 per record. Anything above is taken back, largest workspaces first, into the
 * carried fraction of one of that workspace's items, so it is billed in a later hour instead of being lost.
 */
function capDimensions(
  input: RateHourInput,
  byDimension: Map<string, Map<string, bigint>>,
  agg: Map<string, { workspaceId: string; itemCode: string }>,
): void {
  const max = BigInt(MAX_RECORD_QUANTITY);
  for (const [dimension, parts] of byDimension) {
    let total = 0n;
    for (const v of parts.values()) total += v;
    if (total <= max) continue;
    let excess = total - max;
    const largest = [...parts.entries()].sort((a, b) => (a[1] === b[1] ? 0 : a[1] > b[1] ? -1 : 1));
    for (const [ws, v] of largest) {
      if (excess === 0n) break;
      const take = v < excess ? v : excess;
      const carrier = [...agg.values()].find(
        (a) => a.workspaceId === ws && input.catalog.item(a.itemCode)?.dimension === dimension,
      );
      if (!carrier) continue;
      const st = input.state(ws, carrier.itemCode);
      st.carry = (BigInt(st.carry) + take * BigInt(st.denominator)).toString();
      parts.set(ws, v - take);
      excess -= take;
    }
  }
}

/**
 * Per-workspace `UsageAllocations` summing exactly to the record's quantity. Zero parts are left out; past
 * AWS's limit the smallest parts are pooled into one untagged remainder.
 */
export function allocate(parts: Map<string, bigint>): { quantity: number; allocations: Allocation[] } {
  const entries = [...parts.entries()].filter(([, q]) => q > 0n);
  let quantity = 0n;
  for (const [, q] of entries) quantity += q;
  entries.sort((a, b) => (a[1] === b[1] ? (a[0] < b[0] ? -1 : 1) : a[1] > b[1] ? -1 : 1));
  let allocations: Allocation[] = entries.map(([workspaceId, q]) => ({ workspaceId, quantity: Number(q) }));
  if (allocations.length > MAX_ALLOCATIONS) {
    const kept = allocations.slice(0, MAX_ALLOCATIONS - 1);
    const rest = allocations.slice(MAX_ALLOCATIONS - 1).reduce((s, a) => s + a.quantity, 0);
    allocations = [...kept, { workspaceId: null, quantity: rest }];
  }
  return { quantity: Number(quantity), allocations };
}
