import { describe, expect, it } from 'vitest';
import { MailboxNotifier } from '../src/email/mailbox-notifier.js';
import { CONTRACT_EMAIL, notifierContract } from './contracts/notifier.contract.js';

notifierContract(
  'MailboxNotifier (development)',
  async (email) => {
    const mailbox = new MailboxNotifier(email);
    return {
      notifier: mailbox,
      delivered: async () => mailbox.messages().reverse(),
      breakDelivery: null,
      close: async () => {},
    };
  },
  { canFail: false },
);

describe('MailboxNotifier', () => {
  const fully = (n: number) => ({ workspaceId: `ws-${n}`, workspaceName: `Workspace ${n}` });
  const owner = { accountId: 'acc-1', email: 'owner@acme.test' };

  it('keeps the newest messages first, up to its capacity, with when and what they were', async () => {
    let t = Date.parse('2026-11-02T10:00:00Z');
    const tick = () => {
      t += 1000;
      return new Date(t);
    };
    const mailbox = new MailboxNotifier(CONTRACT_EMAIL, { capacity: 3, now: tick });
    for (let n = 1; n <= 5; n += 1) await mailbox.notifyOwner(owner, 'workspace-fully-locked', fully(n));
    const kept = mailbox.messages();
    expect(kept.map((m) => m.subject)).toEqual([
      'Workspace "Workspace 5" is now fully locked',
      'Workspace "Workspace 4" is now fully locked',
      'Workspace "Workspace 3" is now fully locked',
    ]);
    expect(kept[0]).toMatchObject({
      category: 'owner-notification',
      topic: 'workspace-fully-locked',
      accountId: 'acc-1',
      from: CONTRACT_EMAIL.from,
      to: ['owner@acme.test'],
      sentAt: new Date('2026-11-02T10:00:05Z'),
    });
    expect(new Set(kept.map((m) => m.id)).size).toBe(3);
  });

  it('keeps operator alerts too, and clears on demand', async () => {
    const mailbox = new MailboxNotifier(CONTRACT_EMAIL);
    await mailbox.alertOperators({ code: 'c', severity: 'warning', message: 'm', details: {} });
    expect(mailbox.messages()).toMatchObject([
      { category: 'operator-alert', topic: 'c', accountId: null, to: CONTRACT_EMAIL.operatorEmails },
    ]);
    mailbox.clear();
    expect(mailbox.messages()).toEqual([]);
  });

  it('hands out copies: changing them changes nothing kept', async () => {
    const mailbox = new MailboxNotifier(CONTRACT_EMAIL);
    await mailbox.notifyOwner(owner, 'workspace-fully-locked', fully(1));
    const [copy] = mailbox.messages();
    copy!.to.push('intruder@evil.test');
    copy!.subject = 'changed';
    expect(mailbox.messages()[0]).toMatchObject({
      to: ['owner@acme.test'],
      subject: 'Workspace "Workspace 1" is now fully locked',
    });
  });

  it('refuses a capacity below one', () => {
    expect(() => new MailboxNotifier(CONTRACT_EMAIL, { capacity: 0 })).toThrow(/at least 1/);
    expect(() => new MailboxNotifier(CONTRACT_EMAIL, { capacity: 1.5 })).toThrow(/whole number/);
  });

  it('refuses to alert when no operator address is configured', async () => {
    const mailbox = new MailboxNotifier({ ...CONTRACT_EMAIL, operatorEmails: [] });
    await expect(
      mailbox.alertOperators({ code: 'c', severity: 'warning', message: 'm', details: {} }),
    ).rejects.toThrow('no operator email address is configured');
  });
});
