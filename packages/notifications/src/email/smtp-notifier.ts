import type { Alert, Notifier } from '@billing-center/core';
import nodemailer, { type SMTPPoolOptions, type SMTPPoolSentMessageInfo, type Transporter } from 'nodemailer';
import { EmailComposer, type EmailSettings, type OutgoingEmail } from './email-composer.js';

/** How to reach the SMTP server (parsed from `SMTP_URL` by `readNotificationsConfig`). */
export interface SmtpSettings {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte (port 465). `smtp://`: plain, upgraded by STARTTLS when offered. */
  secure: boolean;
  auth: { user: string; pass: string } | null;
  /** Waits that bound one delivery, so a dead server fails the send instead of stalling the outbox. */
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  /** Connections kept open and reused across sends. */
  maxConnections: number;
}

export const DEFAULT_SMTP_TIMEOUTS = {
  connectionTimeoutMs: 10_000,
  greetingTimeoutMs: 10_000,
  socketTimeoutMs: 30_000,
  maxConnections: 2,
} as const;

/** A delivery the SMTP server did not accept (or not for every recipient). The outbox retries it. */
export class SmtpDeliveryError extends Error {
  override readonly name = 'SmtpDeliveryError';
  constructor(
    message: string,
    readonly rejected: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Sends owner notifications and operator alerts as email through an SMTP server (nodemailer, pooled
 * connections). Every failure is thrown — a refused connection, a timeout, a rejected recipient — so
 * that the outbox keeps the message and retries it; delivery is at least once.
 */
export class SmtpNotifier implements Notifier {
  readonly composer: EmailComposer;
  private readonly transport: Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions>;

  constructor(smtp: SmtpSettings, email: EmailSettings) {
    this.composer = new EmailComposer(email);
    this.transport = nodemailer.createTransport({
      pool: true,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.pass } } : {}),
      connectionTimeout: smtp.connectionTimeoutMs,
      greetingTimeout: smtp.greetingTimeoutMs,
      socketTimeout: smtp.socketTimeoutMs,
      maxConnections: smtp.maxConnections,
    });
  }

  async notifyOwner(
    to: { accountId: string; email: string },
    template: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await this.send(this.composer.owner(to, template, data));
  }

  async alertOperators(alert: Alert): Promise<void> {
    await this.send(this.composer.alert(alert));
  }

  /** Connects, greets and authenticates once: for a start-up or readiness check. Throws when it cannot. */
  async verify(): Promise<void> {
    await this.transport.verify();
  }

  /** Closes the pooled connections. */
  close(): void {
    this.transport.close();
  }

  private async send(email: OutgoingEmail): Promise<void> {
    const what = `${email.category} "${email.topic}" to ${email.to.join(', ')}`;
    let info: SMTPPoolSentMessageInfo;
    try {
      info = await this.transport.sendMail({
        from: email.from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        headers: {
          // RFC 3834: no out-of-office replies to a machine.
          'Auto-Submitted': 'auto-generated',
          'X-Billing-Center-Notification': email.topic,
        },
      });
    } catch (e) {
      const rejected = ((e as { rejected?: unknown[] }).rejected ?? []).map(String);
      throw new SmtpDeliveryError(`SMTP delivery of ${what} failed: ${(e as Error).message}`, rejected, {
        cause: e,
      });
    }
    // nodemailer resolves when at least one recipient was accepted; a partial delivery is still a failure
    // (an operator address the server refuses must show up, not vanish).
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) {
      throw new SmtpDeliveryError(
        `SMTP server refused ${rejected.join(', ')} for ${what}: ${info.response ?? 'no response'}`,
        rejected,
      );
    }
  }
}
