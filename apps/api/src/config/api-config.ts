import {
  boolFromEnv,
  configError,
  intFromEnv,
  type RuntimeConfig,
  readRuntimeConfig,
} from '@billing-center/runtime';

type Env = Record<string, string | undefined>;

export const ApiConfig = Symbol('ApiConfig');
/** The API's settings, read once at start from the environment (see the README's "REST API" section). */
export interface ApiConfig {
  /** What every app reads the same way: the core's settings, the database, the AWS side. */
  runtime: RuntimeConfig;
  /** `HOST`, `PORT`: where the server listens. */
  host: string;
  port: number;
  /**
   * `PUBLIC_URL`: the Billing Center's address as browsers reach it. The fulfillment URL redirects to
   * `${PUBLIC_URL}/registration/<ticketId>`.
   */
  publicUrl: string;
  /**
   * `COOKIE_SECURE`: mark the session cookie `Secure` and give it the `__Host-` name. Only a local
   * plain-HTTP setup turns it off.
   */
  cookieSecure: boolean;
  /** `TRUST_PROXY`: true, false, or the number of proxy hops in front of the API (client IPs for rate limits). */
  trustProxy: boolean | number;
  /** `LOG_LEVEL`: fatal, error, warn, info, debug, trace or silent. */
  logLevel: string;
  /** `BODY_LIMIT_BYTES`: the largest request body accepted (413 beyond it). */
  bodyLimitBytes: number;
  /** `RATE_LIMIT_PER_MINUTE`: requests per minute per client address on every route (0: no limit). */
  rateLimitPerMinute: number;
  /** `SIGN_IN_LIMIT_PER_IP`: sign-in attempts per minute per client address. */
  signInLimitPerIp: number;
  /** `SIGN_IN_LIMIT_PER_LOGIN`: sign-in attempts per 15 minutes per login name. */
  signInLimitPerLogin: number;
  /** `SHUTDOWN_TIMEOUT_MS`: how long in-flight requests may take to finish when the process is told to stop. */
  shutdownTimeoutMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bounded(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const v = intFromEnv(env, variable) ?? fallback;
  if (v < min || v > max)
    throw configError(variable, `must be a whole number from ${min} to ${max} (got ${v})`);
  return v;
}

function publicUrlFromEnv(env: Env): string {
  const raw = env.PUBLIC_URL?.trim() || 'http://localhost:3000';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(
      'PUBLIC_URL',
      `must be an absolute http(s) URL such as https://billing.example.com (got "${raw}")`,
    );
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw configError('PUBLIC_URL', `must be an http(s) URL without query or fragment (got "${raw}")`);
  }
  return url.toString().replace(/\/+$/, '');
}

function trustProxyFromEnv(env: Env): boolean | number {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const b = boolFromEnv(env, 'TRUST_PROXY');
  if (b === undefined)
    throw configError('TRUST_PROXY', `must be true, false or a number of hops (got "${raw}")`);
  return b;
}

/**
 * Reads and validates the API's environment. Every problem fails the start with an
 * `invalid-configuration` error naming the environment variable and what it expects.
 */
export function readApiConfig(env: Env = process.env): ApiConfig {
  const runtime = readRuntimeConfig(env);
  if (runtime.core.products.length === 0) {
    // the fulfillment URL can accept no buyer without them (and the AWS adapters need a partition)
    throw configError(
      'MARKETPLACE_PRODUCTS',
      'must list the AWS Marketplace products sold, as partition:productCode pairs such as aws:abc123,aws-cn:def456',
    );
  }
  const logLevel = env.LOG_LEVEL?.trim().toLowerCase() || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw configError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  return {
    runtime,
    host: env.HOST?.trim() || '127.0.0.1',
    port: bounded(env, 'PORT', 3000, 0, 65_535),
    publicUrl: publicUrlFromEnv(env),
    cookieSecure: boolFromEnv(env, 'COOKIE_SECURE') ?? true,
    trustProxy: trustProxyFromEnv(env),
    logLevel,
    bodyLimitBytes: bounded(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    rateLimitPerMinute: bounded(env, 'RATE_LIMIT_PER_MINUTE', 1200, 0, 1_000_000),
    signInLimitPerIp: bounded(env, 'SIGN_IN_LIMIT_PER_IP', 20, 1, 10_000),
    signInLimitPerLogin: bounded(env, 'SIGN_IN_LIMIT_PER_LOGIN', 10, 1, 10_000),
    shutdownTimeoutMs: bounded(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}
