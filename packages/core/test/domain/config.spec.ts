import { describe, expect, it } from 'vitest';
import { type CoreConfig, DEFAULT_CORE_CONFIG, parseCoreConfig } from '../../src/config.js';
import { DomainError } from '../../src/shared/domain-error.js';
import { expectDomainError } from './helpers.js';

/** Expect `input` to be refused as invalid configuration of exactly `setting`. */
function expectBadSetting(input: Partial<CoreConfig>, setting: string): void {
  const e = expectDomainError(() => parseCoreConfig(input), 'invalid-configuration', 'validation');
  expect(e.details).toEqual({ setting });
  expect(e.message).toContain(`"${setting}"`);
}

describe('parseCoreConfig', () => {
  it('returns the documented defaults when nothing is given', () => {
    expect(parseCoreConfig()).toEqual({
      billingTimeZone: 'UTC',
      lockGraceDays: 14,
      registrationTicketTtlMinutes: 60,
      products: [],
      usageMaxAgeHours: 744,
      usageFutureSkewMinutes: 5,
      usageBatchLimit: 1000,
      meteringLeaseSeconds: 120,
      meteringDeadlineWarningHours: 3,
      sessionIdleMinutes: 60,
      sessionAbsoluteHours: 24,
      apiTokensPerAccount: 20,
      credentialCacheSeconds: 5,
    });
    expect(parseCoreConfig({})).toEqual(DEFAULT_CORE_CONFIG);
  });

  it('merges the given settings over the defaults', () => {
    const c = parseCoreConfig({
      billingTimeZone: 'Asia/Shanghai',
      lockGraceDays: 0,
      products: [
        { partition: 'aws', productCode: 'prodglobal0001' },
        { partition: 'aws-cn', productCode: 'prodchina0001' },
      ],
    });
    expect(c.billingTimeZone).toBe('Asia/Shanghai');
    expect(c.lockGraceDays).toBe(0);
    expect(c.products).toEqual([
      { partition: 'aws', productCode: 'prodglobal0001' },
      { partition: 'aws-cn', productCode: 'prodchina0001' },
    ]);
    expect(c.usageBatchLimit).toBe(1000);
  });

  it('refuses a time zone that is not IANA, naming billingTimeZone', () => {
    expectBadSetting({ billingTimeZone: 'Mars/Olympus_Mons' }, 'billingTimeZone');
    expectBadSetting({ billingTimeZone: '' }, 'billingTimeZone');
  });

  const ranges: Array<[keyof CoreConfig, number, number]> = [
    ['lockGraceDays', 0, 365],
    ['registrationTicketTtlMinutes', 1, 1440],
    ['usageMaxAgeHours', 1, 8784],
    ['usageFutureSkewMinutes', 0, 60],
    ['usageBatchLimit', 1, 10_000],
    ['meteringLeaseSeconds', 5, 3600],
    ['meteringDeadlineWarningHours', 1, 23],
    ['sessionIdleMinutes', 1, 1440],
    ['sessionAbsoluteHours', 1, 720],
    ['apiTokensPerAccount', 1, 1000],
    ['credentialCacheSeconds', 0, 60],
  ];

  for (const [setting, min, max] of ranges) {
    it(`${setting} accepts ${min}..${max} and names itself in every refusal`, () => {
      expect(parseCoreConfig({ [setting]: min })[setting]).toBe(min);
      expect(parseCoreConfig({ [setting]: max })[setting]).toBe(max);
      expectBadSetting({ [setting]: min - 1 }, setting);
      expectBadSetting({ [setting]: max + 1 }, setting);
      expectBadSetting({ [setting]: min + 0.5 }, setting);
      expectBadSetting({ [setting]: Number.NaN }, setting);
      expectBadSetting({ [setting]: String(min) as unknown as number }, setting);
    });
  }

  it('refuses a session idle time longer than its absolute lifetime', () => {
    expectBadSetting({ sessionIdleMinutes: 121, sessionAbsoluteHours: 2 }, 'sessionIdleMinutes');
    expect(parseCoreConfig({ sessionIdleMinutes: 120, sessionAbsoluteHours: 2 }).sessionIdleMinutes).toBe(
      120,
    );
  });

  it('refuses products that are not a list', () => {
    expectBadSetting({ products: 'prodglobal0001' as unknown as CoreConfig['products'] }, 'products');
  });

  it('refuses a product with an unknown partition', () => {
    expectBadSetting(
      { products: [{ partition: 'aws-us-gov' as 'aws', productCode: 'prodglobal0001' }] },
      'products',
    );
  });

  it('refuses a product code that is empty, too long or not alphanumeric', () => {
    expectBadSetting({ products: [{ partition: 'aws', productCode: '' }] }, 'products');
    expectBadSetting({ products: [{ partition: 'aws', productCode: 'a'.repeat(65) }] }, 'products');
    expectBadSetting({ products: [{ partition: 'aws', productCode: 'prod-global' }] }, 'products');
    expect(
      parseCoreConfig({ products: [{ partition: 'aws', productCode: 'a'.repeat(64) }] }).products,
    ).toHaveLength(1);
  });

  it('reports the first bad setting in declaration order', () => {
    expectBadSetting({ billingTimeZone: 'Nowhere/Nothing', lockGraceDays: -1 }, 'billingTimeZone');
    expectBadSetting({ lockGraceDays: -1, usageBatchLimit: 0 }, 'lockGraceDays');
  });

  // BUG (config: explicit undefined overrides the default time zone): `{ ...DEFAULT_CORE_CONFIG, ...input }`
  // lets `billingTimeZone: undefined` (e.g. an unset environment variable) replace 'UTC', and
  // isValidTimeZone(undefined) is true because Intl falls back to the host's zone. The result is a CoreConfig
  // whose billingTimeZone is undefined, and calendarMonth then counts months in the server's local zone.
  it('an explicit undefined billingTimeZone either falls back to UTC or is refused', () => {
    let tz: unknown = 'not-run';
    let code: string | undefined;
    try {
      tz = parseCoreConfig({ billingTimeZone: undefined as unknown as string }).billingTimeZone;
    } catch (e) {
      code = e instanceof DomainError ? e.code : 'not-a-domain-error';
    }
    expect(code === 'invalid-configuration' || tz === 'UTC').toBe(true);
  });
});
