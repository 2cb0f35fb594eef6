import { RecordingNotifier, RecordingPublisher } from '@billing-center/core/testing';
import { describe, expect, it } from 'vitest';
import { readWebhookConfig } from '../src/config/webhook-config.js';
import { createContainer } from '../src/container.js';
import { SUBSCRIPTION_TOPIC } from './support/signing.js';
import { baseEnv } from './support/webhook.js';

const doubles = () => ({ notifier: new RecordingNotifier(), publisher: new RecordingPublisher() });
const valid = { SNS_TOPIC_ARNS: SUBSCRIPTION_TOPIC };

/** The error readWebhookConfig throws for `env`, as { code, setting, message }. */
function refusal(env: Record<string, string>) {
  try {
    readWebhookConfig(env);
  } catch (e) {
    const err = e as { code: string; details?: { setting?: string }; message: string };
    return { code: err.code, setting: err.details?.setting, message: err.message };
  }
  throw new Error('the configuration was accepted');
}

describe('readWebhookConfig', () => {
  it('has production defaults: every interface, port 3001, no trusted local origin, EventBridge off', () => {
    const config = readWebhookConfig(valid);
    expect(config).toMatchObject({
      port: 3001,
      host: '0.0.0.0',
      logLevel: 'info',
      sns: { path: '/sns', topicArns: [SUBSCRIPTION_TOPIC], trustedLocalOrigins: [] },
      eventBridge: { path: '/eventbridge', header: 'x-marketplace-events-secret', secrets: [] },
      storing: { batchMax: 200, concurrency: 2 },
      processing: { sweepIntervalMs: 30_000, concurrency: 4, maxQueued: 10_000 },
      outboxDispatchIntervalMs: null,
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads every setting', () => {
    const config = readWebhookConfig({
      SNS_TOPIC_ARNS: ` ${SUBSCRIPTION_TOPIC} , arn:aws-cn:sns:cn-northwest-1:287250355862:aws-mp-subscription-notification-x `,
      SNS_TRUST_LOCAL_ORIGINS: 'http://127.0.0.1:4566/',
      SNS_PATH: '/aws/sns',
      EVENTBRIDGE_PATH: '/aws/events',
      EVENTBRIDGE_SHARED_SECRET: 'c'.repeat(32),
      EVENTBRIDGE_SHARED_SECRET_PREVIOUS: 'p'.repeat(40),
      EVENTBRIDGE_SECRET_HEADER: 'X-Api-Key',
      WEBHOOK_PORT: '8080',
      WEBHOOK_HOST: '127.0.0.1',
      LOG_LEVEL: 'WARN',
      WEBHOOK_SWEEP_INTERVAL_MS: '5000',
      WEBHOOK_PROCESS_CONCURRENCY: '8',
      WEBHOOK_MAX_QUEUED: '100',
      WEBHOOK_STORE_BATCH_MAX: '50',
      WEBHOOK_STORE_CONCURRENCY: '3',
      OUTBOX_DISPATCH_INTERVAL_MS: '1000',
      WEBHOOK_SHUTDOWN_TIMEOUT_MS: '2000',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'warn',
      sns: { path: '/aws/sns', trustedLocalOrigins: ['http://127.0.0.1:4566'] },
      eventBridge: { path: '/aws/events', header: 'x-api-key', secrets: ['c'.repeat(32), 'p'.repeat(40)] },
      storing: { batchMax: 50, concurrency: 3 },
      processing: { sweepIntervalMs: 5000, concurrency: 8, maxQueued: 100 },
      outboxDispatchIntervalMs: 1000,
      shutdownTimeoutMs: 2000,
    });
    expect(config.sns.topicArns).toHaveLength(2);
  });

  it.each([
    [{}, 'SNS_TOPIC_ARNS', 'must list the AWS Marketplace SNS topic ARNs'],
    [{ SNS_TOPIC_ARNS: 'arn:aws:sns:us-east-1:287250355862:*' }, 'SNS_TOPIC_ARNS', 'without wildcards'],
    [
      { ...valid, SNS_TRUST_LOCAL_ORIGINS: 'http://127.0.0.1:4566/sns' },
      'SNS_TRUST_LOCAL_ORIGINS',
      'bare origins',
    ],
    [{ ...valid, SNS_TRUST_LOCAL_ORIGINS: 'ftp://x' }, 'SNS_TRUST_LOCAL_ORIGINS', 'bare origins'],
    [{ ...valid, EVENTBRIDGE_SHARED_SECRET: 'short' }, 'EVENTBRIDGE_SHARED_SECRET', 'at least 32 characters'],
    [
      { ...valid, EVENTBRIDGE_SHARED_SECRET_PREVIOUS: 'p'.repeat(40) },
      'EVENTBRIDGE_SHARED_SECRET',
      'must be set when EVENTBRIDGE_SHARED_SECRET_PREVIOUS is',
    ],
    [
      { ...valid, EVENTBRIDGE_SHARED_SECRET: 'c'.repeat(32), EVENTBRIDGE_SHARED_SECRET_PREVIOUS: 'old' },
      'EVENTBRIDGE_SHARED_SECRET_PREVIOUS',
      'at least 32 characters',
    ],
    [{ ...valid, EVENTBRIDGE_SECRET_HEADER: 'x secret' }, 'EVENTBRIDGE_SECRET_HEADER', 'header name'],
    [{ ...valid, WEBHOOK_PORT: '70000' }, 'WEBHOOK_PORT', 'between 0 and 65535'],
    [{ ...valid, WEBHOOK_PORT: 'eighty' }, 'WEBHOOK_PORT', 'whole number'],
    [{ ...valid, WEBHOOK_HOST: 'http://x/' }, 'WEBHOOK_HOST', 'host name or address'],
    [{ ...valid, LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'one of fatal'],
    [{ ...valid, SNS_PATH: 'sns' }, 'SNS_PATH', 'URL path'],
    [{ ...valid, EVENTBRIDGE_PATH: '/sns' }, 'EVENTBRIDGE_PATH', 'differ from SNS_PATH'],
    [{ ...valid, WEBHOOK_SWEEP_INTERVAL_MS: '10' }, 'WEBHOOK_SWEEP_INTERVAL_MS', 'between 100'],
    [{ ...valid, WEBHOOK_PROCESS_CONCURRENCY: '0' }, 'WEBHOOK_PROCESS_CONCURRENCY', 'between 1 and 64'],
    [{ ...valid, OUTBOX_DISPATCH_INTERVAL_MS: '5' }, 'OUTBOX_DISPATCH_INTERVAL_MS', 'between 100'],
  ] as Array<
    [Record<string, string>, string, string]
  >)('refuses %j, naming %s', (env, variable, expected) => {
    const r = refusal(env);
    expect(r.code).toBe('invalid-configuration');
    expect(r.setting).toBe(variable);
    expect(r.message).toContain(variable);
    expect(r.message).toContain(expected);
  });

  it('the composition root refuses a database it cannot use, naming DATABASE_URL', async () => {
    await expect(
      createContainer({ ...baseEnv('postgres://postgres@127.0.0.1:1/nowhere') }, doubles()),
    ).rejects.toMatchObject({
      code: 'database-unavailable',
      message: expect.stringContaining('DATABASE_URL'),
    });
  });

  it('the composition root refuses a bad shared setting, naming its variable', async () => {
    await expect(
      createContainer({ ...baseEnv(':memory:'), LOCK_GRACE_DAYS: 'soon' }, doubles()),
    ).rejects.toMatchObject({
      code: 'invalid-configuration',
      details: { setting: 'LOCK_GRACE_DAYS' },
    });
  });
});
