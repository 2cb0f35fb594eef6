/**
 * pnpm bench:metering-plan — the core's metering-plan benchmark on a real database: plan (aggregate, rate,
 * allocate, seal) one hour for N cloud accounts with 2 workspaces each, 4 billing items and 3 dimensions.
 * Runs on PostgreSQL (DATABASE_URL's server, database `<name>_bench`, re-created) and on a temporary SQLite
 * file, each in its own process; prints records/s and peak RSS. `--accounts N` (default 100,000),
 * `--database postgresql|sqlite` for one only, `--profile` to time each repository method. Targets on PostgreSQL: ≥ 20,000 records/s, ≤ 300 MB.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  createTestCore,
  METERING_BENCH_CATALOG,
  METERING_BENCH_NOW,
  meteringBenchChunk,
} from '@billing-center/core/testing';
import type { Persistence } from '../src/index.js';
import { BindingSchema, CloudAccountSchema, WorkspaceSchema } from '../src/mapping/entity-schemas.js';
import { MikroOrmUsageRepository } from '../src/repositories/usage.repository.js';
import { profiled } from './profiled-unit-of-work.js';
import {
  arg,
  fmt,
  openBenchDatabase,
  openExistingBenchDatabase,
  peakRssMb,
  postgresCpuSeconds,
  runChild,
  runPerDatabase,
  seed,
} from './support.js';

const script = fileURLToPath(import.meta.url);
const ACCOUNTS = Number(arg('accounts', '100000'));
const CHUNK = 2_000;
/**
 * How the planning process runs (as a worker process should: see the README): V8 grows the old generation
 * to twice the live heap instead of up to four times, and the young generation stays at Node 20's default
 * size (Node 22 and later default to a larger one). The planner's live heap stays under ~60 MB whatever the
 * number of accounts (a few batches at a time); without these V8 lets garbage pile up to 300–400 MB of RSS
 * between collections, with them the peak is ~210–250 MB at the same speed (Node 20 and 24).
 */
const PLANNER_NODE_OPTIONS = ['--heap-growing-percent=100', '--max-semi-space-size=16'];

/** The world, stored as ingestion and registration would store it (run in its own process). */
async function seedWorld(db: Persistence): Promise<number> {
  let n = 0;
  for (let from = 0; from < ACCOUNTS; from += CHUNK) {
    const {
      cloudAccounts: cas,
      workspaces: wss,
      bindings,
      usage,
    } = meteringBenchChunk(from, Math.min(ACCOUNTS, from + CHUNK));
    n += usage.length;
    await seed(db, async (s) => {
      await s.insert(CloudAccountSchema, cas);
      await s.insert(WorkspaceSchema, wss);
      await s.insert(BindingSchema, bindings);
      await new MikroOrmUsageRepository(s).addMany(usage); // as ingestion stores it: numbered (seq)
    });
  }
  return n;
}

if (process.argv.includes('--seed-into')) {
  const db = await openExistingBenchDatabase(arg('seed-into', ''));
  await seedWorld(db);
  await db.close();
} else if (!runPerDatabase(script, PLANNER_NODE_OPTIONS)) {
  const TARGET = 20_000;
  const catalog = METERING_BENCH_CATALOG;
  const { db, location, cleanup } = await openBenchDatabase();
  const t0 = performance.now();
  // seeded by a child process: the peak RSS printed below is the planner's alone
  runChild(script, [
    '--accounts',
    String(ACCOUNTS),
    '--database',
    arg('database', 'postgresql'),
    '--seed-into',
    location,
  ]);
  const n = ACCOUNTS * 2 * METERING_BENCH_CATALOG.items.length;
  if (db.target.kind === 'postgresql') await db.orm.em.getConnection().execute('analyze');
  const setupMs = performance.now() - t0;

  const profile = process.argv.includes('--profile') ? profiled(db.uow) : null;
  const { useCases } = createTestCore({
    catalog,
    now: METERING_BENCH_NOW,
    uow: profile?.unitOfWork ?? db.uow,
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const pg0 = postgresCpuSeconds();
  // the planner's defaults unless asked otherwise (--batch N --concurrency N)
  const summary = await useCases.planMetering.execute({
    batchSize: process.argv.includes('--batch') ? Number(arg('batch', '')) : undefined,
    concurrency: process.argv.includes('--concurrency') ? Number(arg('concurrency', '')) : undefined,
  });
  const seconds = (performance.now() - start) / 1000;
  const perSecond = summary.records / seconds;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = postgresCpuSeconds();

  console.log(
    `metering-plan (${db.target.display}, MikroORM, Node ${process.version} ${process.execArgv.filter((a) => a.startsWith('--heap') || a.startsWith('--max-semi')).join(' ')})`,
  );
  console.log(
    `  setup: ${fmt(ACCOUNTS)} cloud accounts, ${fmt(ACCOUNTS * 2)} workspaces, ${fmt(n)} usage records in ${(setupMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  planned: ${fmt(summary.accounts)} accounts, ${fmt(summary.hours)} hours, ${fmt(summary.records)} records in ${seconds.toFixed(2)} s`,
  );
  console.log(
    `  records/s: ${fmt(perSecond)}  (target on PostgreSQL ≥ ${fmt(TARGET)}; ratio ${(perSecond / TARGET).toFixed(2)})`,
  );
  console.log(
    `  CPU: planner ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s${pg0 !== null && pg1 !== null ? `, database server ${(pg1 - pg0).toFixed(1)} s (every postgres process on this machine)` : ''} — on ${availableParallelism()} cores`,
  );
  console.log(`  peak RSS: ${peakRssMb().toFixed(0)} MB (target ≤ 300 MB)`);
  if (profile) console.log(`  time per repository method:\n${profile.report()}`);
  await cleanup();
  if (summary.records !== ACCOUNTS * 3) {
    console.error(`expected ${ACCOUNTS * 3} records, planned ${summary.records}`);
    process.exitCode = 1;
  }
}
