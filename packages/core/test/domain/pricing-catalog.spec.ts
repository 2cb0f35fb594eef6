import { describe, expect, it } from 'vitest';
import defaultCatalogFile from '../../src/domain/pricing/default-catalog.json' with { type: 'json' };
import { PricingCatalog, type PricingCatalogFile } from '../../src/domain/pricing/pricing-catalog.js';
import { DEFAULT_SITES } from '../../src/domain/site/site.js';
import { item, testCatalogFile } from './catalogs.js';
import { expectDomainError } from './helpers.js';

/** Expect the file to be refused as `invalid-catalog`, for the reason `why` (a fragment of the message). */
const invalid = (file: unknown, why: string | RegExp) => {
  const e = expectDomainError(
    () => new PricingCatalog(file as PricingCatalogFile),
    'invalid-catalog',
    'validation',
  );
  expect(e.message).toMatch(why);
  return e;
};

/** A test catalog with one item replaced. */
const withItem = (code: string, change: Record<string, unknown>) => {
  const f = testCatalogFile();
  f.items = f.items.map((i) => (i.code === code ? ({ ...i, ...change } as typeof i) : i));
  return f;
};

describe('PricingCatalog: the shipped default catalog', () => {
  const catalog = new PricingCatalog(defaultCatalogFile as PricingCatalogFile);

  it('loads with a single cost dimension, a 24-hour window and every documented item', () => {
    expect(catalog.meteringWindowHours).toBe(24);
    expect(catalog.dimensions.map((d) => [d.name, d.measure])).toEqual([['usage_cost', 'cost']]);
    expect([...catalog.items.keys()]).toEqual([
      'time-series',
      'log-events',
      'trace-spans',
      'rum-pv',
      'synthetic-tests',
      'triggers',
      'sms',
      'hosts',
    ]);
    expect(catalog.currencyOf('aws')).toBe('USD');
    expect(catalog.currencyOf('aws-cn')).toBe('CNY');
  });

  it('prices every item in cents on aws and in fen on aws-cn on every AWS site', () => {
    const awsSites = DEFAULT_SITES.filter((s) => s.cloud === 'aws').map((s) => s.id);
    expect(awsSites).toEqual(['cn2', 'us1', 'eu1', 'ap1']);
    for (const code of catalog.items.keys()) {
      for (const site of awsSites) {
        for (const p of ['aws', 'aws-cn'] as const) {
          const r = catalog.rate(code, site, p);
          expect(r.numeratorPerUnit > 0n).toBe(true);
          expect(r.denominator > 0n).toBe(true);
        }
      }
    }
  });

  it('1,000 active time series for a day cost 90 cents on aws and 600 fen on aws-cn', () => {
    const usd = catalog.rate('time-series', 'us1', 'aws');
    expect((1000n * usd.numeratorPerUnit) / usd.denominator).toBe(90n);
    expect((1000n * usd.numeratorPerUnit) % usd.denominator).toBe(0n);
    const cny = catalog.rate('time-series', 'cn2', 'aws-cn');
    expect((1000n * cny.numeratorPerUnit) / cny.denominator).toBe(600n);
  });

  it('log events on eu1 use the site price (1.40 USD per million), elsewhere the list price', () => {
    const eu = catalog.rate('log-events', 'eu1', 'aws');
    const us = catalog.rate('log-events', 'us1', 'aws');
    expect((1_000_000n * eu.numeratorPerUnit) / eu.denominator).toBe(140n);
    expect((1_000_000n * us.numeratorPerUnit) / us.denominator).toBe(120n);
  });
});

describe('PricingCatalog accessors', () => {
  const catalog = new PricingCatalog(testCatalogFile());

  it('looks up items and dimensions by name', () => {
    expect(catalog.item('logs')?.unitSize).toBe(3);
    expect(catalog.item('nope')).toBeUndefined();
    expect(catalog.dimension('usage_cost')?.measure).toBe('cost');
    expect(catalog.dimension('nope')).toBeUndefined();
    expect(catalog.dimensions.map((d) => d.name)).toEqual(['log_units', 'host_units', 'usage_cost']);
  });
});

describe('PricingCatalog.rate', () => {
  const catalog = new PricingCatalog(testCatalogFile());

  it('a units dimension counts q / unitSize, whatever the site or partition', () => {
    expect(catalog.rate('logs', 'us1', 'aws')).toEqual({ numeratorPerUnit: 1n, denominator: 3n });
    expect(catalog.rate('logs', 'cn2', 'aws-cn')).toEqual({ numeratorPerUnit: 1n, denominator: 3n });
    expect(catalog.rate('hosts', 'eu1', 'aws')).toEqual({ numeratorPerUnit: 1n, denominator: 1n });
  });

  it('a cost dimension rates q / unitSize × price in the smallest unit of the partition currency', () => {
    // 0.50 USD = 500,000 micro-dollars; × 100 cents; over 1000 raw × 1,000,000 micro
    expect(catalog.rate('spans', 'us1', 'aws')).toEqual({
      numeratorPerUnit: 50_000_000n,
      denominator: 1_000_000_000n,
    });
    // 3 CNY per 1000 spans, in fen
    expect(catalog.rate('spans', 'cn2', 'aws-cn')).toEqual({
      numeratorPerUnit: 300_000_000n,
      denominator: 1_000_000_000n,
    });
  });

  it('a site price overrides the list price only for its site and currency', () => {
    expect(catalog.rate('spans', 'eu1', 'aws')).toEqual({
      numeratorPerUnit: 70_000_000n,
      denominator: 1_000_000_000n,
    });
    // eu1 has no CNY site price: the list CNY price applies
    expect(catalog.rate('spans', 'eu1', 'aws-cn')).toEqual({
      numeratorPerUnit: 300_000_000n,
      denominator: 1_000_000_000n,
    });
  });

  it('the currency follows the partition, not the site', () => {
    // cn2 is a CNY site, but an aws-partition account pays in USD
    expect(catalog.rate('spans', 'cn2', 'aws')).toEqual(catalog.rate('spans', 'us1', 'aws'));
  });

  it('uses the currency minor digits (0 for JPY-like, 3 for KWD-like)', () => {
    const f = testCatalogFile({
      currencies: { JPY: { minorDigits: 0 }, KWD: { minorDigits: 3 } },
      partitionCurrency: { aws: 'JPY', 'aws-cn': 'KWD' },
    });
    f.items = f.items.map((i) => ({ ...i, prices: { JPY: '150', KWD: '0.125' }, sitePrices: {} }));
    const c = new PricingCatalog(f);
    const jpy = c.rate('spans', 'us1', 'aws');
    expect((1000n * jpy.numeratorPerUnit) / jpy.denominator).toBe(150n);
    const kwd = c.rate('spans', 'us1', 'aws-cn');
    expect((1000n * kwd.numeratorPerUnit) / kwd.denominator).toBe(125n);
  });

  it('handles six decimals exactly', () => {
    const c = new PricingCatalog(withItem('spans', { prices: { USD: '0.000001', CNY: '123456789.999999' } }));
    expect(c.rate('spans', 'us1', 'aws')).toEqual({ numeratorPerUnit: 100n, denominator: 1_000_000_000n });
    expect(c.rate('spans', 'us1', 'aws-cn')).toEqual({
      numeratorPerUnit: 12_345_678_999_999_900n,
      denominator: 1_000_000_000n,
    });
  });

  it('an unknown item is refused with unknown-billing-item', () => {
    expectDomainError(() => catalog.rate('nope', 'us1', 'aws'), 'unknown-billing-item', 'validation');
  });

  it('returns the same rate on repeated calls', () => {
    const a = catalog.rate('spans', 'ap1', 'aws');
    expect(catalog.rate('spans', 'ap1', 'aws')).toBe(a);
  });
});

describe('PricingCatalog validation (every error is invalid-catalog)', () => {
  it('accepts the test catalog', () => {
    expect(() => new PricingCatalog(testCatalogFile())).not.toThrow();
  });

  it('refuses a non-object', () => {
    invalid(null, 'must be an object');
    invalid('catalog', 'must be an object');
  });

  it('refuses a metering window outside 1..24 whole hours', () => {
    for (const w of [0, 25, 6.5, -1, Number.NaN, '24'])
      invalid(testCatalogFile({ meteringWindowHours: w as number }), 'meteringWindowHours');
    expect(new PricingCatalog(testCatalogFile({ meteringWindowHours: 1 })).meteringWindowHours).toBe(1);
    expect(new PricingCatalog(testCatalogFile({ meteringWindowHours: 6 })).meteringWindowHours).toBe(6);
  });

  it('refuses a currency code that is not three capital letters', () => {
    for (const code of ['usd', 'US', 'USDT', 'U1D']) {
      const f = testCatalogFile();
      f.currencies = { ...f.currencies, [code]: { minorDigits: 2 } };
      invalid(f, `Currency "${code}"`);
    }
  });

  it('refuses minorDigits outside 0..4 or fractional', () => {
    for (const minorDigits of [-1, 5, 1.5]) {
      invalid(
        testCatalogFile({ currencies: { USD: { minorDigits }, CNY: { minorDigits: 2 } } }),
        'Currency "USD"',
      );
    }
  });

  it('refuses a partition currency that is missing or not listed', () => {
    invalid(
      testCatalogFile({ partitionCurrency: { aws: 'USD' } as PricingCatalogFile['partitionCurrency'] }),
      'partitionCurrency.aws-cn',
    );
    invalid(
      testCatalogFile({ partitionCurrency: { aws: 'EUR', 'aws-cn': 'CNY' } }),
      'partitionCurrency.aws ',
    );
    invalid(testCatalogFile({ partitionCurrency: { aws: 'USD', 'aws-cn': '' } }), 'partitionCurrency.aws-cn');
  });

  it('refuses invalid, badly measured or repeated dimensions, and an empty list', () => {
    const dims = (d: unknown[]) => testCatalogFile({ dimensions: d as PricingCatalogFile['dimensions'] });
    const f = testCatalogFile();
    invalid(
      dims([{ name: 'bad name', measure: 'units', description: '' }, ...f.dimensions]),
      'Dimension name "bad name" is invalid',
    );
    invalid(
      dims([{ name: 'x'.repeat(101), measure: 'units', description: '' }, ...f.dimensions]),
      'is invalid',
    );
    invalid(
      dims([{ name: '', measure: 'units', description: '' }, ...f.dimensions]),
      'Dimension name "" is invalid',
    );
    invalid(
      dims(f.dimensions.map((d) => (d.name === 'usage_cost' ? { ...d, measure: 'money' } : d))),
      'measure must be units or cost',
    );
    invalid(dims([...f.dimensions, f.dimensions[0]]), 'Dimension "log_units" is listed twice');
    invalid(dims([]), 'at least one dimension');
  });

  it('refuses a dimension that no item maps to', () => {
    const f = testCatalogFile();
    f.dimensions.push({ name: 'orphan', measure: 'cost', description: '' });
    invalid(f, 'Dimension "orphan" has no billing item');
  });

  it('refuses an empty item list', () => {
    invalid(testCatalogFile({ items: [] }), 'at least one billing item');
  });

  it('refuses invalid item codes', () => {
    for (const code of ['', 'Logs', '-logs', 'logs_x', 'a'.repeat(65)])
      invalid(withItem('logs', { code }), 'code');
    expect(
      new PricingCatalog(withItem('logs', { code: `a${'-'.repeat(63)}` })).item(`a${'-'.repeat(63)}`),
    ).toBeDefined();
  });

  it('refuses a repeated item code', () => {
    const f = testCatalogFile();
    f.items.push({ ...f.items[2]!, dimension: 'usage_cost' });
    invalid(f, 'Billing item "spans" is listed twice');
  });

  it('refuses a unitSize that is not a whole number ≥ 1', () => {
    for (const unitSize of [0, -3, 2.5, Number.MAX_SAFE_INTEGER + 1])
      invalid(withItem('logs', { unitSize }), 'unitSize');
  });

  it('refuses an aggregation other than sum or max', () => {
    invalid(withItem('logs', { aggregation: 'avg' }), 'aggregation must be sum or max');
  });

  it('refuses an item mapped to an unknown dimension', () => {
    invalid(withItem('logs', { dimension: 'nope' }), 'unknown dimension "nope"');
  });

  it('refuses two items on one units dimension (a units record can count one item only)', () => {
    const f = testCatalogFile();
    f.items.push(item({ code: 'more-logs', dimension: 'log_units' }));
    invalid(f, 'Units dimension "log_units" can carry one item only (logs and more-logs)');
    // but many items may share a cost dimension
    const g = testCatalogFile();
    g.items.push(item({ code: 'more-spans', dimension: 'usage_cost' }));
    expect(() => new PricingCatalog(g)).not.toThrow();
  });

  it('refuses an item without a price in a partition currency', () => {
    invalid(withItem('logs', { prices: { USD: '1' } }), 'has no price in CNY');
    invalid(withItem('logs', { prices: undefined }), 'has no price in USD');
  });

  it('refuses prices that are not plain decimals with at most 6 decimals and 9 whole digits', () => {
    for (const bad of ['1.2345678', '-1', '1,20', '1e3', '', '.5', '1.', '1234567890', ' 1', 'free']) {
      invalid(
        withItem('spans', { prices: { USD: bad, CNY: '1' } }),
        'spans.prices.USD must be a decimal price',
      );
    }
    for (const ok of ['0', '0.0', '123456789', '1.123456']) {
      expect(() => new PricingCatalog(withItem('spans', { prices: { USD: ok, CNY: '1' } }))).not.toThrow();
    }
  });

  it('validates prices in extra currencies and site prices too', () => {
    invalid(withItem('spans', { prices: { USD: '1', CNY: '1', EUR: 'abc' } }), 'spans.prices.EUR');
    invalid(withItem('spans', { sitePrices: { eu1: { USD: '1.2345678' } } }), 'spans.sitePrices.eu1.USD');
  });

  // BUG (pricing catalog: missing `currencies` crashes instead of failing validation): the currencies loop
  // guards with `file.currencies ?? {}`, but the partitionCurrency check reads `file.currencies[c]` unguarded,
  // so a catalog file without "currencies" throws a TypeError instead of `invalid-catalog`.
  // Fix: `if (!c || !file.currencies?.[c]) fail(...)` (or fail early when `currencies` is not an object).
  it('BUG: a catalog without currencies is refused as invalid-catalog, not with a TypeError', () => {
    const f = testCatalogFile();
    delete (f as Partial<PricingCatalogFile>).currencies;
    invalid(f, 'partitionCurrency.aws');
  });
});
