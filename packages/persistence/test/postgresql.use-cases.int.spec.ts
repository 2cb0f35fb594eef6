import { afterAll, beforeAll, describe } from 'vitest';
import type { Persistence } from '../src/index.js';
import { openPostgres, truncateAll } from './support/databases.js';
import { defineUseCaseFlows } from './support/flows.js';

let db: Persistence;
beforeAll(async () => {
  db = await openPostgres('use_cases');
});
afterAll(async () => {
  await db?.close();
});

describe('core use cases on PostgreSQL', () => {
  defineUseCaseFlows(async () => {
    await truncateAll(db);
    return db;
  });
});
