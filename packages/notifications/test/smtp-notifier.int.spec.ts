import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { type ReceivedMail, type TestSmtpOptions, TestSmtpServer } from '@billing-center/smtp-test-server';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmailSettings } from '../src/email/email-composer.js';
import {
  DEFAULT_SMTP_TIMEOUTS,
  SmtpDeliveryError,
  SmtpNotifier,
  type SmtpSettings,
} from '../src/email/smtp-notifier.js';
import { CONTRACT_EMAIL, type DeliveredEmail, notifierContract } from './contracts/notifier.contract.js';

const settings = (port: number, o: Partial<SmtpSettings> = {}): SmtpSettings => ({
  host: '127.0.0.1',
  port,
  secure: false,
  auth: null,
  ...DEFAULT_SMTP_TIMEOUTS,
  ...o,
});

function asDelivered(m: ReceivedMail): DeliveredEmail {
  return {
    from: m.envelopeFrom,
    to: m.envelopeTo,
    subject: m.parsed.subject ?? '',
    text: m.parsed.text ?? '',
    html: typeof m.parsed.html === 'string' ? m.parsed.html : '',
  };
}

/** A port nobody listens on: the connection is refused. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

notifierContract(
  'SmtpNotifier over a real SMTP conversation',
  async (email) => {
    const server = await new TestSmtpServer().start();
    const notifier = new SmtpNotifier(settings(server.port), email);
    let closed = false;
    const closeServer = async () => {
      if (closed) return;
      closed = true;
      await server.close();
    };
    return {
      notifier,
      delivered: async () => server.received.map(asDelivered),
      // The server goes away (and its pooled connections with it): the next connection is refused.
      breakDelivery: closeServer,
      close: async () => {
        notifier.close();
        await closeServer();
      },
    };
  },
  { canFail: true },
);

describe('SmtpNotifier', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function world(
    options: TestSmtpOptions = {},
    smtp: Partial<SmtpSettings> = {},
    email: EmailSettings = CONTRACT_EMAIL,
  ) {
    const server = await new TestSmtpServer(options).start();
    const notifier = new SmtpNotifier(settings(server.port, smtp), email);
    cleanups.push(
      () => server.close(),
      () => notifier.close(),
    );
    return { server, notifier };
  }
  const owner = { accountId: 'acc-1', email: 'owner@customer.test' };
  const locked = { reason: 'arrears', workspaces: [{ id: 'ws-1', name: 'Prod <eu> & "main"' }] };

  it('speaks SMTP: envelope, headers, plain text and escaped HTML as the server received them', async () => {
    const { server, notifier } = await world();
    await notifier.notifyOwner(owner, 'workspaces-locked', locked);
    expect(server.received).toHaveLength(1);
    const [mail] = server.received;
    expect(mail!.envelopeFrom).toBe('billing@acme.test');
    expect(mail!.envelopeTo).toEqual(['owner@customer.test']);
    expect(mail!.parsed.from?.value).toEqual([{ address: 'billing@acme.test', name: 'Acme Billing' }]);
    expect(mail!.parsed.subject).toBe('Workspace "Prod <eu> & "main"" is locked');
    expect(mail!.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail!.parsed.headers.get('x-billing-center-notification')).toBe('workspaces-locked');
    expect(mail!.parsed.text).toContain('  - Prod <eu> & "main" (ID: ws-1)');
    expect(mail!.parsed.text).toContain('settle the arrears of your Billing Center balance');
    expect(mail!.parsed.html).toContain('<li>Prod &lt;eu&gt; &amp; &quot;main&quot; (ID: ws-1)</li>');
    expect(mail!.raw).toMatch(/Content-Type: multipart\/alternative/i);
  });

  it('authenticates with the user and password of SMTP_URL, and fails on a wrong password', async () => {
    const auth = { user: 'mailer', pass: 's3cret:/@' };
    const { server, notifier } = await world({ auth }, { auth });
    await notifier.verify();
    await notifier.notifyOwner(owner, 'workspaces-locked', locked);
    expect(server.received.map((m) => m.user)).toEqual(['mailer']);

    const wrong = new SmtpNotifier(
      settings(server.port, { auth: { user: 'mailer', pass: 'nope' } }),
      CONTRACT_EMAIL,
    );
    cleanups.push(() => wrong.close());
    await expect(wrong.notifyOwner(owner, 'workspaces-locked', locked)).rejects.toThrow(
      /Invalid username or password/,
    );
    await expect(wrong.verify()).rejects.toThrow();
    expect(server.received).toHaveLength(1);
  });

  it('throws when the server refuses the owner (RCPT 550), and nothing is delivered', async () => {
    const { server, notifier } = await world({ rejectRecipients: ['owner@customer.test'] });
    const err = await notifier.notifyOwner(owner, 'workspaces-locked', locked).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpDeliveryError);
    expect((err as Error).message).toMatch(
      /^SMTP delivery of owner-notification "workspaces-locked" to owner@customer\.test failed: .*550/,
    );
    expect(server.rcptAttempts).toEqual(['owner@customer.test']);
    expect(server.received).toEqual([]);
  });

  it('throws when the server refuses one operator, naming it (the others got the alert)', async () => {
    const { server, notifier } = await world({ rejectRecipients: ['oncall@acme.test'] });
    const err = await notifier
      .alertOperators({ code: 'usage-not-billable', severity: 'warning', message: 'm', details: {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpDeliveryError);
    expect((err as SmtpDeliveryError).rejected).toEqual(['oncall@acme.test']);
    expect((err as Error).message).toContain(
      'SMTP server refused oncall@acme.test for operator-alert "usage-not-billable"',
    );
    expect(server.received.map((m) => m.envelopeTo)).toEqual([['ops@acme.test']]);
  });

  it('throws on a temporary failure after the data (451)', async () => {
    const { server, notifier } = await world({ failData: true });
    await expect(notifier.notifyOwner(owner, 'workspaces-locked', locked)).rejects.toThrow(
      /451|Try again later/,
    );
    expect(server.received).toEqual([]);
  });

  it('throws when the connection is refused', async () => {
    const port = await closedPort();
    const notifier = new SmtpNotifier(settings(port), CONTRACT_EMAIL);
    cleanups.push(() => notifier.close());
    await expect(notifier.notifyOwner(owner, 'workspaces-locked', locked)).rejects.toThrow(/ECONNREFUSED/);
    await expect(notifier.verify()).rejects.toThrow(/ECONNREFUSED/);
  });

  it('throws, within its greeting timeout, when a server accepts the connection and says nothing', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const notifier = new SmtpNotifier(
      settings((silent.address() as AddressInfo).port, { greetingTimeoutMs: 300, connectionTimeoutMs: 300 }),
      CONTRACT_EMAIL,
    );
    cleanups.push(() => notifier.close());
    const started = Date.now();
    await expect(notifier.notifyOwner(owner, 'workspaces-locked', locked)).rejects.toThrow(/[Gg]reeting/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reuses its pooled connections for a burst of emails', async () => {
    const { server, notifier } = await world();
    await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        notifier.notifyOwner(
          { accountId: `acc-${n}`, email: `owner${n}@customer.test` },
          'workspaces-locked',
          locked,
        ),
      ),
    );
    expect(server.received).toHaveLength(20);
    expect(new Set(server.received.flatMap((m) => m.envelopeTo)).size).toBe(20);
  });
});
