import { defineRepositoryContracts } from '@billing-center/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Persistence } from '../src/index.js';
import { openPostgres, truncateAll } from './support/databases.js';

// The core's repository contract, unchanged, on PostgreSQL: one migrated database for this file, emptied
// before each test.
let db: Persistence;
beforeAll(async () => {
  db = await openPostgres('contract');
});
afterAll(async () => {
  await db?.close();
});

describe('PostgreSQL', () => {
  defineRepositoryContracts({ describe, it, expect, beforeEach }, async () => {
    await truncateAll(db);
    return db.uow;
  });
});
