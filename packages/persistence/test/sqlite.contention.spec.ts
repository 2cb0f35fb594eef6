import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Account } from '@billing-center/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createPersistence, type Persistence } from '../src/index.js';

/**
 * Several processes (the API, the webhook, the worker) share one SQLite file. Here a second persistence on the
 * same file stands for the other process: its connection is a separate SQLite connection with its own locks.
 * Every case is deterministic: the other process holds or releases the lock at fixed points of the work.
 */

const dir = mkdtempSync(join(tmpdir(), 'billing-center-sqlite-contention-'));
const opened: Persistence[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((p) => p.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = async (file: string) => {
  const p = await createPersistence({ database: join(dir, file) });
  opened.push(p);
  return p;
};

const account = (id: string) =>
  Account.register({
    id,
    username: id,
    email: `${id}@example.com`,
    company: 'Acme',
    passwordHash: 'x',
    now: new Date('2026-11-02T10:00:00Z'),
  });

/** The libsql connection under MikroORM and knex (one per persistence: the pool holds one). */
interface RawSqlite {
  exec(sql: string): void;
  readonly inTransaction: boolean;
}
interface Pool {
  acquireConnection(): Promise<RawSqlite>;
  releaseConnection(connection: RawSqlite): Promise<unknown>;
}
const poolOf = (p: Persistence) =>
  (p.orm.em.getConnection() as unknown as { getKnex(): { client: Pool } }).getKnex().client;

async function onConnection<T>(p: Persistence, use: (c: RawSqlite) => T): Promise<T> {
  const pool = poolOf(p);
  const connection = await pool.acquireConnection();
  try {
    return use(connection);
  } finally {
    await pool.releaseConnection(connection);
  }
}

/** Which of these accounts are stored, as another process reads them. */
const storedAccounts = (p: Persistence, ids: string[]) =>
  p.uow.read(async (tx) =>
    (await Promise.all(ids.map((id) => tx.accounts.get(id)))).map((a) => a?.id ?? null),
  );

const busyTimeoutOf = async (p: Persistence) => {
  const [row] = (await p.orm.em.getConnection().execute('pragma busy_timeout')) as Array<
    Record<string, number>
  >;
  return Object.values(row ?? {})[0];
};

describe('SQLite file shared with another process', () => {
  it('a write that found the file locked leaves nothing in progress: the unit of work runs again and commits', async () => {
    const p = await open('locked.sqlite');
    const other = await open('locked.sqlite');
    // gives up on the lock after 50 ms rather than 10 s (the outcome does not depend on it: the other process
    // holds the lock until the second attempt releases it)
    await onConnection(p, (c) => c.exec('pragma busy_timeout = 50'));
    const holder = await poolOf(other).acquireConnection();
    try {
      holder.exec('BEGIN IMMEDIATE'); // the other process is writing
      let attempts = 0;
      await p.uow.transaction(async (tx) => {
        attempts += 1;
        if (attempts === 2) holder.exec('COMMIT'); // ... and has committed before the work runs again
        await tx.accounts.add(account(`locked-${attempts}`));
      });
      expect(attempts).toBe(2);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      await poolOf(other).releaseConnection(holder);
    }
    // The failed INSERT is not left in progress on the connection: had it been, this COMMIT and every later one
    // would fail with "cannot commit transaction - SQL statements in progress".
    await p.uow.transaction((tx) => tx.accounts.add(account('later')));
    expect(await storedAccounts(other, ['locked-1', 'locked-2', 'later'])).toEqual([
      null,
      'locked-2',
      'later',
    ]);
  });

  it('a transaction that read before another process committed runs again on fresh data and commits', async () => {
    const p = await open('snapshot.sqlite');
    const other = await open('snapshot.sqlite');
    await onConnection(p, (c) => c.exec('pragma busy_timeout = 50')); // fail fast if it cannot write at all
    // (the other process writes on its raw connection: a unit of work of a second MikroORM in this process
    // would join this one's transaction, which MikroORM finds through async context)
    const writer = await poolOf(other).acquireConnection();
    try {
      writer.exec('create table other_process (n integer)');
      let attempts = 0;
      await p.uow.transaction(async (tx) => {
        attempts += 1;
        await tx.accounts.get('nobody'); // the transaction has read: its snapshot is taken
        if (attempts === 1) writer.exec('insert into other_process values (1)'); // another process commits
        // on the first attempt the snapshot is stale and SQLite refuses the write (SQLITE_BUSY_SNAPSHOT)
        await tx.accounts.add(account(`snapshot-${attempts}`));
      });
      expect(attempts).toBe(2);
    } finally {
      await poolOf(other).releaseConnection(writer);
    }
    await p.uow.transaction((tx) => tx.accounts.add(account('after')));
    expect(await storedAccounts(other, ['snapshot-1', 'snapshot-2', 'after'])).toEqual([
      null,
      'snapshot-2',
      'after',
    ]);
  });

  it('still waits for another writer (busy timeout) once the process has run for a while', async () => {
    const p = await open('long-running.sqlite');
    expect(await busyTimeoutOf(p)).toBe(10_000);
    // the API and the webhook run for hours: the connection they use then must still wait for the lock
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60_000);
    await p.uow.transaction((tx) => tx.accounts.add(account('an-hour-later')));
    expect(await busyTimeoutOf(p)).toBe(10_000);
  });
});
