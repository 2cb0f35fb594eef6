import { ValidationError } from '@billing-center/core';
import addressparser from 'nodemailer/lib/addressparser';
import type { EmailSettings } from './email/email-composer.js';
import { DEFAULT_MAILBOX_CAPACITY } from './email/mailbox-notifier.js';
import { DEFAULT_SMTP_TIMEOUTS, type SmtpSettings } from './email/smtp-notifier.js';
import { DEFAULT_EVENTS_CAPACITY } from './events/in-memory-domain-event-publisher.js';
import {
  DEFAULT_SNS_PUBLISHER_OPTIONS,
  type SnsPublisherSettings,
} from './events/sns-domain-event-publisher.js';

/** Email and domain-event settings, validated once at start. */
export interface NotificationsConfig {
  email: EmailSettings;
  /** Null: development — emails are kept in an in-memory mailbox instead of being sent. */
  smtp: SmtpSettings | null;
  mailboxCapacity: number;
  /** Null: development — events are kept in memory instead of being published to SNS. */
  events: SnsPublisherSettings | null;
  eventsCapacity: number;
}

type Env = Record<string, string | undefined>;

/** What a development setup without `SMTP_URL` uses for the settings production must give. */
export const DEVELOPMENT_EMAIL_DEFAULTS = {
  brandName: 'Billing Center',
  consoleUrl: 'http://localhost:3000',
  from: 'billing@localhost',
  operatorEmails: ['operators@localhost'],
} as const;

function configError(variable: string, expected: string): ValidationError {
  return new ValidationError('invalid-configuration', `Environment variable ${variable} ${expected}.`, {
    setting: variable,
  });
}

const get = (env: Env, variable: string): string | undefined => env[variable]?.trim() || undefined;

// local@domain, the domain a host name (a dot is not required: `localhost` works in development).
const ADDRESS =
  /^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const TOPIC_ARN =
  /^arn:(aws|aws-cn):sns:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):([A-Za-z0-9_-]{1,251}(?:\.fifo)?)$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Reads the notification settings from the environment. Every problem is reported at start, as an
 * `invalid-configuration` error naming the variable and what it expects:
 *
 * - `SMTP_URL` — `smtp://[user:password@]host[:port]` (STARTTLS when offered, port 587 by default) or
 *   `smtps://…` (TLS, port 465). Unset: development, emails go to the in-memory mailbox. When set,
 *   `MAIL_FROM`, `OPERATOR_EMAILS`, `BRAND_NAME` and `BILLING_CONSOLE_URL` are required.
 * - `MAIL_FROM` — the sender, `billing@example.com` or `Acme Billing <billing@example.com>`.
 * - `OPERATOR_EMAILS` — comma-separated addresses that receive operator alerts.
 * - `BRAND_NAME` — the platform's brand name in every email.
 * - `BILLING_CONSOLE_URL` — the Billing Center customers sign in to (http or https).
 * - `EVENTS_TOPIC_ARN` — the SNS topic for domain events. Unset: events are kept in memory.
 * - `EVENTS_SNS_REGION` — defaults to the topic's region (and must equal it).
 * - `EVENTS_SNS_ENDPOINT` — an http(s) endpoint override (the local simulator); credentials come from the
 *   SDK's standard chain (`AWS_ACCESS_KEY_ID`, profiles, roles).
 */
export function readNotificationsConfig(env: Env = process.env): NotificationsConfig {
  const smtp = smtpFromEnv(env);
  const production = smtp !== null;
  const need = (variable: string): string | undefined => {
    const v = get(env, variable);
    if (!v && production) throw configError(variable, 'must be set when SMTP_URL is set');
    return v;
  };

  const brandName = need('BRAND_NAME') ?? DEVELOPMENT_EMAIL_DEFAULTS.brandName;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (brandName.length > 100 || /[\u0000-\u001f\u007f]/.test(brandName))
    throw configError('BRAND_NAME', 'must be at most 100 characters on one line');

  const consoleUrl = need('BILLING_CONSOLE_URL') ?? DEVELOPMENT_EMAIL_DEFAULTS.consoleUrl;
  const parsedConsoleUrl = parseUrl(consoleUrl);
  if (
    !parsedConsoleUrl ||
    !['https:', 'http:'].includes(parsedConsoleUrl.protocol) ||
    parsedConsoleUrl.username
  )
    throw configError(
      'BILLING_CONSOLE_URL',
      `must be an http(s) URL without credentials, such as https://billing.example.com (got "${consoleUrl}")`,
    );

  const fromRaw = need('MAIL_FROM') ?? DEVELOPMENT_EMAIL_DEFAULTS.from;
  const from = addressparser(fromRaw, { flatten: true });
  if (from.length !== 1 || !ADDRESS.test(from[0]!.address))
    throw configError(
      'MAIL_FROM',
      `must be one email address, such as billing@example.com or "Acme Billing <billing@example.com>" (got "${fromRaw}")`,
    );

  const operatorsRaw = need('OPERATOR_EMAILS');
  const operatorEmails = operatorsRaw
    ? [
        ...new Set(
          operatorsRaw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ]
    : [...DEVELOPMENT_EMAIL_DEFAULTS.operatorEmails];
  const badOperator = operatorEmails.find((a) => !ADDRESS.test(a));
  if (badOperator !== undefined || operatorEmails.length === 0)
    throw configError(
      'OPERATOR_EMAILS',
      `must be a comma-separated list of email addresses such as ops@example.com,oncall@example.com${badOperator !== undefined ? ` ("${badOperator}" is not one)` : ''}`,
    );

  return {
    email: {
      brandName,
      consoleUrl: consoleUrl.replace(/\/+$/, ''),
      from: fromRaw,
      operatorEmails,
    },
    smtp,
    mailboxCapacity: DEFAULT_MAILBOX_CAPACITY,
    events: eventsFromEnv(env),
    eventsCapacity: DEFAULT_EVENTS_CAPACITY,
  };
}

function smtpFromEnv(env: Env): SmtpSettings | null {
  const raw = get(env, 'SMTP_URL');
  if (!raw) return null;
  // Never echo the value: it may hold the SMTP password.
  const expected = 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.com:587';
  const url = parseUrl(raw);
  if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || !url.hostname)
    throw configError('SMTP_URL', expected);
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash)
    throw configError('SMTP_URL', `${expected}, with no path, query or fragment`);
  if (url.username && !url.password)
    throw configError('SMTP_URL', 'names a user but no password (smtp://user:password@host)');
  if (url.password && !url.username)
    throw configError('SMTP_URL', 'has a password but no user (smtp://user:password@host)');
  const secure = url.protocol === 'smtps:';
  let auth: SmtpSettings['auth'] = null;
  if (url.username) {
    try {
      auth = { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
    } catch {
      throw configError('SMTP_URL', 'has a user or password that is not valid percent-encoding');
    }
  }
  return {
    // URL keeps IPv6 literals in brackets; the socket wants them bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth,
    ...DEFAULT_SMTP_TIMEOUTS,
  };
}

function eventsFromEnv(env: Env): SnsPublisherSettings | null {
  const topicArn = get(env, 'EVENTS_TOPIC_ARN');
  const region = get(env, 'EVENTS_SNS_REGION');
  const endpoint = get(env, 'EVENTS_SNS_ENDPOINT');
  if (!topicArn) {
    for (const [variable, value] of [
      ['EVENTS_SNS_REGION', region],
      ['EVENTS_SNS_ENDPOINT', endpoint],
    ] as const) {
      if (value)
        throw configError(
          variable,
          'is only used with EVENTS_TOPIC_ARN, which is not set: set both or neither',
        );
    }
    return null;
  }
  const m = TOPIC_ARN.exec(topicArn);
  if (!m)
    throw configError(
      'EVENTS_TOPIC_ARN',
      `must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:billing-center-events (got "${topicArn}")`,
    );
  const [, partition, topicRegion] = m as unknown as [string, string, string];
  if (topicRegion.startsWith('cn-') !== (partition === 'aws-cn'))
    throw configError(
      'EVENTS_TOPIC_ARN',
      `names region ${topicRegion}, which is not in partition ${partition}`,
    );
  if (region !== undefined) {
    if (!REGION.test(region))
      throw configError('EVENTS_SNS_REGION', `must be an AWS region such as us-east-1 (got "${region}")`);
    if (region !== topicRegion)
      throw configError('EVENTS_SNS_REGION', `must be the topic's region ${topicRegion} (got "${region}")`);
  }
  if (endpoint !== undefined) {
    const url = parseUrl(endpoint);
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw configError(
        'EVENTS_SNS_ENDPOINT',
        `must be an http(s) URL such as http://localhost:4566 (got "${endpoint}")`,
      );
  }
  return {
    topicArn,
    region: topicRegion,
    endpoint,
    credentials: undefined,
    ...DEFAULT_SNS_PUBLISHER_OPTIONS,
  };
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
