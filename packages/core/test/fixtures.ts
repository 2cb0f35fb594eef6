import type { PricingCatalogFile } from '../src/index.js';

/** Units catalog: one sum item in units, one max item in units, one sum item rated into cents. */
export const UNITS_CATALOG: PricingCatalogFile = {
  name: 'test units',
  currencies: { USD: { minorDigits: 2 }, CNY: { minorDigits: 2 } },
  partitionCurrency: { aws: 'USD', 'aws-cn': 'CNY' },
  meteringWindowHours: 24,
  dimensions: [
    { name: 'events', measure: 'units', description: 'events' },
    { name: 'hosts', measure: 'units', description: 'hosts per day' },
    { name: 'cost', measure: 'cost', description: 'cents' },
  ],
  items: [
    {
      code: 'events',
      name: 'Events',
      unit: '1 event',
      unitSize: 1,
      aggregation: 'sum',
      dimension: 'events',
      prices: { USD: '0.01', CNY: '0.07' },
    },
    {
      code: 'hosts',
      name: 'Hosts',
      unit: '1 host',
      unitSize: 1,
      aggregation: 'max',
      dimension: 'hosts',
      prices: { USD: '0.10', CNY: '0.70' },
    },
    {
      code: 'spans',
      name: 'Spans',
      unit: '1,000 spans',
      unitSize: 1000,
      aggregation: 'sum',
      dimension: 'cost',
      prices: { USD: '0.37', CNY: '2.5' },
    },
  ],
};

export const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 1000);
/** Replay a failing run: FC_SEED=<seed printed by fast-check>. */
export const FC_SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
