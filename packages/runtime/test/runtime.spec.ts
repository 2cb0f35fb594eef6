import {
  FakeMarketplace,
  RecordingNotifier,
  RecordingPublisher,
  TEST_PRODUCTS,
} from '@billing-center/core/testing';
import { describe, expect, it } from 'vitest';
import { readRuntimeConfig } from '../src/environment.js';
import { openRuntime } from '../src/runtime.js';

describe('openRuntime', () => {
  it('builds the core over the configured database and runs a use case end to end', async () => {
    const config = readRuntimeConfig({
      DATABASE_URL: ':memory:',
      MARKETPLACE_PRODUCTS: TEST_PRODUCTS.map((p) => `${p.partition}:${p.productCode}`).join(','),
    });
    const fake = new FakeMarketplace();
    const runtime = await openRuntime(config, {
      notifier: new RecordingNotifier(),
      publisher: new RecordingPublisher(),
      marketplace: { resolver: fake, meteringGateway: fake, entitlements: fake },
    });
    try {
      const account = await runtime.useCases.registerAccount.execute({
        username: 'ada',
        email: 'ada@example.com',
        password: 'a long enough password',
        company: 'Analytical Engines',
      });
      expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
      const signedIn = await runtime.useCases.authenticateAccount.execute({
        login: 'ada',
        password: 'a long enough password',
      });
      expect(signedIn.id).toBe(account.id);
      // SQLite has no change notifications: nothing to invalidate a list cache with
      expect(runtime.workspaceChangeFeed()).toBeNull();
    } finally {
      await runtime.close();
      await runtime.close();
    }
  });

  it('builds the real AWS adapters from the configuration when none are given', async () => {
    const config = readRuntimeConfig({
      DATABASE_URL: ':memory:',
      MARKETPLACE_PRODUCTS: 'aws:prodglobal0001',
      AWS_MARKETPLACE_ENDPOINT: 'http://127.0.0.1:1',
    });
    const runtime = await openRuntime(config, {
      notifier: new RecordingNotifier(),
      publisher: new RecordingPublisher(),
    });
    try {
      expect(runtime.aws?.clients.aws).toBeDefined();
      expect(runtime.aws?.clients['aws-cn']).toBeUndefined();
    } finally {
      await runtime.close();
    }
  });

  it('refuses to start the real AWS adapters without products, naming MARKETPLACE_PRODUCTS', async () => {
    const config = readRuntimeConfig({ DATABASE_URL: ':memory:' });
    await expect(
      openRuntime(config, { notifier: new RecordingNotifier(), publisher: new RecordingPublisher() }),
    ).rejects.toMatchObject({ code: 'invalid-configuration', details: { setting: 'MARKETPLACE_PRODUCTS' } });
  });
});
