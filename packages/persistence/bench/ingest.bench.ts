/**
 * pnpm bench:ingest — usage ingestion through the core's RecordUsage use case in batches of 1,000 records
 * (as the platform pushes them), on PostgreSQL and on a temporary SQLite file, each in its own process.
 * `--records N` (default 100,000), `--workspaces N` (default 1,000; each settled by its own cloud account),
 * `--concurrency N` batches in flight (default 4 on PostgreSQL, as several platform writers push; 1 on SQLite),
 * `--database postgresql|sqlite` for one only, `--profile` to time each repository method. Target on PostgreSQL: ≥ 20,000 records/s.
 */
import { fileURLToPath } from 'node:url';
import { Binding, CloudAccount, Workspace } from '@billing-center/core';
import { createTestCore } from '@billing-center/core/testing';
import { BindingSchema, CloudAccountSchema, WorkspaceSchema } from '../src/mapping/entity-schemas.js';
import { profiled } from './profiled-unit-of-work.js';
import { arg, fmt, openBenchDatabase, peakRssMb, runPerDatabase, seed } from './support.js';

if (!runPerDatabase(fileURLToPath(import.meta.url))) {
  const RECORDS = Number(arg('records', '100000'));
  const WORKSPACES = Number(arg('workspaces', '1000'));
  const BATCH = 1_000;
  // SQLite has one writer: concurrency there only queues
  const CONCURRENCY = Number(arg('concurrency', arg('database', 'postgresql') === 'sqlite' ? '1' : '4'));
  const TARGET = 20_000;
  const { db, cleanup } = await openBenchDatabase();
  const created = new Date('2026-11-02T00:05:00Z');
  const from = new Date('2026-11-02T00:00:00Z');
  const wsIds: string[] = [];
  await seed(db, async (s) => {
    const cas: CloudAccount[] = [];
    const wss: Workspace[] = [];
    const bindings: Binding[] = [];
    for (let i = 0; i < WORKSPACES; i++) {
      const caId = `ca-${i}`;
      const ca = CloudAccount.register({
        id: caId,
        ownerAccountId: `acc-${i}`,
        partition: 'aws',
        productCode: 'prodglobal0001',
        customerAwsAccountId: String(100_000_000_000 + i),
        licenseArn: `arn:aws:license-manager::${100_000_000_000 + i}:license:l-${i.toString(16)}`,
        now: created,
      });
      ca.state = 'active';
      cas.push(ca);
      const ws = Workspace.create({
        id: `ws-${i}`,
        name: 'W',
        language: 'en',
        siteId: 'us1',
        ownerAccountId: `acc-${i}`,
        method: { kind: 'cloud-account', cloudAccountId: caId },
        now: created,
      });
      wss.push(ws);
      wsIds.push(ws.id);
      bindings.push(
        new Binding({
          id: `b-${i}`,
          workspaceId: ws.id,
          cloudAccountId: caId,
          from,
          to: null,
          endReason: null,
          createdAt: created,
          version: 1,
        }),
      );
    }
    await s.insert(CloudAccountSchema, cas);
    await s.insert(WorkspaceSchema, wss);
    await s.insert(BindingSchema, bindings);
  });

  const profile = process.argv.includes('--profile') ? profiled(db.uow) : null;
  const { useCases } = createTestCore({ now: '2026-11-02T12:00:00Z', uow: profile?.unitOfWork ?? db.uow });
  const items = ['time-series', 'log-events', 'trace-spans', 'rum-pv'];
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let sent = 0;
  const latencies: number[] = [];
  const nextBatch = () => {
    if (sent >= RECORDS) return null;
    const records = [];
    for (let i = 0; i < BATCH && sent < RECORDS; i++, sent++) {
      records.push({
        idempotencyKey: `k-${sent}`,
        workspaceId: wsIds[sent % wsIds.length] as string,
        itemCode: items[sent % items.length] as string,
        hour: new Date(
          from.getTime() + (Math.floor(sent / (wsIds.length * items.length)) % 12) * 3_600_000,
        ).toISOString(),
        quantity: 1 + (sent % 1000),
      });
    }
    return records;
  };
  // Several platform writers push at once (as the API's ingestion benchmark does with 4 connections).
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let records = nextBatch(); records; records = nextBatch()) {
        const t = performance.now();
        await useCases.recordUsage.execute({ records, by: { type: 'platform', keyId: 'bench' } });
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const perSecond = sent / seconds;
  console.log(
    `ingest (${db.target.display}, RecordUsage in batches of ${fmt(BATCH)}, ${CONCURRENCY} at a time, Node ${process.version})`,
  );
  console.log(`  ${fmt(sent)} usage records for ${fmt(WORKSPACES)} workspaces in ${seconds.toFixed(2)} s`);
  console.log(
    `  records/s: ${fmt(perSecond)}  (target on PostgreSQL ≥ ${fmt(TARGET)}; ratio ${(perSecond / TARGET).toFixed(2)})`,
  );
  console.log(
    `  per 1,000-record batch: p99 ${p99.toFixed(0)} ms; this process's CPU ${(((cpu.user + cpu.system) / 1000) * (BATCH / sent)).toFixed(1)} ms a batch`,
  );
  console.log(`  peak RSS: ${peakRssMb().toFixed(0)} MB`);
  if (profile) console.log(`  time per repository method:\n${profile.report()}`);
  await cleanup();
}
