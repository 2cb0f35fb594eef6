import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ALLOCATIONS, MAX_RECORD_QUANTITY } from '../../src/domain/metering/metering-record.js';
import { allocate, type RatedHour, rateHour, type UsageReading } from '../../src/domain/metering/rating.js';
import { RatingBook } from '../../src/domain/metering/rating-state.js';
import { PricingCatalog, type PricingCatalogFile } from '../../src/domain/pricing/pricing-catalog.js';
import type { AwsPartition } from '../../src/domain/site/site.js';
import { item, testCatalogFile } from './catalogs.js';
import { FC_NUM_RUNS, HOUR, utc } from './helpers.js';
import { referenceRateHour } from './reference-rating.js';

const MAX = BigInt(MAX_RECORD_QUANTITY);
const DAY1 = utc('2026-11-02T00:00:00Z');
const h = (n: number) => new Date(DAY1.getTime() + n * HOUR);

/** Rates successive hours of one cloud account, keeping the rating states as the planner would. */
function rater(catalog: PricingCatalog, partition: AwsPartition = 'aws', sites: Record<string, string> = {}) {
  const book = RatingBook.empty('ca-1');
  const state = (ws: string, itemCode: string) => book.state(ws, itemCode);
  return {
    book,
    state,
    rate: (hour: Date, usage: UsageReading[], c: PricingCatalog = catalog) =>
      rateHour({ catalog: c, partition, hour, siteOf: (ws) => sites[ws] ?? 'us1', usage, state }),
  };
}
const billed = (r: RatedHour, dimension: string, ws: string): bigint =>
  r.byDimension.get(dimension)?.get(ws) ?? 0n;
const u = (workspaceId: string, itemCode: string, quantity: number): UsageReading => ({
  workspaceId,
  itemCode,
  quantity,
});

const catalog = new PricingCatalog(testCatalogFile());
/** One `sum` item on a units dimension of unit size 1, to reach AWS's quantity cap. */
const eventsCatalog = new PricingCatalog({
  ...testCatalogFile(),
  dimensions: [{ name: 'event_units', measure: 'units', description: '' }],
  items: [item({ code: 'events', dimension: 'event_units' })],
});

describe('rateHour: sum items', () => {
  it('bills whole units and carries the fraction across hours so the total is exact', () => {
    const r = rater(catalog);
    const got = [5, 5, 2].map((q, i) => billed(r.rate(h(i), [u('ws-a', 'logs', q)]), 'log_units', 'ws-a'));
    expect(got).toEqual([1n, 2n, 1n]); // 5/3 → 1 r2; 7/3 → 2 r1; 3/3 → 1 r0
    expect(r.state('ws-a', 'logs')).toMatchObject({ carry: '0', denominator: '3' });
  });

  it('a fraction smaller than a unit is carried until it becomes whole', () => {
    const r = rater(catalog);
    const got = [1, 1, 1, 1].map((q, i) => billed(r.rate(h(i), [u('ws-a', 'logs', q)]), 'log_units', 'ws-a'));
    expect(got).toEqual([0n, 0n, 1n, 0n]);
    expect(r.state('ws-a', 'logs').carry).toBe('1');
  });

  it('sums several readings of one hour', () => {
    const r = rater(catalog);
    const res = r.rate(h(0), [u('ws-a', 'logs', 2), u('ws-a', 'logs', 2), u('ws-a', 'logs', 2)]);
    expect(billed(res, 'log_units', 'ws-a')).toBe(2n);
  });

  it('rates cost in cents, with site prices, carrying sub-cent fractions', () => {
    const r = rater(catalog, 'aws', { 'ws-eu': 'eu1' });
    // 0.50 USD per 1000 spans = 0.05 cents per span
    expect(billed(r.rate(h(0), [u('ws-us', 'spans', 1010)]), 'usage_cost', 'ws-us')).toBe(50n);
    expect(r.state('ws-us', 'spans')).toMatchObject({ carry: '500000000', denominator: '1000000000' }); // 0.5 cent
    expect(billed(r.rate(h(1), [u('ws-us', 'spans', 10)]), 'usage_cost', 'ws-us')).toBe(1n);
    expect(r.state('ws-us', 'spans').carry).toBe('0');
    expect(billed(r.rate(h(0), [u('ws-eu', 'spans', 1000)]), 'usage_cost', 'ws-eu')).toBe(70n);
  });

  it('rates aws-cn accounts in fen', () => {
    const r = rater(catalog, 'aws-cn', { 'ws-cn': 'cn2' });
    expect(billed(r.rate(h(0), [u('ws-cn', 'spans', 1000)]), 'usage_cost', 'ws-cn')).toBe(300n);
  });
});

describe('rateHour: max items', () => {
  it("bills the rise of the day's running maximum, so the day's total is max × price", () => {
    const r = rater(catalog);
    const got = [3, 5, 4, 7, 7, 2].map((q, i) =>
      billed(r.rate(h(i), [u('ws-a', 'hosts', q)]), 'host_units', 'ws-a'),
    );
    expect(got).toEqual([3n, 2n, 0n, 2n, 0n, 0n]);
    expect(got.reduce((a, b) => a + b)).toBe(7n);
    expect(r.state('ws-a', 'hosts')).toMatchObject({ peakDay: '2026-11-02', peak: 7 });
  });

  it('starts again on a new UTC day', () => {
    const r = rater(catalog);
    r.rate(h(22), [u('ws-a', 'hosts', 9)]);
    expect(billed(r.rate(h(23), [u('ws-a', 'hosts', 9)]), 'host_units', 'ws-a')).toBe(0n);
    const next = r.rate(h(24), [u('ws-a', 'hosts', 4)]);
    expect(billed(next, 'host_units', 'ws-a')).toBe(4n);
    expect(r.state('ws-a', 'hosts')).toMatchObject({ peakDay: '2026-11-03', peak: 4 });
  });

  it('takes the largest of several readings in one hour', () => {
    const r = rater(catalog);
    const res = r.rate(h(0), [u('ws-a', 'hosts', 4), u('ws-a', 'hosts', 9), u('ws-a', 'hosts', 6)]);
    expect(billed(res, 'host_units', 'ws-a')).toBe(9n);
  });

  it('a max item on a cost dimension bills exactly max × price over the day', () => {
    const r = rater(catalog);
    // 0.25 USD per 10 series = 2.5 cents per series
    const got = [10, 13, 13, 20].map((q, i) =>
      billed(r.rate(h(i), [u('ws-a', 'series', q)]), 'usage_cost', 'ws-a'),
    );
    expect(got).toEqual([25n, 7n, 0n, 18n]);
    expect(got.reduce((a, b) => a + b)).toBe(50n); // 20 × 2.5
    expect(r.state('ws-a', 'series').carry).toBe('0');
  });

  it('keeps a separate running maximum per workspace', () => {
    const r = rater(catalog);
    r.rate(h(0), [u('ws-a', 'hosts', 5), u('ws-b', 'hosts', 1)]);
    const res = r.rate(h(1), [u('ws-a', 'hosts', 5), u('ws-b', 'hosts', 3)]);
    expect(billed(res, 'host_units', 'ws-a')).toBe(0n);
    expect(billed(res, 'host_units', 'ws-b')).toBe(2n);
  });
});

describe('rateHour: several workspaces and dimensions', () => {
  it('returns every dimension, each with the whole quantity per workspace', () => {
    const r = rater(catalog, 'aws', { 'ws-b': 'eu1' });
    const res = r.rate(h(0), [
      u('ws-a', 'spans', 2000),
      u('ws-b', 'spans', 1000),
      u('ws-a', 'logs', 7),
      u('ws-b', 'series', 4),
      u('ws-a', 'hosts', 0),
    ]);
    expect([...res.byDimension.keys()]).toEqual(['log_units', 'host_units', 'usage_cost']);
    expect(Object.fromEntries(res.byDimension.get('usage_cost')!)).toEqual({ 'ws-a': 100n, 'ws-b': 80n });
    expect(Object.fromEntries(res.byDimension.get('log_units')!)).toEqual({ 'ws-a': 2n });
    expect(res.byDimension.get('host_units')!.size).toBe(0);
    expect([...res.touched].sort()).toEqual([
      'ws-a|hosts',
      'ws-a|logs',
      'ws-a|spans',
      'ws-b|series',
      'ws-b|spans',
    ]);
  });

  it('an hour without usage has empty dimensions and touches nothing', () => {
    const res = rater(catalog).rate(h(0), []);
    expect([...res.byDimension.values()].map((m) => m.size)).toEqual([0, 0, 0]);
    expect(res.touched).toEqual([]);
  });

  it('skips usage of items no longer in the catalog, and returns it as unrated', () => {
    const retired = u('ws-a', 'retired-item', 100);
    const res = rater(catalog).rate(h(0), [retired, u('ws-a', 'logs', 3)]);
    expect(res.byDimension.get('usage_cost')?.size).toBe(0);
    expect(res.touched).toEqual(['ws-a|logs']);
    expect(res.unrated).toEqual([retired]); // for the caller to report, not to count as billed
  });

  it('a unit-size change rescales the carried fraction', () => {
    const r = rater(catalog);
    r.rate(h(0), [u('ws-a', 'logs', 4)]); // 1 unit, carry 1/3
    const bigger = new PricingCatalog({
      ...testCatalogFile(),
      items: testCatalogFile().items.map((i) => (i.code === 'logs' ? { ...i, unitSize: 6 } : i)),
    });
    const res = r.rate(h(1), [u('ws-a', 'logs', 4)], bigger); // carry 2/6 + 4/6 = 1
    expect(billed(res, 'log_units', 'ws-a')).toBe(1n);
    expect(r.state('ws-a', 'logs')).toMatchObject({ carry: '0', denominator: '6' });
  });
});

describe('rateHour: the 2^31-1 cap of one record', () => {
  it('takes the excess back from the largest workspace into its carry', () => {
    const r = rater(eventsCatalog);
    const res = r.rate(h(0), [u('ws-a', 'events', 2 ** 31 + 9), u('ws-b', 'events', 10)]);
    const parts = res.byDimension.get('event_units')!;
    expect(parts.get('ws-a')).toBe(MAX - 10n);
    expect(parts.get('ws-b')).toBe(10n);
    expect(parts.get('ws-a')! + parts.get('ws-b')!).toBe(MAX);
    expect(r.state('ws-a', 'events').carry).toBe('20');
    expect(r.state('ws-b', 'events').carry).toBe('0');
    // the carried excess is billed with the workspace's next reading
    const next = r.rate(h(1), [u('ws-a', 'events', 0)]);
    expect(billed(next, 'event_units', 'ws-a')).toBe(20n);
    expect(r.state('ws-a', 'events').carry).toBe('0');
  });

  it('spreads the excess over workspaces largest first', () => {
    const r = rater(eventsCatalog);
    const res = r.rate(h(0), [
      u('ws-a', 'events', 2 ** 31 - 1),
      u('ws-b', 'events', 2 ** 31 - 1),
      u('ws-c', 'events', 5),
    ]);
    const parts = res.byDimension.get('event_units')!;
    expect([parts.get('ws-a'), parts.get('ws-b'), parts.get('ws-c')]).toEqual([0n, MAX - 5n, 5n]);
    expect([r.state('ws-a', 'events').carry, r.state('ws-b', 'events').carry]).toEqual([MAX.toString(), '5']);
  });

  it('bills a single huge hour over several hours without losing a unit', () => {
    const r = rater(eventsCatalog);
    const total = 5_000_000_000;
    const got = [total, 0, 0, 0].map((q, i) =>
      billed(r.rate(h(i), [u('ws-a', 'events', q)]), 'event_units', 'ws-a'),
    );
    expect(got).toEqual([MAX, MAX, BigInt(total) - 2n * MAX, 0n]);
  });

  it('caps a cost dimension too', () => {
    const big = new PricingCatalog({
      ...testCatalogFile(),
      dimensions: [{ name: 'usage_cost', measure: 'cost', description: '' }],
      items: [item({ code: 'spans', dimension: 'usage_cost', unitSize: 1, prices: { USD: '1', CNY: '1' } })],
    });
    const r = rater(big);
    const res = r.rate(h(0), [u('ws-a', 'spans', 30_000_000)]); // 3,000,000,000 cents
    expect(billed(res, 'usage_cost', 'ws-a')).toBe(MAX);
    expect(r.state('ws-a', 'spans')).toMatchObject({
      carry: ((3_000_000_000n - MAX) * 1_000_000n).toString(),
      denominator: '1000000',
    });
  });
});

describe('allocate', () => {
  it('sums exactly, drops zeros and orders largest first (ties by workspace id)', () => {
    const res = allocate(
      new Map([
        ['ws-b', 5n],
        ['ws-z', 0n],
        ['ws-c', 7n],
        ['ws-a', 5n],
      ]),
    );
    expect(res).toEqual({
      quantity: 17,
      allocations: [
        { workspaceId: 'ws-c', quantity: 7 },
        { workspaceId: 'ws-a', quantity: 5 },
        { workspaceId: 'ws-b', quantity: 5 },
      ],
    });
  });

  it('an empty or all-zero hour is quantity 0 with no allocations', () => {
    expect(allocate(new Map())).toEqual({ quantity: 0, allocations: [] });
    expect(allocate(new Map([['ws-a', 0n]]))).toEqual({ quantity: 0, allocations: [] });
  });

  it('keeps up to 2,500 tagged allocations', () => {
    const parts = new Map(
      Array.from({ length: MAX_ALLOCATIONS }, (_, i) => [`ws-${i}`, BigInt(i + 1)] as const),
    );
    const res = allocate(parts);
    expect(res.allocations).toHaveLength(2500);
    expect(res.allocations.every((a) => a.workspaceId !== null)).toBe(true);
    expect(res.quantity).toBe((2500 * 2501) / 2);
  });

  it('beyond 2,500 pools the smallest parts into one untagged remainder', () => {
    const parts = new Map(
      Array.from({ length: 2501 }, (_, i) => [`ws-${String(i).padStart(4, '0')}`, BigInt(i + 1)] as const),
    );
    const res = allocate(parts);
    expect(res.allocations).toHaveLength(2500);
    expect(res.allocations[0]).toEqual({ workspaceId: 'ws-2500', quantity: 2501 });
    expect(res.allocations[2498]).toEqual({ workspaceId: 'ws-0002', quantity: 3 });
    expect(res.allocations[2499]).toEqual({ workspaceId: null, quantity: 1 + 2 });
    expect(res.allocations.reduce((s, a) => s + a.quantity, 0)).toBe(res.quantity);
    expect(res.quantity).toBe((2501 * 2502) / 2);
  });

  it('pools many workspaces and still sums exactly', () => {
    const parts = new Map(
      Array.from({ length: 4000 }, (_, i) => [`ws-${i}`, BigInt((i % 7) + (i % 3 === 0 ? 0 : 1))] as const),
    );
    const res = allocate(parts);
    let total = 0n;
    for (const v of parts.values()) total += v;
    expect(res.quantity).toBe(Number(total));
    expect(res.allocations).toHaveLength(2500);
    expect(res.allocations.filter((a) => a.workspaceId === null)).toHaveLength(1);
    expect(res.allocations.at(-1)?.workspaceId).toBeNull();
    expect(res.allocations.every((a) => a.quantity > 0)).toBe(true);
    expect(res.allocations.reduce((s, a) => s + a.quantity, 0)).toBe(res.quantity);
  });
});

describe('rating conserves every unit (properties)', () => {
  const quantity = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 34 }) }, // sometimes past the record cap
  );

  it('units dimension: billed wholes + carry / k == total usage / k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(quantity, { maxLength: 48 }), (k, hours) => {
        const c = new PricingCatalog({
          ...eventsCatalog.file,
          items: [item({ code: 'events', dimension: 'event_units', unitSize: k })],
        });
        const r = rater(c);
        let sum = 0n;
        let total = 0n;
        hours.forEach((q, i) => {
          const b = billed(r.rate(h(i), [u('ws-a', 'events', q)]), 'event_units', 'ws-a');
          expect(b >= 0n && b <= MAX).toBe(true);
          sum += b;
          total += BigInt(q);
        });
        const st = r.state('ws-a', 'events');
        const carry = hours.length ? BigInt(st.carry) : 0n;
        if (hours.length) expect(st.denominator).toBe(String(k));
        expect(sum * BigInt(k) + carry).toBe(total);
      }),
      { numRuns: FC_NUM_RUNS },
    );
  });

  it('cost dimension: billed wholes + carry == total usage × price, exactly', () => {
    const priceMicros = fc.bigInt({ min: 0n, max: 999_999_999_999_999n });
    fc.assert(
      fc.property(
        priceMicros,
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(quantity, { maxLength: 48 }),
        (micros, minorDigits, unitSize, hours) => {
          const price = `${micros / 1_000_000n}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
          const file: PricingCatalogFile = {
            name: 'p',
            currencies: { USD: { minorDigits }, CNY: { minorDigits } },
            partitionCurrency: { aws: 'USD', 'aws-cn': 'CNY' },
            meteringWindowHours: 24,
            dimensions: [{ name: 'usage_cost', measure: 'cost', description: '' }],
            items: [
              item({ code: 'spans', dimension: 'usage_cost', unitSize, prices: { USD: price, CNY: '0' } }),
            ],
          };
          const r = rater(new PricingCatalog(file));
          let sum = 0n;
          let total = 0n;
          hours.forEach((q, i) => {
            const b = billed(r.rate(h(i), [u('ws-a', 'spans', q)]), 'usage_cost', 'ws-a');
            expect(b >= 0n && b <= MAX).toBe(true);
            sum += b;
            total += BigInt(q);
          });
          // price per raw unit in the smallest currency unit = micros × 10^minor / (unitSize × 10^6)
          const num = micros * 10n ** BigInt(minorDigits);
          const den = BigInt(unitSize) * 1_000_000n;
          const st = r.state('ws-a', 'spans');
          const carry = hours.length ? BigInt(st.carry) : 0n;
          if (hours.length) expect(st.denominator).toBe(den.toString());
          expect(sum * den + carry).toBe(total * num);
        },
      ),
      { numRuns: FC_NUM_RUNS },
    );
  });

  it('max item: billed wholes + carry / k == the sum over days of each day maximum / k', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 72 }),
        (k, hours) => {
          const c = new PricingCatalog({
            ...eventsCatalog.file,
            items: [item({ code: 'events', dimension: 'event_units', unitSize: k, aggregation: 'max' })],
          });
          const r = rater(c);
          let sum = 0n;
          const dayMax = new Map<number, number>();
          hours.forEach((q, i) => {
            sum += billed(r.rate(h(i), [u('ws-a', 'events', q)]), 'event_units', 'ws-a');
            const d = Math.floor(i / 24);
            dayMax.set(d, Math.max(dayMax.get(d) ?? 0, q));
          });
          let expected = 0n;
          for (const m of dayMax.values()) expected += BigInt(m);
          const carry = hours.length ? BigInt(r.state('ws-a', 'events').carry) : 0n;
          expect(sum * BigInt(k) + carry).toBe(expected);
        },
      ),
      { numRuns: FC_NUM_RUNS },
    );
  });

  it('allocate: allocations always sum to the quantity, at most 2,500, none zero', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { maxLength: 3000 }), (values) => {
        const parts = new Map(values.map((v, i) => [`ws-${i}`, v] as const));
        const res = allocate(parts);
        const total = values.reduce((s, v) => s + v, 0n);
        expect(BigInt(res.quantity)).toBe(total);
        expect(res.allocations.reduce((s, a) => s + a.quantity, 0)).toBe(res.quantity);
        expect(res.allocations.length).toBeLessThanOrEqual(MAX_ALLOCATIONS);
        expect(res.allocations.every((a) => a.quantity > 0)).toBe(true);
        const tagged = res.allocations.filter((a) => a.workspaceId !== null).length;
        const nonZero = values.filter((v) => v > 0n).length;
        expect(tagged).toBe(nonZero > MAX_ALLOCATIONS ? MAX_ALLOCATIONS - 1 : nonZero);
      }),
      { numRuns: Math.max(1, Math.floor(FC_NUM_RUNS / 10)) },
    );
  });

  it('allocate: largest first, ties by workspace id, for few parts and many (many ties)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.stringMatching(/^ws-[a-e]{1,3}$/), fc.bigInt({ min: 0n, max: 4n })), {
          selector: (e) => e[0],
          maxLength: 40,
        }),
        (entries) => {
          const res = allocate(new Map(entries));
          const want = entries
            .filter(([, v]) => v > 0n)
            .sort((a, b) => (a[1] === b[1] ? (a[0] < b[0] ? -1 : 1) : a[1] > b[1] ? -1 : 1))
            .map(([workspaceId, v]) => ({ workspaceId, quantity: Number(v) }));
          expect(res.allocations).toEqual(want);
        },
      ),
      { numRuns: FC_NUM_RUNS },
    );
  });
});

describe('rateHour against the all-bigint reference (property)', () => {
  /** mostly small figures, sometimes near or past 2^53, where the number path must give way */
  const quantity = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 100_000 }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: 2 ** 50, max: Number.MAX_SAFE_INTEGER }) },
  );
  const price = fc.oneof(
    fc.constantFrom('0', '0.000001', '0.5', '1.2', '3'),
    fc
      .bigInt({ min: 0n, max: 999_999_999_999_999n })
      .map((m) => `${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, '0')}`),
  );
  const catalogFile = fc
    .record({
      logsUnit: fc.integer({ min: 1, max: 1_000_000 }),
      hostsUnit: fc.integer({ min: 1, max: 100 }),
      spansUnit: fc.integer({ min: 1, max: 1_000_000 }),
      spansPrice: price,
      seriesPrice: price,
      minorDigits: fc.integer({ min: 0, max: 4 }),
    })
    .map(
      (o): PricingCatalogFile => ({
        ...testCatalogFile(),
        currencies: { USD: { minorDigits: o.minorDigits }, CNY: { minorDigits: 2 } },
        items: [
          item({ code: 'logs', unitSize: o.logsUnit, aggregation: 'sum', dimension: 'log_units' }),
          item({ code: 'hosts', unitSize: o.hostsUnit, aggregation: 'max', dimension: 'host_units' }),
          item({
            code: 'spans',
            unitSize: o.spansUnit,
            aggregation: 'sum',
            dimension: 'usage_cost',
            prices: { USD: o.spansPrice, CNY: '3' },
          }),
          item({
            code: 'series',
            unitSize: 10,
            aggregation: 'max',
            dimension: 'usage_cost',
            prices: { USD: o.seriesPrice, CNY: '1.5' },
          }),
        ],
      }),
    );
  const reading = fc.record({
    workspaceId: fc.constantFrom('ws-a', 'ws-b', 'ws-c'),
    itemCode: fc.constantFrom('logs', 'hosts', 'spans', 'series', 'gone'),
    quantity,
  });
  /** each hour: its readings, and whether the catalog changes (a price or unit-size change) before it */
  const hour = fc.record({
    readings: fc.array(reading, { maxLength: 12 }),
    newCatalog: fc.option(catalogFile),
  });

  it('gives the same quantities and leaves the same states, hour after hour, across days and price changes', () => {
    fc.assert(
      fc.property(catalogFile, fc.array(hour, { minLength: 1, maxLength: 30 }), (first, hours) => {
        const fast = RatingBook.empty('ca-1');
        const slow = RatingBook.empty('ca-1');
        let c = new PricingCatalog(first);
        hours.forEach((hr, i) => {
          if (hr.newCatalog) c = new PricingCatalog(hr.newCatalog);
          const at = h(i * 5); // several hours apart: days go by
          const input = {
            catalog: c,
            partition: 'aws' as const,
            hour: at,
            siteOf: () => 'us1',
            usage: hr.readings,
          };
          const got = rateHour({ ...input, state: (ws, it) => fast.state(ws, it) });
          const want = referenceRateHour({ ...input, state: (ws, it) => slow.state(ws, it) });
          expect(got.byDimension).toEqual(want.byDimension);
          expect(got.touched).toEqual(want.touched);
          expect(fast.states).toEqual(slow.states);
        });
      }),
      { numRuns: FC_NUM_RUNS },
    );
  });
});
