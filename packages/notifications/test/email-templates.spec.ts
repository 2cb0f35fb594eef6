import type { OwnerNotificationTemplate } from '@billing-center/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, oneLine } from '../src/email/email-document.js';
import {
  type EmailBranding,
  formatDate,
  OWNER_TEMPLATES,
  renderOperatorAlert,
  renderOwnerEmail,
  UnknownTemplateError,
} from '../src/email/email-templates.js';
import { type RecordedOwnerNotification, recordCoreNotifications } from './support/core-payloads.js';

// Compile-time: OWNER_TEMPLATES names every template the core can write.
type Missing = Exclude<OwnerNotificationTemplate, (typeof OWNER_TEMPLATES)[number]>;
const everyTemplateListed: [Missing] extends [never] ? true : Missing = true;

const brand: EmailBranding = { brandName: 'Acme Observability', consoleUrl: 'https://billing.acme.test' };

describe('owner emails on the payloads the core writes', () => {
  let recorded: RecordedOwnerNotification[];
  beforeAll(async () => {
    recorded = await recordCoreNotifications();
  });

  it('the core flows produce every template', () => {
    expect(everyTemplateListed).toBe(true);
    expect(new Set(recorded.map((r) => r.template))).toEqual(new Set(OWNER_TEMPLATES));
  });

  it('each email names the brand, every workspace with its id, and links the Billing Center', () => {
    for (const { template, data } of recorded) {
      const email = renderOwnerEmail(template, data, brand);
      const workspaces = (data.workspaces as Array<{ id: string; name: string }> | undefined) ?? [
        { id: data.workspaceId as string, name: data.workspaceName as string },
      ];
      expect(workspaces.length, template).toBeGreaterThan(0);
      for (const w of workspaces) {
        expect(email.text, template).toContain(`${w.name} (ID: ${w.id})`);
        expect(email.html, template).toContain(`<li>${w.name} (ID: ${w.id})</li>`);
      }
      expect(email.subject, template).toContain(workspaces[0]!.name);
      expect(email.text, template).toContain('Acme Observability Billing Center');
      expect(email.text, template).toContain('https://billing.acme.test');
      expect(email.html, template).toContain('<a href="https://billing.acme.test">');
      expect(email.subject, template).not.toMatch(/[\r\n]/);
    }
  });

  it('a cancellation says what was locked and how to unlock within the grace period', () => {
    const { data } = recorded.find((r) => r.template === 'cloud-subscription-cancelled')!;
    const email = renderOwnerEmail('cloud-subscription-cancelled', data, brand);
    expect(email.subject).toBe(
      `AWS Marketplace subscription of AWS account ${data.customerAwsAccountId} cancelled: workspace "Production" is locked`,
    );
    expect(email.text).toContain('was cancelled in AWS Marketplace');
    expect(email.text).toContain('Billing Center > Workspace Management');
    expect(email.text).toContain('another registered AWS account with an active subscription');
    expect(email.text).toContain(`subscribe again with AWS account ${data.customerAwsAccountId}`);
    // the core gives each locked workspace its grace end, so the email names the date
    expect(email.text).toMatch(
      /Until \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(the end of the grace period\) you can still read its history, unlock it or dissolve it/,
    );
    expect(email.text).toContain(`Registered cloud account: ${data.cloudAccountId}`);
    // a payload without the date (written before the core carried it) falls back to the length of the period
    const { workspaces, ...rest } = data as { workspaces: Array<{ id: string; name: string }> };
    const older = renderOwnerEmail(
      'cloud-subscription-cancelled',
      { ...rest, workspaces: workspaces.map(({ id, name }) => ({ id, name })) },
      brand,
    );
    expect(older.text).toContain(
      'For 14 days from the lock (the grace period) you can still read its history, unlock it or dissolve it',
    );
  });

  it('a failed subscription says so, with the same way out', () => {
    const { data } = recorded.find((r) => r.template === 'cloud-subscription-failed')!;
    const email = renderOwnerEmail('cloud-subscription-failed', data, brand);
    expect(email.subject).toContain('failed: workspace "Production" is locked');
    expect(email.text).toContain('AWS could not complete it');
    expect(email.text).toContain('choose another billing method');
  });

  it('an operator lock sends the customer to support; arrears to settle or choose an AWS account', () => {
    const [operatorLock, arrearsLock] = recorded.filter((r) => r.template === 'workspaces-locked');
    expect(operatorLock!.data.reason).toBe('operator');
    const byOperator = renderOwnerEmail('workspaces-locked', operatorLock!.data, brand);
    expect(byOperator.subject).toBe('Workspace "Production" is locked');
    expect(byOperator.text).toContain('An operator of Acme Observability has locked this workspace');
    expect(byOperator.text).toContain('Only Acme Observability support can unlock it');
    expect(byOperator.text).toContain('you can still read its history or dissolve it');
    expect(arrearsLock!.data.reason).toBe('arrears');
    const arrears = renderOwnerEmail('workspaces-locked', arrearsLock!.data, brand);
    expect(arrears.text).toContain('balance is in arrears');
    expect(arrears.text).toContain(
      'settle the arrears of your Billing Center balance, or choose a registered AWS account',
    );
  });

  it('an unlock names the new payer; a resubscription says the AWS account settles them again', () => {
    const [resubscribed, byOperator] = recorded.filter((r) => r.template === 'workspace-unlocked');
    const again = renderOwnerEmail('workspace-unlocked', resubscribed!.data, brand);
    expect(again.subject).toBe('Workspace "Production" is unlocked');
    expect(again.text).toContain('Your AWS Marketplace subscription is active again');
    const moved = renderOwnerEmail('workspace-unlocked', byOperator!.data, brand);
    expect(moved.text).toContain(
      'settled by your Acme Observability Billing Center balance from the next full hour',
    );
    expect(
      renderOwnerEmail(
        'workspace-unlocked',
        { ...byOperator!.data, billingMethod: 'cloud-account:ca-9' },
        brand,
      ).text,
    ).toContain('the registered AWS account ca-9');
  });

  it('a fully locked workspace can only be restored by support', () => {
    const { data } = recorded.find((r) => r.template === 'workspace-fully-locked')!;
    const email = renderOwnerEmail('workspace-fully-locked', data, brand);
    expect(email.subject).toBe('Workspace "Production" is now fully locked');
    expect(email.text).toContain('Acme Observability no longer accepts its data');
    expect(email.text).toContain('contact Acme Observability support');
  });
});

describe('owner emails: details', () => {
  const locked = (extra: Record<string, unknown> = {}) => ({
    reason: 'arrears',
    workspaces: [
      { id: 'ws-1', name: 'Alpha' },
      { id: 'ws-2', name: 'Beta' },
    ],
    ...extra,
  });

  it('several workspaces: counted in the subject, each listed', () => {
    const email = renderOwnerEmail('workspaces-locked', locked(), brand);
    expect(email.subject).toBe('2 workspaces are locked');
    expect(email.text).toContain('  - Alpha (ID: ws-1)\n  - Beta (ID: ws-2)');
    expect(email.text).toContain('these workspaces have been locked');
    expect(email.html).toContain('<ul><li>Alpha (ID: ws-1)</li><li>Beta (ID: ws-2)</li></ul>');
  });

  it('gives the date the grace period ends when the message carries it (the earliest of them)', () => {
    const email = renderOwnerEmail(
      'workspaces-locked',
      locked({
        workspaces: [
          { id: 'ws-1', name: 'Alpha', graceEndsAt: '2026-11-20T08:30:00.000Z' },
          { id: 'ws-2', name: 'Beta', graceEndsAt: '2026-11-16T10:15:00.000Z' },
        ],
      }),
      brand,
    );
    expect(email.text).toContain('Until 2026-11-16 10:15 UTC (the end of the grace period) you can still');
    expect(
      renderOwnerEmail(
        'cloud-subscription-cancelled',
        { graceEndsAt: '2026-12-01T00:00:00Z', workspaces: locked().workspaces },
        brand,
      ).text,
    ).toContain('Until 2026-12-01 00:00 UTC');
    expect(formatDate(new Date('2026-03-04T05:06:07Z'))).toBe('2026-03-04 05:06 UTC');
  });

  it('a cancellation without bound workspaces says none was locked', () => {
    const email = renderOwnerEmail(
      'cloud-subscription-cancelled',
      { cloudAccountId: 'ca-1', customerAwsAccountId: '123456789012', workspaces: [], graceDays: 14 },
      brand,
    );
    expect(email.subject).toBe('AWS Marketplace subscription of AWS account 123456789012 cancelled');
    expect(email.text).toContain('No workspace was settled by it, so none was locked.');
    expect(email.text).not.toContain('grace period');
  });

  it('escapes every user-controlled value in HTML and keeps it verbatim in the text', () => {
    const name = '<img src=x onerror="alert(1)"> & \'Co\'';
    const hostileBrand: EmailBranding = {
      brandName: 'Acme <b>Obs</b>',
      consoleUrl: 'https://billing.acme.test/?a=1&b="2"',
    };
    const email = renderOwnerEmail(
      'cloud-subscription-cancelled',
      {
        cloudAccountId: '<ca>',
        customerAwsAccountId: '"123"',
        workspaces: [{ id: 'ws-<1>', name }],
        graceDays: 14,
      },
      hostileBrand,
    );
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b>');
    expect(email.html).not.toContain('<ca>');
    expect(email.html).toContain(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;Co&#39; (ID: ws-&lt;1&gt;)',
    );
    expect(email.html).toContain('Acme &lt;b&gt;Obs&lt;/b&gt;');
    expect(email.html).toContain('<a href="https://billing.acme.test/?a=1&amp;b=&quot;2&quot;">');
    expect(email.text).toContain(`${name} (ID: ws-<1>)`);
  });

  it('a subject is one line, whatever the name holds', () => {
    const email = renderOwnerEmail(
      'workspace-fully-locked',
      { workspaceId: 'ws-1', workspaceName: 'Evil\r\nBcc: victim@example.com' },
      brand,
    );
    expect(email.subject).toBe('Workspace "Evil Bcc: victim@example.com" is now fully locked');
    expect(oneLine('a'.repeat(300)).length).toBe(200);
    expect(escapeHtml(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });

  it('refuses a template it has no email for, naming the known ones', () => {
    expect(() => renderOwnerEmail('workspace-renamed', {}, brand)).toThrow(UnknownTemplateError);
    expect(() => renderOwnerEmail('toString', {}, brand)).toThrow(
      /No email template "toString" \(known: workspaces-locked/,
    );
  });
});

describe('operator alerts', () => {
  it('puts severity and code in the subject and lists every detail', () => {
    const email = renderOperatorAlert(
      {
        code: 'usage-not-billable',
        severity: 'critical',
        message: '3 usage records of cloud account ca-1 were never metered.',
        details: { count: 3, cloudAccountId: 'ca-1', hours: ['2026-11-02T09:00:00Z'], nothing: null },
      },
      brand,
    );
    expect(email.subject).toBe(
      '[CRITICAL] usage-not-billable: 3 usage records of cloud account ca-1 were never metered. (Acme Observability Billing Center)',
    );
    expect(email.text).toContain(
      [
        '  Severity: critical',
        '  Code: usage-not-billable',
        '  cloudAccountId: ca-1',
        '  count: 3',
        '  hours: ["2026-11-02T09:00:00Z"]',
        '  nothing: null',
      ].join('\n'),
    );
    expect(email.html).toContain(
      '<th style="padding:2px 12px 2px 0;vertical-align:top;text-align:left">count</th>',
    );
  });

  it('escapes details in HTML', () => {
    const email = renderOperatorAlert(
      {
        code: 'sns-unknown-action',
        severity: 'warning',
        message: 'Unknown <action>',
        details: { body: '<script>x</script>' },
      },
      brand,
    );
    expect(email.subject).toBe(
      '[WARNING] sns-unknown-action: Unknown <action> (Acme Observability Billing Center)',
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(email.html).toContain('<p>Unknown &lt;action&gt;</p>');
  });
});
