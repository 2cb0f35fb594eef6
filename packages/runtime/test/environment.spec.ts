import { describe, expect, it } from 'vitest';
import { readRuntimeConfig } from '../src/environment.js';

describe('readRuntimeConfig', () => {
  it('takes the defaults from an empty environment', () => {
    const c = readRuntimeConfig({});
    expect(c.core.lockGraceDays).toBe(14);
    expect(c.core.products).toEqual([]);
    expect(c.database).toBeUndefined();
    expect(c.marketplace.partitions).toEqual({});
    expect(c.listCache).toEqual({ seconds: 5, entries: 1_000 });
  });

  it('reads the list cache settings (LIST_CACHE_SECONDS 0 turns it off)', () => {
    expect(readRuntimeConfig({ LIST_CACHE_SECONDS: '0', LIST_CACHE_ENTRIES: '50' }).listCache).toEqual({
      seconds: 0,
      entries: 50,
    });
  });

  it('maps the variables onto the core and the AWS adapters', () => {
    const c = readRuntimeConfig({
      MARKETPLACE_PRODUCTS: 'aws:prodglobal0001, aws-cn:prodchina0001',
      LOCK_GRACE_DAYS: '7',
      BILLING_TIME_ZONE: 'Asia/Shanghai',
      DATABASE_URL: ' postgres://127.0.0.1/x ',
      AWS_MARKETPLACE_ENDPOINT: 'http://127.0.0.1:4566',
      AWS_MARKETPLACE_ROLE_ARN_CN: 'arn:aws-cn:iam::123456789012:role/metering',
    });
    expect(c.core.products).toEqual([
      { partition: 'aws', productCode: 'prodglobal0001' },
      { partition: 'aws-cn', productCode: 'prodchina0001' },
    ]);
    expect(c.core.lockGraceDays).toBe(7);
    expect(c.core.billingTimeZone).toBe('Asia/Shanghai');
    expect(c.database).toBe('postgres://127.0.0.1/x');
    expect(c.marketplace.partitions.aws?.meteringEndpoint).toBe('http://127.0.0.1:4566');
    expect(c.marketplace.partitions['aws-cn']?.assumeRoleArn).toBe(
      'arn:aws-cn:iam::123456789012:role/metering',
    );
  });

  it.each([
    [{ LOCK_GRACE_DAYS: 'two weeks' }, 'LOCK_GRACE_DAYS', 'whole number'],
    [{ LOCK_GRACE_DAYS: '400' }, 'LOCK_GRACE_DAYS', 'from 0 to 365'],
    [{ BILLING_TIME_ZONE: 'Mars/Olympus' }, 'BILLING_TIME_ZONE', 'IANA'],
    [{ MARKETPLACE_PRODUCTS: 'azure:abc' }, 'MARKETPLACE_PRODUCTS', 'partition:productCode'],
    [{ MARKETPLACE_PRODUCTS: 'aws:bad code!' }, 'MARKETPLACE_PRODUCTS', 'alphanumeric'],
    [{ DATABASE_MIGRATE: 'perhaps' }, 'DATABASE_MIGRATE', 'true or false'],
    [{ LIST_CACHE_SECONDS: '-1' }, 'LIST_CACHE_SECONDS', 'from 0 to 300'],
    [{ LIST_CACHE_ENTRIES: '0' }, 'LIST_CACHE_ENTRIES', 'from 1 to 1000000'],
    [{ PRICING_CATALOG_FILE: '/nonexistent/catalog.json' }, 'PRICING_CATALOG_FILE', 'readable JSON'],
  ])('refuses %o naming the variable', (env, variable, expected) => {
    let error: unknown;
    try {
      readRuntimeConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'invalid-configuration', details: { setting: variable } });
    expect((error as Error).message).toContain(`Environment variable ${variable}`);
    expect((error as Error).message).toContain(expected);
  });
});
