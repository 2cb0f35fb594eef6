import type { BillingItem, PricingCatalogFile } from '../../src/domain/pricing/pricing-catalog.js';

/** A small, valid catalog for tests: two units dimensions and one cost dimension. */
export function testCatalogFile(o: Partial<PricingCatalogFile> = {}): PricingCatalogFile {
  return {
    name: 'test catalog',
    currencies: { USD: { minorDigits: 2 }, CNY: { minorDigits: 2 } },
    partitionCurrency: { aws: 'USD', 'aws-cn': 'CNY' },
    meteringWindowHours: 24,
    dimensions: [
      { name: 'log_units', measure: 'units', description: 'log events, 3 per unit' },
      { name: 'host_units', measure: 'units', description: 'hosts per day' },
      { name: 'usage_cost', measure: 'cost', description: 'cents / fen' },
    ],
    items: [
      item({ code: 'logs', unitSize: 3, aggregation: 'sum', dimension: 'log_units' }),
      item({ code: 'hosts', unitSize: 1, aggregation: 'max', dimension: 'host_units' }),
      item({
        code: 'spans',
        unitSize: 1000,
        aggregation: 'sum',
        dimension: 'usage_cost',
        prices: { USD: '0.50', CNY: '3' },
        sitePrices: { eu1: { USD: '0.70' } },
      }),
      item({
        code: 'series',
        unitSize: 10,
        aggregation: 'max',
        dimension: 'usage_cost',
        prices: { USD: '0.25', CNY: '1.5' },
      }),
    ],
    ...o,
  };
}

export function item(o: Partial<BillingItem> & Pick<BillingItem, 'code' | 'dimension'>): BillingItem {
  return {
    name: o.code,
    unit: 'unit',
    unitSize: 1,
    aggregation: 'sum',
    prices: { USD: '1', CNY: '1' },
    ...o,
  };
}
