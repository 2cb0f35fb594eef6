import type { AwsPartition } from './domain/site/site.js';
import { ValidationError } from './shared/domain-error.js';
import { isValidTimeZone } from './shared/time.js';

/** The core's settings, validated once at start; the core never reads the environment itself. */
export interface CoreConfig {
  /** IANA zone in which "once per calendar month" is counted. */
  billingTimeZone: string;
  /** How long a locked workspace stays readable and unlockable before it is fully locked. */
  lockGraceDays: number;
  /** How long the browser's registration ticket stays usable. */
  registrationTicketTtlMinutes: number;
  /** The seller's AWS Marketplace products: only tokens and messages for these are accepted. */
  products: Array<{ partition: AwsPartition; productCode: string }>;
  /** Usage older than this many hours is refused (it could no longer be billed). */
  usageMaxAgeHours: number;
  /** Usage stamped this far in the future is still accepted (clock skew). */
  usageFutureSkewMinutes: number;
  /** Most usage records in one ingestion call. */
  usageBatchLimit: number;
  /** How long a worker owns a claimed metering record before another may send it. */
  meteringLeaseSeconds: number;
  /** Alert when a record is still not accepted this close to its deadline. */
  meteringDeadlineWarningHours: number;
  /** A browser session ends after this long without a request. */
  sessionIdleMinutes: number;
  /** A browser session ends this long after sign-in, however busy. */
  sessionAbsoluteHours: number;
  /** Most live personal API tokens one account may hold. */
  apiTokensPerAccount: number;
  /**
   * How long a process keeps an API token or service key that authenticated, instead of reading it again
   * for each request (0: never). A revocation in the same process takes effect at once; one made by another
   * process (another replica, the service-key script) within this many seconds.
   */
  credentialCacheSeconds: number;
}

export const DEFAULT_CORE_CONFIG: CoreConfig = {
  billingTimeZone: 'UTC',
  lockGraceDays: 14,
  registrationTicketTtlMinutes: 60,
  products: [],
  usageMaxAgeHours: 24 * 31,
  usageFutureSkewMinutes: 5,
  usageBatchLimit: 1000,
  meteringLeaseSeconds: 120,
  meteringDeadlineWarningHours: 3,
  sessionIdleMinutes: 60,
  sessionAbsoluteHours: 24,
  apiTokensPerAccount: 20,
  credentialCacheSeconds: 5,
};

/** Merge `input` over the defaults and validate; each error names the setting and what it expects. */
export function parseCoreConfig(input: Partial<CoreConfig> = {}): CoreConfig {
  // An unset environment variable arrives as undefined: it means "the default", not "no value".
  const given = Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== undefined));
  const c: CoreConfig = { ...DEFAULT_CORE_CONFIG, ...given };
  const bad = (setting: string, expected: string): never => {
    throw new ValidationError('invalid-configuration', `Configuration "${setting}" ${expected}.`, {
      setting,
    });
  };
  if (typeof c.billingTimeZone !== 'string' || !c.billingTimeZone || !isValidTimeZone(c.billingTimeZone))
    bad('billingTimeZone', 'must be an IANA time zone such as UTC or Asia/Shanghai');
  const int = (k: keyof CoreConfig, min: number, max: number) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      bad(k, `must be a whole number from ${min} to ${max}`);
  };
  int('lockGraceDays', 0, 365);
  int('registrationTicketTtlMinutes', 1, 24 * 60);
  int('usageMaxAgeHours', 1, 24 * 366);
  int('usageFutureSkewMinutes', 0, 60);
  int('usageBatchLimit', 1, 10_000);
  int('meteringLeaseSeconds', 5, 3600);
  int('meteringDeadlineWarningHours', 1, 23);
  int('sessionIdleMinutes', 1, 24 * 60);
  int('sessionAbsoluteHours', 1, 24 * 30);
  int('apiTokensPerAccount', 1, 1000);
  int('credentialCacheSeconds', 0, 60);
  if (c.sessionIdleMinutes > c.sessionAbsoluteHours * 60)
    bad('sessionIdleMinutes', 'must not be longer than sessionAbsoluteHours');
  if (!Array.isArray(c.products)) bad('products', 'must be a list of { partition, productCode }');
  for (const p of c.products) {
    if (p.partition !== 'aws' && p.partition !== 'aws-cn')
      bad('products', 'entries need partition aws or aws-cn');
    if (typeof p.productCode !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(p.productCode)) {
      bad('products', 'entries need an alphanumeric productCode');
    }
  }
  return c;
}
