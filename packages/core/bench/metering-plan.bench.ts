/**
 * pnpm bench:metering-plan — plan (aggregate, rate, allocate, seal) one hour for N cloud accounts with 2
 * workspaces each, 4 billing items and 3 dimensions, on the in-memory adapters. Prints records/s and peak
 * RSS. `--accounts N` changes N (default 100,000). Target: ≥ 100,000 records/s in memory.
 */
import { Binding, CloudAccount, type PricingCatalogFile, UsageRecord, Workspace } from '../src/index.js';
import { createTestCore } from '../src/testing/index.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ACCOUNTS = arg('accounts', 100_000);
const TARGET = 100_000;

const catalog: PricingCatalogFile = {
  name: 'bench: 4 items, 3 dimensions',
  currencies: { USD: { minorDigits: 2 }, CNY: { minorDigits: 2 } },
  partitionCurrency: { aws: 'USD', 'aws-cn': 'CNY' },
  meteringWindowHours: 24,
  dimensions: [
    { name: 'log_events', measure: 'units', description: 'millions of log events' },
    { name: 'hosts', measure: 'units', description: 'hosts per day' },
    { name: 'usage_cost', measure: 'cost', description: 'cents' },
  ],
  items: [
    {
      code: 'log-events',
      name: 'Logs',
      unit: '1M events',
      unitSize: 1_000_000,
      aggregation: 'sum',
      dimension: 'log_events',
      prices: { USD: '1.2', CNY: '8' },
    },
    {
      code: 'hosts',
      name: 'Hosts',
      unit: 'host/day',
      unitSize: 1,
      aggregation: 'max',
      dimension: 'hosts',
      prices: { USD: '0.1', CNY: '0.7' },
    },
    {
      code: 'trace-spans',
      name: 'Spans',
      unit: '1M spans',
      unitSize: 1_000_000,
      aggregation: 'sum',
      dimension: 'usage_cost',
      prices: { USD: '1.5', CNY: '10' },
    },
    {
      code: 'rum-pv',
      name: 'RUM PV',
      unit: '10k PV',
      unitSize: 10_000,
      aggregation: 'sum',
      dimension: 'usage_cost',
      prices: { USD: '0.45', CNY: '3' },
    },
  ],
};

const core = createTestCore({ catalog, now: '2026-11-02T10:59:00Z' });
const { tables } = core.db;
const hour = new Date('2026-11-02T10:00:00Z');
const created = new Date('2026-11-02T10:05:00Z');
const items = catalog.items.map((i) => i.code);

const t0 = performance.now();
let n = 0;
for (let a = 0; a < ACCOUNTS; a++) {
  const id = `ca-${a.toString().padStart(7, '0')}`;
  const ca = CloudAccount.register({
    id,
    ownerAccountId: `acc-${a}`,
    partition: 'aws',
    productCode: 'prodglobal0001',
    customerAwsAccountId: String(100_000_000_000 + a),
    licenseArn: `arn:aws:license-manager::${100_000_000_000 + a}:license:l-${a.toString(16)}`,
    now: created,
  });
  ca.state = 'active';
  tables.cloudAccounts.put(ca);
  for (let w = 0; w < 2; w++) {
    const wsId = `${id}-ws${w}`;
    tables.workspaces.put(
      Workspace.create({
        id: wsId,
        name: `W${w}`,
        language: 'en',
        siteId: 'us1',
        ownerAccountId: `acc-${a}`,
        method: { kind: 'cloud-account', cloudAccountId: id },
        now: created,
      }),
    );
    tables.bindings.put(
      new Binding({
        id: `${wsId}-b`,
        workspaceId: wsId,
        cloudAccountId: id,
        from: hour,
        to: null,
        endReason: null,
        createdAt: created,
        version: 1,
      }),
    );
    for (const item of items) {
      n += 1;
      tables.usage.put(
        new UsageRecord({
          id: `u-${n}`,
          idempotencyKey: `k-${n}`,
          workspaceId: wsId,
          itemCode: item,
          hour,
          quantity: 1_000 + ((n * 7919) % 5_000_000),
          receivedAt: created,
          payerCloudAccountId: id,
          status: 'pending',
          reason: null,
          meteringRecordId: null,
          meteredHour: null,
          version: 1,
        }),
      );
    }
  }
}
const setupMs = performance.now() - t0;

core.clock.set('2026-11-02T11:00:00Z');
const start = performance.now();
const summary = await core.useCases.planMetering.execute({ batchSize: 1000 });
const seconds = (performance.now() - start) / 1000;
const perSecond = summary.records / seconds;
const peakRssMb = process.resourceUsage().maxRSS / 1024;

console.log(`metering-plan (in-memory adapters, Node ${process.version})`);
console.log(
  `  setup: ${ACCOUNTS.toLocaleString('en')} cloud accounts, ${(ACCOUNTS * 2).toLocaleString('en')} workspaces, ${n.toLocaleString('en')} usage records in ${(setupMs / 1000).toFixed(1)} s`,
);
console.log(
  `  planned: ${summary.accounts.toLocaleString('en')} accounts, ${summary.hours.toLocaleString('en')} hours, ${summary.records.toLocaleString('en')} records in ${seconds.toFixed(2)} s`,
);
console.log(
  `  records/s: ${Math.round(perSecond).toLocaleString('en')}  (target ≥ ${TARGET.toLocaleString('en')}; ratio ${(perSecond / TARGET).toFixed(2)})`,
);
console.log(`  peak RSS: ${peakRssMb.toFixed(0)} MB`);
if (summary.records !== ACCOUNTS * 3) {
  console.error(`expected ${ACCOUNTS * 3} records, planned ${summary.records}`);
  process.exit(1);
}
