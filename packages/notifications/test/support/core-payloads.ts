// The notifications the core really writes: every owner template produced by driving the use cases of a
// test core (registration, locks, unlocks, the AWS lifecycle, grace expiry), so the emails are tested on
// the payloads the outbox will hand them, not on hand-written ones.
import type { OwnerNotificationTemplate } from '@billing-center/core';
import { activatedCustomer, createTestCore, deliver, operator, platform } from '@billing-center/core/testing';

export interface RecordedOwnerNotification {
  to: { accountId: string; email: string };
  template: OwnerNotificationTemplate;
  data: Record<string, unknown>;
}

const DAY = 24 * 3_600_000;

export async function recordCoreNotifications(): Promise<RecordedOwnerNotification[]> {
  const core = createTestCore();
  const t = (ms: number) => new Date(core.clock.now().getTime() + ms);

  // Cancelled on AWS: the bound workspace is locked; a resubscription unlocks it again.
  const a = await activatedCustomer(core);
  await deliver(core, a.buyer, 'subscribe-success', t(-60_000));
  core.clock.advance(3_600_000);
  await deliver(core, a.buyer, 'unsubscribe-success', t(0));
  core.clock.advance(3_600_000);
  await deliver(core, a.buyer, 'subscribe-success', t(0));

  // A failed subscription locks what the new cloud account settles.
  const b = await activatedCustomer(core);
  await deliver(core, b.buyer, 'subscribe-fail', t(0));

  // An operator lock, lifted by an operator onto the Billing Center balance; then arrears left to expire.
  core.clock.advance(3_600_000);
  await core.useCases.lockWorkspace.execute({
    workspaceId: a.workspace.id,
    reason: 'operator',
    by: operator,
  });
  await core.useCases.unlockWorkspace.execute({
    workspaceId: a.workspace.id,
    method: { kind: 'billing-center' },
    by: operator,
  });
  await core.useCases.lockWorkspace.execute({ workspaceId: a.workspace.id, reason: 'arrears', by: platform });
  core.clock.advance(core.ctx.config.lockGraceDays * DAY + 60_000);
  await core.useCases.expireLockGrace.execute();

  // The outbox hands them to the (recording) notifier.
  while ((await core.useCases.dispatchOutbox.execute()).sent > 0);
  return core.notifier.owners.map((o) => ({ ...o, template: o.template as OwnerNotificationTemplate }));
}
