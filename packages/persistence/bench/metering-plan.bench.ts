/**
 * pnpm bench:metering-plan — the core's metering-plan benchmark on a real database: plan (aggregate, rate,
 * allocate, seal) one hour for N cloud accounts with 2 workspaces each, 4 billing items and 3 dimensions.
 * Runs on PostgreSQL (DATABASE_URL's server, database `<name>_bench`, re-created) and on a temporary SQLite
 * file, each in its own process; prints records/s and peak RSS. `--accounts N` (default 100,000),
 * `--database postgresql|sqlite` for one only, `--profile` to time each repository method. Targets on PostgreSQL: ≥ 20,000 records/s, ≤ 300 MB.
 */
import { fileURLToPath } from 'node:url';
import {
  Binding,
  CloudAccount,
  createUseCases,
  PricingCatalog,
  type PricingCatalogFile,
  UsageRecord,
  Workspace,
} from '@billing-center/core';
import { createTestCore } from '@billing-center/core/testing';
import {
  BindingSchema,
  CloudAccountSchema,
  UsageRecordSchema,
  WorkspaceSchema,
} from '../src/mapping/entity-schemas.js';
import { profiled } from './profiled-unit-of-work.js';
import { arg, fmt, openBenchDatabase, peakRssMb, runPerDatabase, seed } from './support.js';

if (!runPerDatabase(fileURLToPath(import.meta.url))) {
  const ACCOUNTS = Number(arg('accounts', '100000'));
  const TARGET = 20_000;
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
  const { db, cleanup } = await openBenchDatabase();
  const hour = new Date('2026-11-02T10:00:00Z');
  const created = new Date('2026-11-02T10:05:00Z');
  const items = catalog.items.map((i) => i.code);

  const t0 = performance.now();
  let n = 0;
  const CHUNK = 2_000;
  for (let from = 0; from < ACCOUNTS; from += CHUNK) {
    const cas: CloudAccount[] = [];
    const wss: Workspace[] = [];
    const bindings: Binding[] = [];
    const usage: UsageRecord[] = [];
    for (let a = from; a < Math.min(ACCOUNTS, from + CHUNK); a++) {
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
      cas.push(ca);
      for (let w = 0; w < 2; w++) {
        const wsId = `${id}-ws${w}`;
        wss.push(
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
        bindings.push(
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
          usage.push(
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
    await seed(db, async (s) => {
      await s.insert(CloudAccountSchema, cas);
      await s.insert(WorkspaceSchema, wss);
      await s.insert(BindingSchema, bindings);
      await s.insert(UsageRecordSchema, usage);
    });
  }
  const setupMs = performance.now() - t0;

  const core = createTestCore({ catalog, now: '2026-11-02T11:00:00Z' });
  const profile = process.argv.includes('--profile') ? profiled(db.uow) : null;
  const useCases = createUseCases({
    ...core.ctx,
    catalog: new PricingCatalog(catalog),
    uow: profile?.unitOfWork ?? db.uow,
  });
  const start = performance.now();
  const summary = await useCases.planMetering.execute({ batchSize: 1000 });
  const seconds = (performance.now() - start) / 1000;
  const perSecond = summary.records / seconds;

  console.log(`metering-plan (${db.target.display}, MikroORM, Node ${process.version})`);
  console.log(
    `  setup: ${fmt(ACCOUNTS)} cloud accounts, ${fmt(ACCOUNTS * 2)} workspaces, ${fmt(n)} usage records in ${(setupMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  planned: ${fmt(summary.accounts)} accounts, ${fmt(summary.hours)} hours, ${fmt(summary.records)} records in ${seconds.toFixed(2)} s`,
  );
  console.log(
    `  records/s: ${fmt(perSecond)}  (target on PostgreSQL ≥ ${fmt(TARGET)}; ratio ${(perSecond / TARGET).toFixed(2)})`,
  );
  console.log(`  peak RSS: ${peakRssMb().toFixed(0)} MB (target ≤ 300 MB)`);
  if (profile) console.log(`  time per repository method:\n${profile.report()}`);
  await cleanup();
  if (summary.records !== ACCOUNTS * 3) {
    console.error(`expected ${ACCOUNTS * 3} records, planned ${summary.records}`);
    process.exitCode = 1;
  }
}
