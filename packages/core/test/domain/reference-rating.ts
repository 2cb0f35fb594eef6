import { capDimensions, type RatedHour, type RateHourInput } from '../../src/domain/metering/rating.js';
import { utcDayKey } from '../../src/shared/time.js';

/**
 * The rating of hours as first written: every figure a bigint, nothing cached. The planner's `rateHour`
 * computes on numbers where that is exact; a property test checks it against this, hour after hour.
 */
export function referenceRateHour(input: RateHourInput): Pick<RatedHour, 'byDimension' | 'touched'> {
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
  capDimensions(input, byDimension, [...agg.values()]); // the planner's own: not what this reference checks
  return { byDimension, touched };
}
