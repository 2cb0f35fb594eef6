import type { SqlEntityManager } from '@mikro-orm/knex';
import { describe, expect, it } from 'vitest';
import { createPersistence } from '../src/index.js';
import { isSqliteBusy, isSqliteTransactionNotBegun } from '../src/unit-of-work.js';

describe('SQLite: a unit of work that could not run is run again', () => {
  it('recognises a busy database and a transaction whose BEGIN failed, however wrapped', () => {
    const notBegun = new Error('Transaction query already complete, run with DEBUG=knex:tx for more info');
    expect(isSqliteTransactionNotBegun(notBegun)).toBe(true);
    expect(isSqliteTransactionNotBegun(new Error('wrapped', { cause: notBegun }))).toBe(true);
    expect(isSqliteBusy(Object.assign(new Error('x'), { code: 'SQLITE_BUSY_SNAPSHOT' }))).toBe(true);
    expect(isSqliteTransactionNotBegun(new Error('database is locked'))).toBe(false);
    expect(isSqliteBusy(new Error('UNIQUE constraint failed'))).toBe(false);
  });

  it('rolls back a transaction left open on the connection, so the next unit of work can begin', async () => {
    const p = await createPersistence({ database: ':memory:' });
    try {
      // what a COMMIT that failed busy leaves behind: SQLite's transaction still open on the one connection
      const em = p.orm.em.fork() as unknown as SqlEntityManager;
      const client = em.getConnection().getKnex().client as unknown as {
        acquireConnection(): Promise<{ exec(sql: string): unknown; inTransaction: boolean }>;
        releaseConnection(c: unknown): Promise<unknown>;
      };
      const raw = await client.acquireConnection();
      raw.exec('BEGIN');
      await client.releaseConnection(raw);
      expect(raw.inTransaction).toBe(true);
      let calls = 0;
      const result = await p.uow.transaction(async (tx) => {
        calls += 1;
        return (await tx.accounts.get('nobody')) === null ? 'began' : 'odd';
      });
      expect(result).toBe('began');
      expect(raw.inTransaction).toBe(false);
      // the BEGIN failed ("cannot start a transaction within a transaction") before the work ran; the
      // leftover was rolled back and the second attempt ran it
      expect(calls).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('runs the work again after such a failure, and not after any other', async () => {
    const p = await createPersistence({ database: ':memory:' });
    try {
      let calls = 0;
      const result = await p.uow.transaction(async () => {
        calls += 1;
        if (calls === 1) throw new Error('Transaction query already complete, run with DEBUG=knex:tx');
        return 'done';
      });
      expect([result, calls]).toEqual(['done', 2]);
      let other = 0;
      await expect(
        p.uow.transaction(async () => {
          other += 1;
          throw new Error('something else');
        }),
      ).rejects.toThrow();
      expect(other).toBe(1);
    } finally {
      await p.close();
    }
  });
});
