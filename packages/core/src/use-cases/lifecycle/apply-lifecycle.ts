import type { CloudAccount, LifecycleAction } from '../../domain/cloud-account/cloud-account.js';
import type { MarketplaceEvent } from '../../domain/marketplace-event/marketplace-event.js';
import type { LockReason } from '../../domain/workspace/workspace.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { DAY_MS, HOUR_MS, hourStart } from '../../shared/time.js';
import type { CoreContext } from '../core-context.js';
import type { Journal } from '../support/journal.js';
import { switchPayers } from '../support/payer.js';

type EndReason = Extract<LockReason, 'cloud-subscription-cancelled' | 'cloud-subscription-failed'>;
/** A subscription that ended (cancelled, or its payment failed): its workspaces are unlinked and locked. */
const isEnded = (s: string) => s === 'cancelled' || s === 'failed';

/** First hour that starts at or after `t`. */
const ceilHour = (t: Date): Date =>
  t.getTime() % HOUR_MS === 0 ? t : new Date(hourStart(t).getTime() + HOUR_MS);

/**
 * Apply one lifecycle message to its cloud account inside an open transaction, with every consequence:
 * cancellation or failure unlinks and locks every workspace the account settles (and stops billing it);
 * a later subscribe-success re-binds and unlocks exactly the workspaces that the ending locked.
 */
export async function applyLifecycleEvent(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  ca: CloudAccount,
  event: MarketplaceEvent,
  action: LifecycleAction,
  now: Date,
): Promise<string> {
  ca.learnIdentity(event.customerRef);
  if (event.offerId && !ca.offerId) ca.offerId = event.offerId;
  if (action === 'subscribe-success' && event.freeTrial !== null) ca.freeTrial = event.freeTrial;
  const history = (await tx.marketplaceEvents.listForCloudAccount(ca.id))
    .filter(
      (e) =>
        e.id !== event.id &&
        e.status === 'processed' &&
        e.action !== null &&
        e.action !== 'entitlement-updated',
    )
    .map((e) => ({ action: e.action as LifecycleAction, occurredAt: e.occurredAt, messageId: e.messageId }));
  history.push({ action, occurredAt: event.occurredAt, messageId: event.messageId });
  const outcome = ca.applyLifecycle(history, now);
  await tx.cloudAccounts.save(ca);
  if (!outcome.applied) return outcome.reason;
  const { from, to } = outcome;
  journal.audit(
    'cloud-account.subscription-changed',
    { type: 'cloud-account', id: ca.id },
    ca.ownerAccountId,
    {
      from,
      to,
      action,
      messageId: event.messageId,
      occurredAt: event.occurredAt.toISOString(),
    },
  );
  journal.event('cloud-account.subscription-changed', {
    cloudAccountId: ca.id,
    accountId: ca.ownerAccountId,
    from,
    to,
  });
  const reasonFor = (st: typeof to) =>
    (st === 'cancelled' ? 'cloud-subscription-cancelled' : 'cloud-subscription-failed') as LockReason;
  if (!isEnded(from) && isEnded(to)) {
    await endSubscription(
      ctx,
      tx,
      journal,
      ca,
      reasonFor(to) as EndReason,
      ca.cancelledAt ?? event.occurredAt,
      now,
    );
  } else if (isEnded(from) && !isEnded(to)) {
    await restoreWorkspaces(ctx, tx, journal, ca, now);
  } else if (isEnded(from) && isEnded(to)) {
    // failed ⇄ cancelled: the workspaces stay locked, under the reason the history ends with.
    const relabel = (await tx.workspaces.listLockedByCloudAccount(ca.id)).filter(
      (ws) =>
        ws.lockReason === 'cloud-subscription-cancelled' || ws.lockReason === 'cloud-subscription-failed',
    );
    for (const ws of relabel) ws.lockReason = reasonFor(to);
    await tx.workspaces.saveMany(relabel);
  }
  return `${from}->${to}`;
}

async function endSubscription(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  ca: CloudAccount,
  reason: EndReason,
  endedAt: Date,
  now: Date,
): Promise<void> {
  const cancelled = reason === 'cloud-subscription-cancelled';
  const locked: Array<{ id: string; name: string; graceEndsAt: string | null }> = [];
  // every workspace of the AWS account at once: a few statements, not a few per workspace
  const settled = await tx.workspaces.listSettledBy(ca.id);
  const newlyLocked = new Set(
    settled
      .filter((ws) => ws.applyLock(reason, now, ctx.config.lockGraceDays * DAY_MS, ca.id))
      .map((ws) => ws.id),
  );
  await switchPayers(
    tx,
    ctx.ids,
    settled.map((ws) => ({ ws, method: null })),
    now,
    cancelled ? 'subscription-cancelled' : 'subscription-failed',
    false,
  );
  await tx.workspaces.saveMany(settled);
  for (const ws of settled) {
    locked.push({ id: ws.id, name: ws.name, graceEndsAt: ws.lockGraceEndsAt?.toISOString() ?? null });
    journal.audit('workspace.unlinked', { type: 'workspace', id: ws.id }, ws.ownerAccountId, {
      cloudAccountId: ca.id,
      reason,
    });
    if (newlyLocked.has(ws.id)) {
      journal.audit('workspace.locked', { type: 'workspace', id: ws.id }, ws.ownerAccountId, {
        reason,
        cloudAccountId: ca.id,
      });
      journal.event('workspace.locked', {
        workspaceId: ws.id,
        accountId: ws.ownerAccountId,
        reason,
        cloudAccountId: ca.id,
        graceEndsAt: ws.lockGraceEndsAt?.toISOString(),
      });
    }
  }
  // Nothing is billed for hours after the end: unsent records for them are withdrawn, and usage still
  // waiting for this account is reported as not billable.
  const unsent = await tx.metering.listUnsentFrom(ca.id, ceilHour(endedAt));
  for (const r of unsent) r.withdraw(cancelled ? 'subscription-cancelled' : 'subscription-failed', now);
  if (unsent.length) await tx.metering.saveMany(unsent);
  const waiting = await tx.usage.listPendingForPayers([ca], null);
  for (const u of waiting) u.markNotBillable(cancelled ? 'subscription-cancelled' : 'subscription-failed');
  if (waiting.length) await tx.usage.saveMany(waiting);
  const owner = await tx.accounts.get(ca.ownerAccountId);
  if (owner) {
    journal.notifyOwner(owner, cancelled ? 'cloud-subscription-cancelled' : 'cloud-subscription-failed', {
      cloudAccountId: ca.id,
      customerAwsAccountId: ca.customerAwsAccountId,
      workspaces: locked,
      graceDays: ctx.config.lockGraceDays,
    });
  }
  if (waiting.length) {
    journal.alert(
      'usage-not-billable',
      'warning',
      `${waiting.length} usage records of cloud account ${ca.id} were never metered before its subscription ended.`,
      {
        cloudAccountId: ca.id,
        count: waiting.length,
      },
    );
  }
}

async function restoreWorkspaces(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  ca: CloudAccount,
  now: Date,
): Promise<void> {
  const restored: Array<{ id: string; name: string }> = [];
  const back = (await tx.workspaces.listLockedByCloudAccount(ca.id)).filter(
    (ws) =>
      !ws.isDissolved &&
      (ws.lockReason === 'cloud-subscription-cancelled' || ws.lockReason === 'cloud-subscription-failed'),
  );
  const reasons = new Map(back.map((ws) => [ws.id, ws.lockReason]));
  for (const ws of back) ws.clearLock();
  await switchPayers(
    tx,
    ctx.ids,
    back.map((ws) => ({ ws, method: { kind: 'cloud-account' as const, cloudAccountId: ca.id } })),
    now,
    'billing-method-changed',
    false,
  );
  await tx.workspaces.saveMany(back);
  for (const ws of back) {
    const reason = reasons.get(ws.id);
    restored.push({ id: ws.id, name: ws.name });
    journal.audit('workspace.unlocked', { type: 'workspace', id: ws.id }, ws.ownerAccountId, {
      lockReason: reason,
      cloudAccountId: ca.id,
      effectiveFrom: ws.billingMethodEffectiveFrom.toISOString(),
      via: 'resubscription',
    });
    journal.event('workspace.unlocked', {
      workspaceId: ws.id,
      accountId: ws.ownerAccountId,
      lockReason: reason,
      cloudAccountId: ca.id,
    });
  }
  const owner = restored.length ? await tx.accounts.get(ca.ownerAccountId) : null;
  if (owner)
    journal.notifyOwner(owner, 'workspace-unlocked', { cloudAccountId: ca.id, workspaces: restored });
}

/** Events that arrived before their registration completed are applied once the cloud account exists. */
export async function applyParkedEvents(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  ca: CloudAccount,
  now: Date,
): Promise<number> {
  const parked = (await tx.marketplaceEvents.listParked(ca.partition)).filter((e) =>
    ca.matches(e.customerRef),
  );
  parked.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  for (const e of parked) {
    e.cloudAccountId = ca.id;
    if (e.action === 'entitlement-updated' || e.action === null) {
      // Needs a call to AWS: hand it back to the event processor, which runs outside this transaction.
      e.status = 'received';
    } else {
      e.outcome = await applyLifecycleEvent(ctx, tx, journal, ca, e, e.action, now);
      e.status = 'processed';
      e.processedAt = now;
    }
    await tx.marketplaceEvents.save(e);
  }
  return parked.length;
}
