/**
 * Another process on the same SQLite file: adds an account, says "locked" while its transaction still
 * holds the write lock, and commits after the given time. Used by sqlite.real-database.spec.ts.
 */
import { Account } from '@billing-center/core';
import { createPersistence } from '../../src/index.js';

const [file, id, holdMs] = process.argv.slice(2) as [string, string, string];
const p = await createPersistence({ database: file });
await p.uow.transaction(async (tx) => {
  await tx.accounts.add(
    Account.register({
      id,
      username: id,
      email: `${id}@example.com`,
      company: 'Other process',
      passwordHash: 'x',
      now: new Date('2026-11-02T10:00:00Z'),
    }),
  );
  process.stdout.write('locked\n');
  await new Promise((r) => setTimeout(r, Number(holdMs)));
});
await p.close();
