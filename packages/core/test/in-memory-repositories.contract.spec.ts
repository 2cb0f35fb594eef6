import { beforeEach, describe, expect, it } from 'vitest';
import { defineRepositoryContracts, InMemoryDatabase } from '../src/testing/index.js';

describe('in-memory adapter', () => {
  defineRepositoryContracts({ describe, it, expect, beforeEach }, async () => new InMemoryDatabase());
});
