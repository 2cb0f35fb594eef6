import { defineRepositoryContracts } from '@billing-center/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPersistence, type Persistence } from '../src/index.js';

// The core's repository contract, unchanged, on embedded SQLite (libsql, `:memory:`): a new database per test.
const open: Persistence[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

describe('SQLite (:memory:)', () => {
  defineRepositoryContracts({ describe, it, expect, beforeEach }, async () => {
    const p = await createPersistence({ database: ':memory:' });
    open.push(p);
    return p.uow;
  });
});
