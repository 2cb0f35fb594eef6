import type { Actor } from '../../domain/audit/audit-entry.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { isDomainError, RuleViolation, ValidationError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { loadCloudAccount, loadWorkspace, requireCustomerOrOperator } from '../support/load.js';
import { moveWorkspace } from './change-billing-method.use-case.js';

export const MAX_WORKSPACES_PER_BIND = 100;

export function parseWorkspaceIds(value: unknown, field = 'workspaceIds', allowEmpty = false): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !v)) {
    throw new ValidationError('invalid-input', `${field} must be a list of workspace ids.`, { field });
  }
  const ids = [...new Set(value as string[])];
  if ((!allowEmpty && ids.length === 0) || ids.length > MAX_WORKSPACES_PER_BIND) {
    throw new ValidationError(
      'invalid-input',
      `${field} must name 1 to ${MAX_WORKSPACES_PER_BIND} workspaces.`,
      { field },
    );
  }
  return ids;
}

/**
 * Settle several workspaces through one cloud account inside an open transaction, all or nothing. Locked
 * workspaces are unlocked by this choice; the others change method (and count toward the monthly limit).
 * Every workspace is checked before the error is raised, so the customer sees all problems at once.
 */
export async function bindWorkspaces(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  r: { cloudAccountId: string; workspaceIds: string[]; by: Actor; now: Date },
): Promise<Workspace[]> {
  await loadCloudAccount(tx, r.cloudAccountId, r.by);
  const target = { kind: 'cloud-account' as const, cloudAccountId: r.cloudAccountId };
  const done: Workspace[] = [];
  const failures: Array<{ workspaceId: string; code: string; message: string }> = [];
  for (const id of r.workspaceIds) {
    try {
      const ws = await loadWorkspace(tx, id, r.by);
      const mode = ws.isLocked ? 'unlock' : 'change';
      done.push(await moveWorkspace(ctx, tx, journal, { workspace: ws, target, mode, by: r.by, now: r.now }));
    } catch (e) {
      if (!isDomainError(e)) throw e;
      failures.push({ workspaceId: id, code: e.code, message: e.message });
    }
  }
  if (failures.length > 0) {
    throw new RuleViolation(
      'workspaces-not-bindable',
      `${failures.length} of ${r.workspaceIds.length} workspaces cannot be bound to this cloud account; nothing was changed.`,
      { failures },
    );
  }
  return done;
}

/** "Registered Cloud Account Billing" → pick the account → Confirm. */
export class BindWorkspacesToCloudAccount {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { cloudAccountId: string; workspaceIds: string[]; by: Actor },
    meta: RequestMeta = {},
  ): Promise<Workspace[]> {
    requireCustomerOrOperator(input.by, 'bind workspaces');
    const workspaceIds = parseWorkspaceIds(input.workspaceIds);
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      const done = await bindWorkspaces(this.ctx, tx, journal, {
        cloudAccountId: input.cloudAccountId,
        workspaceIds,
        by: input.by,
        now,
      });
      await journal.flush(tx);
      return done;
    });
  }
}
