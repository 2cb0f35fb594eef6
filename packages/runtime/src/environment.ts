import { readFileSync } from 'node:fs';
import type { AwsMarketplaceConfigInput, PartitionConfig } from '@billing-center/aws-marketplace';
import {
  type AwsPartition,
  type CoreConfig,
  DomainError,
  defaultCatalogFile,
  type PricingCatalogFile,
  parseCoreConfig,
  ValidationError,
} from '@billing-center/core';

/** The settings every app reads the same way, validated once at start. */
export interface RuntimeConfig {
  core: CoreConfig;
  /** `DATABASE_URL`: a postgres:// URL, a SQLite file path, `:memory:`; unset: the embedded default file. */
  database: string | undefined;
  /** Create or update the schema at start (SQLite default: yes; PostgreSQL default: no, run `migrate`). */
  migrate: boolean | undefined;
  databasePoolSize: number | undefined;
  /**
   * The API's in-process cache of workspace-list pages, invalidated through PostgreSQL LISTEN/NOTIFY (off
   * on SQLite): `LIST_CACHE_SECONDS` bounds an entry's age as a backstop (0 turns the cache off),
   * `LIST_CACHE_ENTRIES` the number kept.
   */
  listCache: { seconds: number; entries: number };
  catalog: PricingCatalogFile;
  marketplace: AwsMarketplaceConfigInput;
}

type Env = Record<string, string | undefined>;

/** Which environment variable feeds which `CoreConfig` setting (named in error messages). */
const CORE_VARIABLES: Record<Exclude<keyof CoreConfig, 'products' | 'billingTimeZone'>, string> = {
  lockGraceDays: 'LOCK_GRACE_DAYS',
  registrationTicketTtlMinutes: 'REGISTRATION_TICKET_TTL_MINUTES',
  usageMaxAgeHours: 'USAGE_MAX_AGE_HOURS',
  usageFutureSkewMinutes: 'USAGE_FUTURE_SKEW_MINUTES',
  usageBatchLimit: 'USAGE_BATCH_LIMIT',
  meteringLeaseSeconds: 'METERING_LEASE_SECONDS',
  meteringDeadlineWarningHours: 'METERING_DEADLINE_WARNING_HOURS',
  sessionIdleMinutes: 'SESSION_IDLE_MINUTES',
  sessionAbsoluteHours: 'SESSION_ABSOLUTE_HOURS',
  apiTokensPerAccount: 'API_TOKENS_PER_ACCOUNT',
  credentialCacheSeconds: 'CREDENTIAL_CACHE_SECONDS',
};

export function configError(variable: string, expected: string): ValidationError {
  return new ValidationError('invalid-configuration', `Environment variable ${variable} ${expected}.`, {
    setting: variable,
  });
}

/** A whole number from the environment, or undefined when unset/empty. */
export function intFromEnv(env: Env, variable: string): number | undefined {
  const raw = env[variable]?.trim();
  if (!raw) return undefined;
  if (!/^-?\d+$/.test(raw)) throw configError(variable, `must be a whole number (got "${raw}")`);
  return Number(raw);
}

/** A whole number from the environment within [min, max], or `fallback` when unset. */
export function boundedFromEnv(
  env: Env,
  variable: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = intFromEnv(env, variable) ?? fallback;
  if (v < min || v > max)
    throw configError(variable, `must be a whole number from ${min} to ${max} (got ${v})`);
  return v;
}

export function boolFromEnv(env: Env, variable: string): boolean | undefined {
  const raw = env[variable]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw configError(variable, `must be true or false (got "${raw}")`);
}

export function listFromEnv(env: Env, variable: string): string[] {
  return (env[variable] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `MARKETPLACE_PRODUCTS=aws:prodcode1,aws-cn:prodcode2` */
function productsFromEnv(env: Env): CoreConfig['products'] {
  return listFromEnv(env, 'MARKETPLACE_PRODUCTS').map((entry) => {
    const [partition, productCode, ...rest] = entry.split(':');
    if ((partition !== 'aws' && partition !== 'aws-cn') || !productCode || rest.length > 0) {
      throw configError(
        'MARKETPLACE_PRODUCTS',
        `must list partition:productCode pairs such as aws:abc123,aws-cn:def456 (got "${entry}")`,
      );
    }
    return { partition, productCode };
  });
}

function catalogFromEnv(env: Env): PricingCatalogFile {
  const path = env.PRICING_CATALOG_FILE?.trim();
  if (!path) return defaultCatalogFile as PricingCatalogFile;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PricingCatalogFile;
  } catch (e) {
    throw configError('PRICING_CATALOG_FILE', `must name a readable JSON file (${(e as Error).message})`);
  }
}

/**
 * The AWS side: one partition per partition of the configured products. `AWS_MARKETPLACE_ENDPOINT`
 * points every Marketplace API at one endpoint (the local simulator); unset, the SDK resolves AWS's own.
 * Credentials come from the SDK's standard chain (`AWS_ACCESS_KEY_ID`, profiles, roles), optionally
 * assuming `AWS_MARKETPLACE_ROLE_ARN` (global) / `AWS_MARKETPLACE_ROLE_ARN_CN` (China).
 */
function marketplaceFromEnv(env: Env, products: CoreConfig['products']): AwsMarketplaceConfigInput {
  const endpoint = env.AWS_MARKETPLACE_ENDPOINT?.trim() || undefined;
  const partitions: Partial<Record<AwsPartition, Partial<PartitionConfig>>> = {};
  for (const partition of new Set(products.map((p) => p.partition))) {
    const suffix = partition === 'aws-cn' ? '_CN' : '';
    partitions[partition] = {
      region: env[`AWS_MARKETPLACE_REGION${suffix}`]?.trim() || undefined,
      meteringEndpoint: endpoint,
      entitlementEndpoint: endpoint,
      assumeRoleArn: env[`AWS_MARKETPLACE_ROLE_ARN${suffix}`]?.trim() || undefined,
      assumeRoleExternalId: env[`AWS_MARKETPLACE_EXTERNAL_ID${suffix}`]?.trim() || undefined,
    };
  }
  return {
    partitions,
    metering: {
      callsPerSecond: intFromEnv(env, 'AWS_METERING_CALLS_PER_SECOND'),
    },
  };
}

/**
 * Reads the shared settings from the environment. Every problem is reported once, at start, as an
 * `invalid-configuration` error naming the environment variable and what it expects.
 */
export function readRuntimeConfig(env: Env = process.env): RuntimeConfig {
  const products = productsFromEnv(env);
  const coreInput: Partial<CoreConfig> = {
    billingTimeZone: env.BILLING_TIME_ZONE?.trim() || undefined,
    products,
  };
  for (const [setting, variable] of Object.entries(CORE_VARIABLES)) {
    (coreInput as Record<string, unknown>)[setting] = intFromEnv(env, variable);
  }
  let core: CoreConfig;
  try {
    core = parseCoreConfig(coreInput);
  } catch (e) {
    // name the environment variable, not the internal setting
    if (e instanceof DomainError && typeof e.details?.setting === 'string') {
      const setting = e.details.setting as keyof CoreConfig;
      const variable =
        setting === 'billingTimeZone'
          ? 'BILLING_TIME_ZONE'
          : setting === 'products'
            ? 'MARKETPLACE_PRODUCTS'
            : CORE_VARIABLES[setting];
      throw configError(variable, e.message.replace(/^Configuration "[^"]+" /, '').replace(/\.$/, ''));
    }
    throw e;
  }
  return {
    core,
    database: env.DATABASE_URL?.trim() || undefined,
    migrate: boolFromEnv(env, 'DATABASE_MIGRATE'),
    databasePoolSize: intFromEnv(env, 'DATABASE_POOL_SIZE'),
    listCache: {
      seconds: boundedFromEnv(env, 'LIST_CACHE_SECONDS', 5, 0, 300),
      entries: boundedFromEnv(env, 'LIST_CACHE_ENTRIES', 1_000, 1, 1_000_000),
    },
    catalog: catalogFromEnv(env),
    marketplace: marketplaceFromEnv(env, products),
  };
}
