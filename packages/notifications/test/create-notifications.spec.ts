import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestSmtpServer } from '@billing-center/smtp-test-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifications } from '../src/create-notifications.js';
import { MailboxNotifier } from '../src/email/mailbox-notifier.js';
import { SmtpNotifier } from '../src/email/smtp-notifier.js';
import { InMemoryDomainEventPublisher } from '../src/events/in-memory-domain-event-publisher.js';
import { SnsDomainEventPublisher } from '../src/events/sns-domain-event-publisher.js';
import { readNotificationsConfig } from '../src/notifications-config.js';
import { sampleEvent } from './contracts/domain-event-publisher.contract.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const owner = { accountId: 'acc-1', email: 'owner@customer.test' };
const fullyLocked = { workspaceId: 'ws-1', workspaceName: 'Prod' };

describe('createNotifications', () => {
  it('development: the mailbox and the in-memory events, exposed for the console', async () => {
    const now = new Date('2026-11-02T10:00:00Z');
    const logged: string[] = [];
    const n = createNotifications(readNotificationsConfig({ BRAND_NAME: 'Acme' }), {
      now: () => now,
      onDevelopmentEvent: (e) => logged.push(e.type),
    });
    cleanups.push(() => n.close());
    expect(n.notifier).toBeInstanceOf(MailboxNotifier);
    expect(n.notifier).toBe(n.mailbox);
    expect(n.publisher).toBeInstanceOf(InMemoryDomainEventPublisher);
    expect(n.publisher).toBe(n.events);
    const { mailbox, events } = n;
    if (!mailbox || !events) throw new Error('expected the development mailbox and events');

    await n.notifier.notifyOwner(owner, 'workspace-fully-locked', fullyLocked);
    expect(mailbox.messages()).toMatchObject([
      {
        to: ['owner@customer.test'],
        from: 'billing@localhost',
        subject: 'Workspace "Prod" is now fully locked',
        sentAt: now,
      },
    ]);
    expect(mailbox.messages()[0]?.text).toContain('Acme Billing Center');
    const e = sampleEvent();
    await n.publisher.publish(e);
    expect(events.events().map((x) => x.id)).toEqual([e.id]);
    expect(logged).toEqual(['workspace.locked']);
  });

  it('production: SMTP and SNS as configured, no mailbox or in-memory events; close() closes both once', async () => {
    const smtp = await new TestSmtpServer().start();
    cleanups.push(() => smtp.close());
    // An SNS stand-in that answers Publish: only to see that the publisher goes where the config says.
    const published: string[] = [];
    const sns = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        published.push(new URLSearchParams(body).get('TopicArn') ?? '');
        res.setHeader('content-type', 'text/xml');
        res.end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => sns.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => sns.close(() => resolve())));

    const config = readNotificationsConfig({
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: 'billing@acme.test',
      OPERATOR_EMAILS: 'ops@acme.test',
      BRAND_NAME: 'Acme',
      BILLING_CONSOLE_URL: 'https://billing.acme.test',
      EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:billing-center-events',
      EVENTS_SNS_ENDPOINT: `http://127.0.0.1:${(sns.address() as AddressInfo).port}`,
    });
    // Credentials come from the SDK's standard chain in production; fixed ones keep this test independent of it.
    config.events!.credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };
    const n = createNotifications(config);
    expect(n.notifier).toBeInstanceOf(SmtpNotifier);
    expect(n.publisher).toBeInstanceOf(SnsDomainEventPublisher);
    expect(n.mailbox).toBeNull();
    expect(n.events).toBeNull();

    await n.notifier.notifyOwner(owner, 'workspace-fully-locked', fullyLocked);
    await n.notifier.alertOperators({ code: 'c', severity: 'warning', message: 'm', details: {} });
    expect(smtp.received.map((m) => m.envelopeTo)).toEqual([['owner@customer.test'], ['ops@acme.test']]);
    await n.publisher.publish(sampleEvent());
    expect(published).toEqual(['arn:aws:sns:us-east-1:123456789012:billing-center-events']);

    await n.close();
    await n.close();
  });
});
