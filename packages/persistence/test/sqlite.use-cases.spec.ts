import { afterEach, describe } from 'vitest';
import { createPersistence, type Persistence } from '../src/index.js';
import { defineUseCaseFlows } from './support/flows.js';

const open: Persistence[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

describe('core use cases on SQLite', () => {
  defineUseCaseFlows(async () => {
    const p = await createPersistence({ database: ':memory:' });
    open.push(p);
    return p;
  });
});
