/**
 * Several processes writing one SQLite file at once, as `pnpm start` runs the API and the webhook: counts the
 * units of work that failed, by message. Bounded: each process stops after its count or its deadline.
 *
 *   pnpm --filter @billing-center/persistence stress:sqlite [processes=3] [units per process=400] [seconds=25]
 *
 * It runs past 10 s on purpose: MikroORM's libsql client used to reopen its connection after 10 s, without the
 * busy timeout (see src/sqlite-client.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Account } from '@billing-center/core';
import { createPersistence } from '../src/index.js';

type Outcome = { ok: number; failed: Record<string, number> };

const account = (id: string) =>
  Account.register({
    id,
    username: id,
    email: `${id}@example.com`,
    company: 'Acme',
    passwordHash: 'x',
    now: new Date('2026-11-02T10:00:00Z'),
  });

async function worker(file: string, name: string, units: number, deadline: number): Promise<Outcome> {
  const p = await createPersistence({ database: file });
  const outcome: Outcome = { ok: 0, failed: {} };
  let next = 0;
  // two request loops per process, as concurrent requests of one server (they share its one connection)
  const loop = async () => {
    while (next < units && Date.now() < deadline) {
      const i = next++;
      try {
        if (i % 3 === 0) {
          // reads, then writes: with a deferred BEGIN, failed busy (stale snapshot) when another process had
          // committed in between; BEGIN IMMEDIATE waits for the lock instead
          await p.uow.transaction(async (tx) => {
            await tx.accounts.get(`${name}-${i - 3}`);
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            await tx.accounts.add(account(`${name}-${i}`));
          });
        } else if (i % 3 === 1) {
          // writes first: waits for the lock (busy timeout), at its BEGIN
          await p.uow.transaction(async (tx) => {
            await tx.accounts.add(account(`${name}-${i}`));
            await tx.accounts.get(`${name}-${i - 1}`);
          });
        } else {
          await p.uow.read((tx) => tx.accounts.get(`${name}-${i - 2}`));
        }
        outcome.ok += 1;
      } catch (e) {
        const kind = ['read, then write', 'write, then read', 'read only'][i % 3];
        const text = (e instanceof Error ? e.message : String(e)).replace(/: insert into .* - /, ': ');
        const message = `${kind}: ${text}`;
        outcome.failed[message] = (outcome.failed[message] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, Math.random() * 5));
    }
  };
  await Promise.all([loop(), loop()]);
  await p.close();
  return outcome;
}

const [role, ...args] = process.argv.slice(2);
if (role === 'worker') {
  const [file, name, units, deadline] = args as [string, string, string, string];
  process.stdout.write(JSON.stringify(await worker(file, name, Number(units), Number(deadline))));
} else {
  const processes = Number(role ?? 3);
  const units = Number(args[0] ?? 400);
  const seconds = Number(args[1] ?? 25);
  const dir = mkdtempSync(join(tmpdir(), 'billing-center-sqlite-stress-'));
  const file = join(dir, 'shared.sqlite');
  try {
    // the schema first, so that the workers do not race to create it
    await (await createPersistence({ database: file })).close();
    const started = Date.now();
    const deadline = started + seconds * 1000;
    const self = fileURLToPath(import.meta.url);
    const results = await Promise.all(
      Array.from(
        { length: processes },
        (_, n) =>
          new Promise<Outcome>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              ['--import', 'tsx', self, 'worker', file, `p${n}`, String(units), String(deadline)],
              { stdio: ['ignore', 'pipe', 'inherit'] },
            );
            let out = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
            });
            child.on('exit', (code) =>
              code === 0
                ? resolve(JSON.parse(out) as Outcome)
                : reject(new Error(`worker ${n} exited ${code}`)),
            );
          }),
      ),
    );
    const failed: Record<string, number> = {};
    for (const r of results) for (const [m, c] of Object.entries(r.failed)) failed[m] = (failed[m] ?? 0) + c;
    const ok = results.reduce((n, r) => n + r.ok, 0);
    const failures = Object.values(failed).reduce((n, c) => n + c, 0);
    const elapsed = (Date.now() - started) / 1000;
    console.log(`${processes} processes: ${ok} units of work committed, ${failures} failed`);
    console.log(
      `  in ${elapsed.toFixed(1)} s: ${Math.round(ok / elapsed)} committed units of work per second`,
    );
    for (const [m, c] of Object.entries(failed).sort((a, b) => b[1] - a[1])) console.log(`  ${c} × ${m}`);
    process.exitCode = failures === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
