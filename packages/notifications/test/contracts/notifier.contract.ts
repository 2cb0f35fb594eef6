// What every Notifier adapter promises the outbox (DispatchOutbox): one email per owner notification,
// to the owner, rendered from the template; one email per alert, to every operator; and a rejected promise
// — never a silent success — whenever the email was not handed over, so the outbox retries it.
// The core has contract suites for its repositories and the MeteringGateway only; this one lives here and
// runs against each adapter of this package.
import type { Notifier } from '@billing-center/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmailSettings } from '../../src/email/email-composer.js';
import { renderOperatorAlert, renderOwnerEmail } from '../../src/email/email-templates.js';
import { type RecordedOwnerNotification, recordCoreNotifications } from '../support/core-payloads.js';

/** An email as the recipient's side saw it. */
export interface DeliveredEmail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface NotifierHarness {
  notifier: Notifier;
  /** Everything delivered since the harness was made, oldest first. */
  delivered(): Promise<DeliveredEmail[]>;
  /** Makes every later delivery fail; null for an adapter that cannot fail (the in-memory mailbox). */
  breakDelivery: (() => Promise<void>) | null;
  close(): Promise<void>;
}

export const CONTRACT_EMAIL: EmailSettings = {
  brandName: 'Acme Observability',
  consoleUrl: 'https://billing.acme.test',
  from: 'Acme Billing <billing@acme.test>',
  operatorEmails: ['ops@acme.test', 'oncall@acme.test'],
};

export function notifierContract(
  name: string,
  makeHarness: (email: EmailSettings) => Promise<NotifierHarness>,
  { canFail }: { canFail: boolean },
) {
  describe(`Notifier contract: ${name}`, () => {
    let payloads: RecordedOwnerNotification[];
    let h: NotifierHarness;
    beforeAll(async () => {
      payloads = await recordCoreNotifications();
    });
    beforeEach(async () => {
      h = await makeHarness(CONTRACT_EMAIL);
    });
    afterEach(async () => {
      await h.close();
    });

    it('sends one email per owner notification, to the owner, rendered from its template', async () => {
      for (const p of payloads) await h.notifier.notifyOwner(p.to, p.template, p.data);
      const delivered = await h.delivered();
      expect(delivered).toHaveLength(payloads.length);
      payloads.forEach((p, i) => {
        const expected = renderOwnerEmail(p.template, p.data, CONTRACT_EMAIL);
        const got = delivered[i]!;
        expect(got.to).toEqual([p.to.email]);
        expect(got.from).toContain('billing@acme.test');
        expect(got.subject).toBe(expected.subject);
        expect(normalize(got.text)).toBe(normalize(expected.text));
        expect(got.html).toContain('Acme Observability Billing Center');
        expect(got.html).not.toContain('<script');
      });
    });

    it('sends an alert to every operator with its severity and code', async () => {
      const alert = {
        code: 'metering-record-expired',
        severity: 'critical' as const,
        message: 'A metering record passed its AWS deadline.',
        details: { recordId: 'mr-1', hour: '2026-11-02T09:00:00.000Z' },
      };
      await h.notifier.alertOperators(alert);
      const [email, ...more] = await h.delivered();
      expect(more).toEqual([]);
      expect(email!.to.slice().sort()).toEqual(['oncall@acme.test', 'ops@acme.test']);
      expect(email!.subject).toBe(renderOperatorAlert(alert, CONTRACT_EMAIL).subject);
      expect(email!.subject).toMatch(/^\[CRITICAL\] metering-record-expired: /);
      expect(email!.text).toContain('recordId: mr-1');
    });

    it('rejects an unknown template or an owner without an address, and sends nothing', async () => {
      await expect(
        h.notifier.notifyOwner({ accountId: 'a-1', email: 'owner@acme.test' }, 'no-such-template', {}),
      ).rejects.toThrow('No email template "no-such-template"');
      await expect(
        h.notifier.notifyOwner({ accountId: 'a-1', email: '' }, 'workspace-fully-locked', {
          workspaceId: 'ws-1',
          workspaceName: 'Prod',
        }),
      ).rejects.toThrow('no email address for account a-1');
      expect(await h.delivered()).toEqual([]);
    });

    // An adapter that cannot fail (the in-memory mailbox) has nothing to prove here.
    if (canFail)
      it('rejects, never resolves, when the email cannot be delivered', async () => {
        expect(h.breakDelivery).not.toBeNull();
        await h.breakDelivery!();
        const p = payloads[0]!;
        await expect(h.notifier.notifyOwner(p.to, p.template, p.data)).rejects.toThrow();
        await expect(
          h.notifier.alertOperators({ code: 'x', severity: 'warning', message: 'm', details: {} }),
        ).rejects.toThrow();
      });
  });
}

/** Transports may re-wrap lines and add a final newline; the words and their order must be the same. */
function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
