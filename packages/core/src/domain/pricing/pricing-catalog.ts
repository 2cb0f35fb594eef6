import { ValidationError } from '../../shared/domain-error.js';
import type { AwsPartition } from '../site/site.js';

export type Aggregation = 'sum' | 'max';
/** `units`: the dimension counts the item's units; `cost`: rated cost in the smallest currency unit. */
export type DimensionMeasure = 'units' | 'cost';

export interface DimensionDef {
  name: string;
  measure: DimensionMeasure;
  description: string;
}

/**
 * What the platform measures. `unitSize` raw quantities make one priced unit. `sum` items bill the hourly
 * sums; `max` items bill the day's maximum (each hour carries the rise of the day's running maximum).
 */
export interface BillingItem {
  code: string;
  name: string;
  unit: string;
  unitSize: number;
  aggregation: Aggregation;
  dimension: string;
  /** Price of one unit in each currency, as decimal strings of major units ("0.90"). */
  prices: Record<string, string>;
  /** Site-specific prices overriding `prices`: site id → currency → price. */
  sitePrices?: Record<string, Record<string, string>>;
}

export interface PricingCatalogFile {
  name: string;
  currencies: Record<string, { minorDigits: number }>;
  partitionCurrency: Record<AwsPartition, string>;
  /** How long after its hour AWS accepts a record (24 for current products, 6 for older ones). */
  meteringWindowHours: number;
  dimensions: DimensionDef[];
  items: BillingItem[];
}

const PRICE_RE = /^\d{1,9}(\.\d{1,6})?$/;
/** Prices are kept as integers of millionths of a major unit, so rating is exact integer arithmetic. */
const MICRO = 1_000_000n;

function parseMicros(field: string, price: string): bigint {
  if (!PRICE_RE.test(price)) {
    throw new ValidationError('invalid-catalog', `${field} must be a decimal price with at most 6 decimals.`);
  }
  const [whole, frac = ''] = price.split('.');
  return BigInt(whole ?? '0') * MICRO + BigInt(frac.padEnd(6, '0'));
}

export interface ItemRate {
  /** Exact rated amount of `q` raw units = q * numeratorPerUnit / denominator (in dimension quantity). */
  numeratorPerUnit: bigint;
  denominator: bigint;
}

/**
 * An item's rate as rating uses it: the exact fraction, the same as numbers when both are safe integers
 * (rating's fast path; null otherwise), and the denominator as rating states store it.
 */
export interface RatingRate {
  exact: ItemRate;
  numerator: number | null;
  denominator: number | null;
  denominatorText: string;
}

/** Validated, indexed catalog. Throws `invalid-catalog` with the offending field on any inconsistency. */
export class PricingCatalog {
  readonly items: ReadonlyMap<string, BillingItem>;
  readonly dimensions: readonly DimensionDef[];
  readonly meteringWindowHours: number;
  private readonly dimensionByName: ReadonlyMap<string, DimensionDef>;
  /** item → site → [aws, aws-cn]: looked up for every rated (workspace, item), without building a key */
  private readonly ratingRates = new Map<string, Map<string, [RatingRate | null, RatingRate | null]>>();

  constructor(readonly file: PricingCatalogFile) {
    const fail = (msg: string): never => {
      throw new ValidationError('invalid-catalog', msg);
    };
    if (!file || typeof file !== 'object') fail('The pricing catalog must be an object.');
    if (
      !Number.isInteger(file.meteringWindowHours) ||
      file.meteringWindowHours < 1 ||
      file.meteringWindowHours > 24
    ) {
      fail('meteringWindowHours must be a whole number of hours from 1 to 24.');
    }
    for (const [c, def] of Object.entries(file.currencies ?? {})) {
      if (
        !/^[A-Z]{3}$/.test(c) ||
        !Number.isInteger(def.minorDigits) ||
        def.minorDigits < 0 ||
        def.minorDigits > 4
      ) {
        fail(`Currency "${c}" needs a 3-letter code and minorDigits from 0 to 4.`);
      }
    }
    for (const p of ['aws', 'aws-cn'] as const) {
      const c = file.partitionCurrency?.[p];
      if (!c || !file.currencies?.[c]) fail(`partitionCurrency.${p} must name a listed currency.`);
    }
    const dims = new Map<string, DimensionDef>();
    for (const d of file.dimensions ?? []) {
      // AWS dimension names: up to 100 characters of letters, digits, "_" and "-" (we are stricter).
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(d.name)) fail(`Dimension name "${d.name}" is invalid.`);
      if (d.measure !== 'units' && d.measure !== 'cost')
        fail(`Dimension "${d.name}" measure must be units or cost.`);
      if (dims.has(d.name)) fail(`Dimension "${d.name}" is listed twice.`);
      dims.set(d.name, d);
    }
    if (dims.size === 0) fail('The catalog needs at least one dimension.');
    const items = new Map<string, BillingItem>();
    const unitsDimensionUse = new Map<string, string>();
    for (const it of file.items ?? []) {
      if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(it.code)) fail(`Billing item code "${it.code}" is invalid.`);
      if (items.has(it.code)) fail(`Billing item "${it.code}" is listed twice.`);
      if (!Number.isSafeInteger(it.unitSize) || it.unitSize < 1)
        fail(`Billing item "${it.code}" unitSize must be ≥ 1.`);
      if (it.aggregation !== 'sum' && it.aggregation !== 'max')
        fail(`Billing item "${it.code}" aggregation must be sum or max.`);
      const dim = dims.get(it.dimension);
      if (!dim) fail(`Billing item "${it.code}" maps to unknown dimension "${it.dimension}".`);
      if (dim?.measure === 'units') {
        const other = unitsDimensionUse.get(it.dimension);
        if (other)
          fail(`Units dimension "${it.dimension}" can carry one item only (${other} and ${it.code}).`);
        unitsDimensionUse.set(it.dimension, it.code);
      }
      for (const c of Object.values(file.partitionCurrency)) {
        if (it.prices?.[c] === undefined) fail(`Billing item "${it.code}" has no price in ${c}.`);
      }
      for (const [cur, price] of Object.entries(it.prices)) parseMicros(`${it.code}.prices.${cur}`, price);
      for (const [site, byCur] of Object.entries(it.sitePrices ?? {})) {
        for (const [cur, price] of Object.entries(byCur))
          parseMicros(`${it.code}.sitePrices.${site}.${cur}`, price);
      }
      items.set(it.code, it);
    }
    if (items.size === 0) fail('The catalog needs at least one billing item.');
    for (const d of dims.values()) {
      if (![...items.values()].some((i) => i.dimension === d.name))
        fail(`Dimension "${d.name}" has no billing item.`);
    }
    this.items = items;
    this.dimensions = [...dims.values()];
    this.dimensionByName = dims;
    this.meteringWindowHours = file.meteringWindowHours;
  }

  item(code: string): BillingItem | undefined {
    return this.items.get(code);
  }

  dimension(name: string): DimensionDef | undefined {
    return this.dimensionByName.get(name);
  }

  currencyOf(partition: AwsPartition): string {
    return this.file.partitionCurrency[partition];
  }

  /**
   * How raw quantities of `itemCode` on `siteId` turn into quantities of its dimension for an account in
   * `partition`: units → q / unitSize; cost → q / unitSize × price, in the smallest currency unit.
   */
  rate(itemCode: string, siteId: string, partition: AwsPartition): ItemRate {
    return this.ratingRate(itemCode, siteId, partition).exact;
  }

  /** `rate` as rating uses it (see RatingRate); computed once per item, site and partition. */
  ratingRate(itemCode: string, siteId: string, partition: AwsPartition): RatingRate {
    const slot = partition === 'aws' ? 0 : 1;
    const cached = this.ratingRates.get(itemCode)?.get(siteId)?.[slot];
    if (cached) return cached;
    const exact = this.exactRate(itemCode, siteId, partition); // an unknown item throws: nothing is kept
    const safe = (n: bigint) => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : null);
    const numerator = safe(exact.numeratorPerUnit);
    const denominator = safe(exact.denominator);
    const r: RatingRate = {
      exact,
      numerator: numerator !== null && denominator !== null ? numerator : null,
      denominator,
      denominatorText: exact.denominator.toString(),
    };
    let bySite = this.ratingRates.get(itemCode);
    if (!bySite) {
      bySite = new Map();
      this.ratingRates.set(itemCode, bySite);
    }
    const pair = bySite.get(siteId) ?? [null, null];
    pair[slot] = r;
    bySite.set(siteId, pair);
    return r;
  }

  private exactRate(itemCode: string, siteId: string, partition: AwsPartition): ItemRate {
    const item = this.items.get(itemCode);
    if (!item)
      throw new ValidationError('unknown-billing-item', `Billing item "${itemCode}" is not in the catalog.`);
    const dim = this.dimensionByName.get(item.dimension) as DimensionDef;
    if (dim.measure === 'units') return { numeratorPerUnit: 1n, denominator: BigInt(item.unitSize) };
    const cur = this.currencyOf(partition);
    const price = item.sitePrices?.[siteId]?.[cur] ?? item.prices[cur] ?? '0';
    const minor = 10n ** BigInt(this.file.currencies[cur]?.minorDigits ?? 2);
    return {
      numeratorPerUnit: parseMicros(itemCode, price) * minor,
      denominator: BigInt(item.unitSize) * MICRO,
    };
  }
}
