import { DomainError } from '@billing-center/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SMTP_TIMEOUTS } from '../src/email/smtp-notifier.js';
import { DEVELOPMENT_EMAIL_DEFAULTS, readNotificationsConfig } from '../src/notifications-config.js';

const PRODUCTION = {
  SMTP_URL: 'smtp://mailer:s3cret@mail.acme.test',
  MAIL_FROM: 'Acme Billing <billing@acme.test>',
  OPERATOR_EMAILS: ' ops@acme.test, oncall@acme.test ,ops@acme.test ',
  BRAND_NAME: 'Acme Observability',
  BILLING_CONSOLE_URL: 'https://billing.acme.test/',
  EVENTS_TOPIC_ARN: 'arn:aws:sns:eu-central-1:123456789012:billing-center-events',
};

/** The error a bad environment raises: invalid-configuration, naming the variable. */
function failure(env: Record<string, string | undefined>): DomainError {
  try {
    readNotificationsConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    const err = e as DomainError;
    expect(err.code).toBe('invalid-configuration');
    expect(err.kind).toBe('validation');
    expect(err.message).toMatch(new RegExp(`^Environment variable ${String(err.details?.setting)} `));
    return err;
  }
  throw new Error('expected an invalid-configuration error');
}

describe('readNotificationsConfig', () => {
  it('without SMTP_URL or EVENTS_TOPIC_ARN: the development mailbox and in-memory events', () => {
    const config = readNotificationsConfig({});
    expect(config.smtp).toBeNull();
    expect(config.events).toBeNull();
    expect(config.email).toEqual({
      brandName: DEVELOPMENT_EMAIL_DEFAULTS.brandName,
      consoleUrl: DEVELOPMENT_EMAIL_DEFAULTS.consoleUrl,
      from: DEVELOPMENT_EMAIL_DEFAULTS.from,
      operatorEmails: ['operators@localhost'],
    });
    expect(readNotificationsConfig({ BRAND_NAME: 'Acme', SMTP_URL: '  ' }).email.brandName).toBe('Acme');
  });

  it('production: SMTP with login, sender, operators, brand, console, and the events topic', () => {
    const config = readNotificationsConfig(PRODUCTION);
    expect(config.smtp).toEqual({
      host: 'mail.acme.test',
      port: 587,
      secure: false,
      auth: { user: 'mailer', pass: 's3cret' },
      ...DEFAULT_SMTP_TIMEOUTS,
    });
    expect(config.email).toEqual({
      brandName: 'Acme Observability',
      consoleUrl: 'https://billing.acme.test',
      from: 'Acme Billing <billing@acme.test>',
      operatorEmails: ['ops@acme.test', 'oncall@acme.test'],
    });
    expect(config.events).toMatchObject({
      topicArn: PRODUCTION.EVENTS_TOPIC_ARN,
      region: 'eu-central-1',
      endpoint: undefined,
      credentials: undefined,
    });
  });

  it('smtps:// is TLS on 465; ports, IPv6 hosts and percent-encoded logins are read as meant', () => {
    expect(readNotificationsConfig({ ...PRODUCTION, SMTP_URL: 'smtps://mail.acme.test' }).smtp).toMatchObject(
      {
        port: 465,
        secure: true,
        auth: null,
      },
    );
    expect(
      readNotificationsConfig({ ...PRODUCTION, SMTP_URL: 'smtp://apikey:p%40ss%3Aw%2Frd@[::1]:2525' }).smtp,
    ).toMatchObject({ host: '::1', port: 2525, auth: { user: 'apikey', pass: 'p@ss:w/rd' } });
  });

  it('events: the simulator endpoint, the region taken from (and checked against) the topic, FIFO names', () => {
    const events = readNotificationsConfig({
      EVENTS_TOPIC_ARN: 'arn:aws-cn:sns:cn-northwest-1:123456789012:events.fifo',
      EVENTS_SNS_REGION: 'cn-northwest-1',
      EVENTS_SNS_ENDPOINT: 'http://localhost:4566',
    }).events;
    expect(events).toMatchObject({ region: 'cn-northwest-1', endpoint: 'http://localhost:4566' });
  });

  it('SMTP_URL: refuses anything but smtp(s)://host, never echoing the password', () => {
    for (const bad of [
      'http://mail.acme.test',
      'mail.acme.test',
      'smtp://',
      'smtp://mail.acme.test/inbox',
      'smtp://mail.acme.test?secure=true',
      'smtp://mailer@mail.acme.test',
      'smtp://:hunter2@mail.acme.test',
      'smtp://mailer:hunter2%zz@mail.acme.test',
    ]) {
      const err = failure({ ...PRODUCTION, SMTP_URL: bad });
      expect(err.details).toEqual({ setting: 'SMTP_URL' });
      expect(err.message).not.toContain('hunter2');
    }
  });

  it('with SMTP_URL, the sender, operators, brand and console URL are required', () => {
    for (const variable of ['MAIL_FROM', 'OPERATOR_EMAILS', 'BRAND_NAME', 'BILLING_CONSOLE_URL']) {
      const err = failure({ ...PRODUCTION, [variable]: ' ' });
      expect(err.message).toBe(`Environment variable ${variable} must be set when SMTP_URL is set.`);
    }
  });

  it('refuses malformed addresses, URLs and names, naming the variable', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['MAIL_FROM', 'billing', /must be one email address/],
      ['MAIL_FROM', 'a@acme.test, b@acme.test', /must be one email address/],
      ['OPERATOR_EMAILS', 'ops@acme.test, not-an-address', /"not-an-address" is not one/],
      ['OPERATOR_EMAILS', 'Ops <ops@acme.test>', /comma-separated list of email addresses/],
      ['OPERATOR_EMAILS', ',', /comma-separated list of email addresses/],
      ['BILLING_CONSOLE_URL', 'ftp://billing.acme.test', /http\(s\) URL without credentials/],
      ['BILLING_CONSOLE_URL', 'https://admin:pw@billing.acme.test', /without credentials/],
      ['BILLING_CONSOLE_URL', 'billing.acme.test', /http\(s\) URL/],
      ['BRAND_NAME', 'Acme\nBcc: x@evil.test', /at most 100 characters on one line/],
      ['BRAND_NAME', 'A'.repeat(101), /at most 100 characters/],
      ['EVENTS_TOPIC_ARN', 'billing-center-events', /must be an SNS topic ARN/],
      ['EVENTS_TOPIC_ARN', 'arn:aws:sqs:us-east-1:123456789012:queue', /must be an SNS topic ARN/],
      ['EVENTS_TOPIC_ARN', 'arn:aws-cn:sns:us-east-1:123456789012:events', /not in partition aws-cn/],
    ];
    for (const [variable, value, message] of cases) {
      const err = failure({ ...PRODUCTION, [variable]: value });
      expect(err.details, `${variable}=${value}`).toEqual({ setting: variable });
      expect(err.message, `${variable}=${value}`).toMatch(message);
    }
  });

  it('refuses a region or endpoint that does not fit the topic, or comes without one', () => {
    expect(failure({ ...PRODUCTION, EVENTS_SNS_REGION: 'us-east-1' }).message).toBe(
      'Environment variable EVENTS_SNS_REGION must be the topic\'s region eu-central-1 (got "us-east-1").',
    );
    expect(failure({ ...PRODUCTION, EVENTS_SNS_REGION: 'Frankfurt' }).details).toEqual({
      setting: 'EVENTS_SNS_REGION',
    });
    expect(failure({ ...PRODUCTION, EVENTS_SNS_ENDPOINT: 'localhost:4566' }).details).toEqual({
      setting: 'EVENTS_SNS_ENDPOINT',
    });
    for (const variable of ['EVENTS_SNS_REGION', 'EVENTS_SNS_ENDPOINT']) {
      const err = failure({
        [variable]: variable.endsWith('REGION') ? 'us-east-1' : 'http://localhost:4566',
      });
      expect(err.message).toBe(
        `Environment variable ${variable} is only used with EVENTS_TOPIC_ARN, which is not set: set both or neither.`,
      );
    }
  });
});
