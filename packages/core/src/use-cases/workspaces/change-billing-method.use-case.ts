import type { Actor } from '../../domain/audit/audit-entry.js';
import { type BillingMethod, describeMethod, type Workspace } from '../../domain/workspace/workspace.js';
import { assertBillingMethodChangeAllowed } from '../../policies/billing-method.policy.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { ValidationError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { loadAccount, loadWorkspace, requireCustomerOrOperator } from '../support/load.js';
import { switchPayer } from '../support/payer.js';

export function parseBillingMethod(value: unknown): BillingMethod {
  const v = value as { kind?: unknown; cloudAccountId?: unknown } | null;
  if (v?.kind === 'billing-center') return { kind: 'billing-center' };
  if (v?.kind === 'cloud-account' && typeof v.cloudAccountId === 'string' && v.cloudAccountId) {
    return { kind: 'cloud-account', cloudAccountId: v.cloudAccountId };
  }
  throw new ValidationError(
    'invalid-billing-method',
    'The billing method must be { kind: "billing-center" } or { kind: "cloud-account", cloudAccountId }.',
    { field: 'method' },
  );
}

/**
 * Change or unlock one workspace inside an open transaction: checks every rule, then moves the payer at the
 * next hour boundary. Returns the workspace as changed.
 */
export async function moveWorkspace(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  r: {
    workspace: Workspace;
    target: BillingMethod;
    mode: 'change' | 'unlock';
    by: Actor;
    force?: boolean;
    now: Date;
  },
): Promise<Workspace> {
  const ws = r.workspace;
  const owner = await loadAccount(tx, ws.ownerAccountId, { type: 'system' });
  const current = ws.cloudAccountId ? await tx.cloudAccounts.get(ws.cloudAccountId) : null;
  const targetCa =
    r.target.kind === 'cloud-account' ? await tx.cloudAccounts.get(r.target.cloudAccountId) : null;
  assertBillingMethodChangeAllowed({
    mode: r.mode,
    workspace: ws,
    site: ctx.sites.get(ws.siteId),
    owner,
    target: r.target,
    targetCloudAccount: targetCa,
    currentCloudAccount: current,
    now: r.now,
    billingTimeZone: ctx.config.billingTimeZone,
    by: r.by,
    force: r.force ?? false,
  });
  const before = ws.method;
  const lock = ws.lock;
  if (r.mode === 'unlock') ws.clearLock();
  await switchPayer(tx, ctx.ids, ws, r.target, r.now, 'billing-method-changed', r.mode === 'change');
  await tx.workspaces.save(ws);
  const details = {
    from: describeMethod(before),
    to: describeMethod(r.target),
    effectiveFrom: ws.billingMethodEffectiveFrom.toISOString(),
    forced: r.force === true && r.by.type === 'operator',
  };
  journal.audit(
    r.mode === 'unlock' ? 'workspace.unlocked' : 'workspace.billing-method-changed',
    { type: 'workspace', id: ws.id },
    ws.ownerAccountId,
    {
      ...details,
      ...(lock ? { lockReason: lock.reason } : {}),
    },
  );
  journal.event('workspace.billing-method-changed', {
    workspaceId: ws.id,
    accountId: ws.ownerAccountId,
    ...details,
  });
  if (r.mode === 'unlock') {
    journal.event('workspace.unlocked', {
      workspaceId: ws.id,
      accountId: ws.ownerAccountId,
      lockReason: lock?.reason,
    });
    journal.notifyOwner(owner, 'workspace-unlocked', {
      workspaceId: ws.id,
      workspaceName: ws.name,
      billingMethod: details.to,
    });
  }
  return ws;
}

/** One workspace, one transaction: load it for the actor, move it, journal it. */
async function moveOne(
  ctx: CoreContext,
  mode: 'change' | 'unlock',
  input: { workspaceId: string; method: BillingMethod; by: Actor; force?: boolean },
  meta: RequestMeta,
): Promise<Workspace> {
  requireCustomerOrOperator(input.by, mode === 'change' ? 'change a billing method' : 'unlock a workspace');
  const target = parseBillingMethod(input.method);
  const now = ctx.clock.now();
  return ctx.uow.transaction(async (tx) => {
    const journal = new Journal(ctx.ids, now, input.by, meta.requestId);
    const ws = await loadWorkspace(tx, input.workspaceId, input.by);
    await moveWorkspace(ctx, tx, journal, {
      workspace: ws,
      target,
      mode,
      by: input.by,
      force: input.force,
      now,
    });
    await journal.flush(tx);
    return ws;
  });
}

/** Workspace Management → Change: to Billing Center settlement or to a registered cloud account. */
export class ChangeBillingMethod {
  constructor(private readonly ctx: CoreContext) {}

  execute(
    input: { workspaceId: string; method: BillingMethod; by: Actor; force?: boolean },
    meta: RequestMeta = {},
  ): Promise<Workspace> {
    return moveOne(this.ctx, 'change', input, meta);
  }
}

/** Unlock a locked workspace by choosing another billing method (not limited to once a month). */
export class UnlockWorkspace {
  constructor(private readonly ctx: CoreContext) {}

  execute(
    input: { workspaceId: string; method: BillingMethod; by: Actor },
    meta: RequestMeta = {},
  ): Promise<Workspace> {
    return moveOne(this.ctx, 'unlock', input, meta);
  }
}
