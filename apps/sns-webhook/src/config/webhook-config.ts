import { configError, intFromEnv, listFromEnv } from '@billing-center/runtime';

type Env = Record<string, string | undefined>;

/** The webhook's own settings (the shared ones — database, products, AWS — come from `readRuntimeConfig`). */
export interface WebhookConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly sns: {
    readonly path: string;
    /** Exact topic ARNs whose messages are accepted and whose subscriptions are confirmed. */
    readonly topicArns: readonly string[];
    /**
     * Origins of a local SNS simulator whose signing certificates (and SubscribeURLs) are trusted.
     * Development and tests only: empty unless `SNS_TRUST_LOCAL_ORIGINS` is set.
     */
    readonly trustedLocalOrigins: readonly string[];
  };
  readonly eventBridge: {
    readonly path: string;
    readonly header: string;
    /** The current secret first, then the previous one while rotating; empty: the endpoint is off. */
    readonly secrets: readonly string[];
  };
  /** The store of received messages (group commit: the deliveries arriving together commit together). */
  readonly storing: {
    /** The most messages one store transaction takes. */
    readonly batchMax: number;
    /** Store transactions running at once; deliveries arriving meanwhile wait for the next one. */
    readonly concurrency: number;
  };
  readonly processing: {
    /** How often stored but unprocessed messages are retried (also once at start). */
    readonly sweepIntervalMs: number;
    /** Messages of different customers processed at once, right after they are stored. */
    readonly concurrency: number;
    /** Past this many messages waiting in memory, new ones are left to the sweep. */
    readonly maxQueued: number;
  };
  /** Deliver the outbox (owner email, operator alerts, domain events) from this process; null: off. */
  readonly outboxDispatchIntervalMs: number | null;
  readonly shutdownTimeoutMs: number;
}

// The verifier's own pattern for an exact SNS topic ARN (both partitions, no wildcards).
const TOPIC_ARN =
  /^arn:aws(?:-[a-z]+)*:sns:[a-z]{2}(?:-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const PATH = /^\/[A-Za-z0-9._~\-/]*$/;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const MIN_SECRET_LENGTH = 32;

function ranged(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const value = intFromEnv(env, variable) ?? fallback;
  if (value < min || value > max) throw configError(variable, `must be between ${min} and ${max}`);
  return value;
}

function path(env: Env, variable: string, fallback: string): string {
  const value = env[variable]?.trim() || fallback;
  if (!PATH.test(value) || value.includes('//')) {
    throw configError(variable, `must be a URL path such as ${fallback} (got "${value}")`);
  }
  return value;
}

function bareOrigin(variable: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const bare =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    !url.username &&
    !url.password &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash &&
    (value === url.origin || value === `${url.origin}/`);
  if (!bare || !url) {
    throw configError(variable, `must list bare origins such as http://127.0.0.1:4566 (got "${value}")`);
  }
  return url.origin;
}

/**
 * Reads and validates the webhook's settings once, at start. Every problem is an `invalid-configuration`
 * error that names the environment variable and says what it expects.
 */
export function readWebhookConfig(env: Env = process.env): WebhookConfig {
  const topicArns = listFromEnv(env, 'SNS_TOPIC_ARNS');
  if (topicArns.length === 0) {
    throw configError(
      'SNS_TOPIC_ARNS',
      'must list the AWS Marketplace SNS topic ARNs to accept, comma-separated ' +
        '(arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-<product code>, …)',
    );
  }
  for (const arn of topicArns) {
    if (!TOPIC_ARN.test(arn)) {
      throw configError('SNS_TOPIC_ARNS', `must list exact SNS topic ARNs, without wildcards (got "${arn}")`);
    }
  }

  const trustedLocalOrigins = listFromEnv(env, 'SNS_TRUST_LOCAL_ORIGINS').map((o) =>
    bareOrigin('SNS_TRUST_LOCAL_ORIGINS', o),
  );

  const secrets = [env.EVENTBRIDGE_SHARED_SECRET, env.EVENTBRIDGE_SHARED_SECRET_PREVIOUS]
    .map((s) => s?.trim() ?? '')
    .filter(Boolean);
  if (!env.EVENTBRIDGE_SHARED_SECRET?.trim() && secrets.length > 0) {
    throw configError(
      'EVENTBRIDGE_SHARED_SECRET',
      'must be set when EVENTBRIDGE_SHARED_SECRET_PREVIOUS is (the previous secret is only kept while rotating)',
    );
  }
  for (const [i, s] of secrets.entries()) {
    if (s.length < MIN_SECRET_LENGTH) {
      throw configError(
        i === 0 ? 'EVENTBRIDGE_SHARED_SECRET' : 'EVENTBRIDGE_SHARED_SECRET_PREVIOUS',
        `must be at least ${MIN_SECRET_LENGTH} characters (use a random value, e.g. \`openssl rand -hex 32\`)`,
      );
    }
  }
  const header = (env.EVENTBRIDGE_SECRET_HEADER?.trim() || 'x-marketplace-events-secret').toLowerCase();
  if (!HEADER_NAME.test(header)) {
    throw configError('EVENTBRIDGE_SECRET_HEADER', `must be an HTTP header name (got "${header}")`);
  }

  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'info') as WebhookConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    throw configError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }

  const host = env.WEBHOOK_HOST?.trim() || '0.0.0.0';
  if (/[\s/]/.test(host)) throw configError('WEBHOOK_HOST', `must be a host name or address (got "${host}")`);

  const snsPath = path(env, 'SNS_PATH', '/sns');
  const eventBridgePath = path(env, 'EVENTBRIDGE_PATH', '/eventbridge');
  if (snsPath === eventBridgePath) throw configError('EVENTBRIDGE_PATH', 'must differ from SNS_PATH');
  const outbox = intFromEnv(env, 'OUTBOX_DISPATCH_INTERVAL_MS');
  if (outbox !== undefined && (outbox < 100 || outbox > 3_600_000)) {
    throw configError('OUTBOX_DISPATCH_INTERVAL_MS', 'must be between 100 and 3600000 (unset: off)');
  }

  return {
    port: ranged(env, 'WEBHOOK_PORT', 3001, 0, 65_535),
    host,
    logLevel,
    sns: { path: snsPath, topicArns, trustedLocalOrigins },
    eventBridge: { path: eventBridgePath, header, secrets },
    storing: {
      batchMax: ranged(env, 'WEBHOOK_STORE_BATCH_MAX', 200, 1, 5_000),
      concurrency: ranged(env, 'WEBHOOK_STORE_CONCURRENCY', 2, 1, 64),
    },
    processing: {
      sweepIntervalMs: ranged(env, 'WEBHOOK_SWEEP_INTERVAL_MS', 30_000, 100, 3_600_000),
      concurrency: ranged(env, 'WEBHOOK_PROCESS_CONCURRENCY', 4, 1, 64),
      maxQueued: ranged(env, 'WEBHOOK_MAX_QUEUED', 10_000, 1, 1_000_000),
    },
    outboxDispatchIntervalMs: outbox ?? null,
    shutdownTimeoutMs: ranged(env, 'WEBHOOK_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
  };
}
