import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { createPersistence, type Persistence } from '../src/index.js';
import { Session } from '../src/session.js';

export const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};

/**
 * Without `--database`, runs this same script once per database in a child process each (so that each
 * reports its own peak RSS), forwarding the other arguments; returns true when it did.
 */
export function runPerDatabase(script: string, nodeOptions: readonly string[] = []): boolean {
  if (process.argv.includes('--database')) return false;
  let failed = false;
  for (const db of ['postgresql', 'sqlite']) {
    const r = spawnSync(
      process.execPath,
      [...nodeOptions, ...process.execArgv, script, ...process.argv.slice(2), '--database', db],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) failed = true;
  }
  if (failed) process.exitCode = 1;
  return true;
}

/**
 * A fresh, migrated database of the kind asked for: PostgreSQL `<DATABASE_URL db>_bench`, or a temp SQLite
 * file. `location` is what `openExistingBenchDatabase` takes to open it again from another process.
 */
export async function openBenchDatabase(): Promise<{
  db: Persistence;
  location: string;
  cleanup: () => Promise<void>;
}> {
  const kind = arg('database', 'postgresql');
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'billing-center-bench-'));
    const location = join(dir, 'bench.sqlite');
    const db = await createPersistence({ database: location });
    return {
      db,
      location,
      cleanup: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/billing_center');
  const name = `${decodeURIComponent(base.pathname.slice(1)) || 'billing_center'}_bench`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const maintenance = await createPersistence({ database: admin.toString() });
  const conn = maintenance.orm.em.getConnection() as unknown as { execute(sql: string): Promise<unknown> };
  await conn.execute(`drop database if exists "${name}" with (force)`);
  await conn.execute(`create database "${name}"`);
  await maintenance.close();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await createPersistence({ database: url.toString(), setting: 'DATABASE_URL', migrate: true });
  return { db, location: url.toString(), cleanup: () => db.close() };
}

/** The database `openBenchDatabase` made, opened from another process (a seeding child). */
export function openExistingBenchDatabase(location: string): Promise<Persistence> {
  return createPersistence({ database: location, setting: 'DATABASE_URL' });
}

/**
 * Runs this script again in a child process with `args` (and this process's Node options), waiting for it:
 * the seeding of a benchmark's world, so that the measuring process's peak RSS is its own work's.
 */
export function runChild(script: string, args: string[]): void {
  const r = spawnSync(process.execPath, [...process.execArgv, script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (status ${r.status})`);
}

/** Seeding goes around the ports: raw multi-row inserts, one transaction per call. */
export async function seed(db: Persistence, fn: (s: Session) => Promise<void>): Promise<void> {
  await db.orm.em
    .fork()
    .transactional((em) => fn(new Session(em as SqlEntityManager, db.target.kind, db.target.display)));
  // A live database has planner statistics (autovacuum keeps them); a freshly seeded one has none yet, and
  // PostgreSQL would guess "10 rows" and scan instead of using the indexes.
  await db.orm.em.getConnection().execute('analyze');
}

export const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
export const fmt = (n: number) => Math.round(n).toLocaleString('en');

/**
 * CPU seconds used so far by every `postgres` process of this machine (Linux /proc; null elsewhere): with
 * the planner's own CPU time, where a run's work went, whatever else shares the machine.
 */
export function postgresCpuSeconds(): number | null {
  try {
    const ticks = 100; // USER_HZ on Linux
    let total = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
        const fields = stat.slice(close + 2).split(' ');
        total += Number(fields[11]) + Number(fields[12]); // utime, stime
      } catch {
        // the process ended meanwhile
      }
    }
    return total / ticks;
  } catch {
    return null;
  }
}
