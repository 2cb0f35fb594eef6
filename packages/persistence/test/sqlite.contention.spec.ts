import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@billing-center/core';
import { mother } from '@billing-center/core/testing';
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

/** `busyTimeoutMs`: how long its writers wait for the other's lock (default 10 s) */
const open = async (file: string, busyTimeoutMs?: number) => {
  const p = await createPersistence({ database: join(dir, file), busyTimeoutMs });
  opened.push(p);
  return p;
};

const account = (id: string) => mother.account({ id });

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
  it('a write unit of work holds the lock from its BEGIN: another process cannot commit between its read and its write', async () => {
    const p = await open('snapshot.sqlite');
    const other = await open('snapshot.sqlite');
    // (the other process writes on its raw connection: a unit of work of a second MikroORM in this process
    // would join this one's transaction, which MikroORM finds through async context)
    const writer = await poolOf(other).acquireConnection();
    try {
      writer.exec('create table other_process (n integer)');
      writer.exec('pragma busy_timeout = 0'); // the other process finds the lock taken at once
      let attempts = 0;
      let otherWrite = '';
      await p.uow.transaction(async (tx) => {
        attempts += 1;
        await tx.accounts.get('nobody'); // the transaction has read: its snapshot is taken
        try {
          writer.exec('insert into other_process values (1)'); // another process tries to commit
          otherWrite = 'committed';
        } catch (e) {
          otherWrite = (e as Error).message;
        }
        // with a deferred BEGIN the other process would have committed, and this write would fail at once
        // (SQLITE_BUSY_SNAPSHOT: a stale snapshot), to run the whole unit of work again
        await tx.accounts.add(account(`snapshot-${attempts}`));
      });
      expect(otherWrite).toMatch(/database is locked/);
      expect(attempts).toBe(1);
      writer.exec('insert into other_process values (2)'); // the lock is free again once it committed
    } finally {
      await poolOf(other).releaseConnection(writer);
    }
    await p.uow.transaction((tx) => tx.accounts.add(account('after')));
    expect(await storedAccounts(other, ['snapshot-1', 'snapshot-2', 'after'])).toEqual([
      'snapshot-1',
      null,
      'after',
    ]);
  });

  it('a read-only unit of work does not wait for another process that holds the write lock', async () => {
    // were the read to wait for the lock, it would fail after 100 ms (the lock is held throughout)
    const p = await open('reader.sqlite', 100);
    const other = await open('reader.sqlite');
    await p.uow.transaction((tx) => tx.accounts.add(account('committed')));
    const holder = await poolOf(other).acquireConnection();
    try {
      holder.exec('BEGIN IMMEDIATE'); // the other process is writing ...
      holder.exec(`update "account" set "company" = 'Other' where "id" = 'committed'`); // ... not committed
      const read = await p.uow.read(async (tx) => (await tx.accounts.get('committed'))?.company);
      expect(read).toBe('Example Ltd'); // the last committed state, without waiting
      expect(holder.inTransaction).toBe(true);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      await poolOf(other).releaseConnection(holder);
    }
  });

  it('a write unit of work waits for the lock up to the busy timeout, then fails as database-unavailable without running its work', async () => {
    const p = await open('locked.sqlite', 100);
    const other = await open('locked.sqlite');
    const holder = await poolOf(other).acquireConnection();
    let runs = 0;
    let failure: unknown;
    let waited = 0;
    try {
      holder.exec('BEGIN IMMEDIATE'); // the other process is writing, and holds the lock throughout
      const started = performance.now();
      failure = await p.uow
        .transaction(async (tx) => {
          runs += 1;
          await tx.accounts.get('nobody');
          await tx.accounts.add(account('locked'));
        })
        .catch((e: unknown) => e);
      waited = performance.now() - started;
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      await poolOf(other).releaseConnection(holder);
    }
    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as UnavailableError).code).toBe('database-unavailable');
    expect((failure as Error).message).toMatch(/database is locked/);
    // the lock is taken at BEGIN, before the work runs; after a whole busy timeout it is not tried again
    expect(runs).toBe(0);
    expect(waited).toBeGreaterThanOrEqual(100); // SQLite sleeps at least the busy timeout (a lower bound only)
    // The failed BEGIN is not left in progress on the connection: had it been, this COMMIT and every later one
    // would fail with "cannot commit transaction - SQL statements in progress".
    await p.uow.transaction((tx) => tx.accounts.add(account('later')));
    expect(await storedAccounts(other, ['locked', 'later'])).toEqual([null, 'later']);
  });

  it('replaces its connection after 10 s, and the new one still waits for another writer', async () => {
    const p = await open('long-running.sqlite');
    expect(await busyTimeoutOf(p)).toBe(10_000);
    const connection = async () => {
      const c = await poolOf(p).acquireConnection();
      await poolOf(p).releaseConnection(c);
      return c;
    };
    const first = await connection();
    // the API and the webhook run for hours: the connection they use then must still wait for the lock
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60_000);
    await p.uow.transaction((tx) => tx.accounts.add(account('an-hour-later')));
    expect(await busyTimeoutOf(p)).toBe(10_000);
    // a new connection: libsql frees the statements prepared on one only when it closes (or on GC)
    expect(await connection()).not.toBe(first);
  });
});
