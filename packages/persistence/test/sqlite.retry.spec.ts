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
