import { Binding } from '../domain/binding/binding.js';
import { CloudAccount } from '../domain/cloud-account/cloud-account.js';
import type { PricingCatalogFile } from '../domain/pricing/pricing-catalog.js';
import { UsageRecord } from '../domain/usage/usage-record.js';
import { Workspace } from '../domain/workspace/workspace.js';
import type { InMemoryDatabase } from './in-memory/in-memory-database.js';

/**
 * The world of the metering-plan benchmark, shared by every adapter's run of it (in memory here, on
 * PostgreSQL and SQLite in packages/persistence): N active cloud accounts with 2 workspaces each, one usage
 * record per workspace and billing item for the hour to plan, 4 items over 3 dimensions.
 */
export const METERING_BENCH_CATALOG: PricingCatalogFile = {
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

/** The hour the benchmark plans, and the time it plans at (just after it). */
export const METERING_BENCH_HOUR = new Date('2026-11-02T10:00:00Z');
export const METERING_BENCH_NOW = '2026-11-02T11:00:00Z';

export interface MeteringBenchChunk {
  cloudAccounts: CloudAccount[];
  workspaces: Workspace[];
  bindings: Binding[];
  usage: UsageRecord[];
}

/** The benchmark's rows for accounts [from, to), built deterministically. */
export function meteringBenchChunk(from: number, to: number): MeteringBenchChunk {
  const hour = METERING_BENCH_HOUR;
  const created = new Date(hour.getTime() + 5 * 60_000);
  const items = METERING_BENCH_CATALOG.items.map((i) => i.code);
  const chunk: MeteringBenchChunk = { cloudAccounts: [], workspaces: [], bindings: [], usage: [] };
  for (let a = from; a < to; a++) {
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
    chunk.cloudAccounts.push(ca);
    for (let w = 0; w < 2; w++) {
      const wsId = `${id}-ws${w}`;
      chunk.workspaces.push(
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
      chunk.bindings.push(
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
      items.forEach((item, i) => {
        const n = (a * 2 + w) * items.length + i + 1;
        chunk.usage.push(
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
            seq: null,
            version: 1,
          }),
        );
      });
    }
  }
  return chunk;
}

/**
 * Store the benchmark's world for accounts [0, accounts) in an in-memory database, straight into its
 * tables (as already committed), 10,000 accounts at a time. Returns the number of usage rows.
 */
export function seedMeteringBenchInMemory(db: InMemoryDatabase, accounts: number): number {
  const { tables } = db;
  let usage = 0;
  for (let from = 0; from < accounts; from += 10_000) {
    const chunk = meteringBenchChunk(from, Math.min(accounts, from + 10_000));
    for (const ca of chunk.cloudAccounts) tables.cloudAccounts.put(ca);
    for (const ws of chunk.workspaces) tables.workspaces.put(ws);
    for (const b of chunk.bindings) tables.bindings.put(b);
    for (const u of chunk.usage) tables.usage.put(u);
    usage += chunk.usage.length;
  }
  return usage;
}
