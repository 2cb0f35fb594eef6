import { describe, expect, it } from 'vitest';
import { readApiConfig } from '../src/config/api-config.js';

const BASE = { MARKETPLACE_PRODUCTS: 'aws:prodglobal0001' };

describe('readApiConfig', () => {
  it('takes safe defaults: local address, secure cookies, 1 MiB bodies, rate limits on', () => {
    const c = readApiConfig(BASE);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      cookieSecure: true,
      trustProxy: false,
      logLevel: 'info',
      bodyLimitBytes: 1_048_576,
      rateLimitPerMinute: 1200,
      signInLimitPerIp: 20,
      signInLimitPerLogin: 10,
    });
    expect(c.runtime.core.products).toEqual([{ partition: 'aws', productCode: 'prodglobal0001' }]);
  });

  it('reads every variable', () => {
    const c = readApiConfig({
      ...BASE,
      HOST: '0.0.0.0',
      PORT: '8080',
      PUBLIC_URL: 'https://billing.example.com/',
      COOKIE_SECURE: 'false',
      TRUST_PROXY: '2',
      LOG_LEVEL: 'WARN',
      BODY_LIMIT_BYTES: '2048',
      RATE_LIMIT_PER_MINUTE: '0',
      SIGN_IN_LIMIT_PER_IP: '5',
      SIGN_IN_LIMIT_PER_LOGIN: '3',
      SHUTDOWN_TIMEOUT_MS: '500',
      SESSION_IDLE_MINUTES: '15',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'https://billing.example.com',
      cookieSecure: false,
      trustProxy: 2,
      logLevel: 'warn',
      bodyLimitBytes: 2048,
      rateLimitPerMinute: 0,
      signInLimitPerIp: 5,
      signInLimitPerLogin: 3,
      shutdownTimeoutMs: 500,
    });
    expect(c.runtime.core.sessionIdleMinutes).toBe(15);
    expect(readApiConfig({ ...BASE, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  it.each([
    [{ PORT: '70000' }, 'PORT', 'from 0 to 65535'],
    [{ PORT: 'http' }, 'PORT', 'whole number'],
    [{ PUBLIC_URL: 'billing.example.com' }, 'PUBLIC_URL', 'absolute http(s) URL'],
    [{ PUBLIC_URL: 'https://b.example.com/?x=1' }, 'PUBLIC_URL', 'without query'],
    [{ COOKIE_SECURE: 'sometimes' }, 'COOKIE_SECURE', 'true or false'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY', 'true or false'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'one of fatal'],
    [{ BODY_LIMIT_BYTES: '10' }, 'BODY_LIMIT_BYTES', 'from 1024'],
    [{ SIGN_IN_LIMIT_PER_IP: '0' }, 'SIGN_IN_LIMIT_PER_IP', 'from 1'],
    [{ MARKETPLACE_PRODUCTS: '' }, 'MARKETPLACE_PRODUCTS', 'must list'],
    [{ SESSION_IDLE_MINUTES: 'x' }, 'SESSION_IDLE_MINUTES', 'whole number'],
  ])('refuses %o, naming %s', (env, variable, expected) => {
    let error: { code?: string; message?: string; details?: unknown } = {};
    try {
      readApiConfig({ ...BASE, ...env });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error.code).toBe('invalid-configuration');
    expect(error.message).toContain(`Environment variable ${variable} `);
    expect(error.message).toContain(expected);
    expect(error.details).toEqual({ setting: variable });
  });
});
