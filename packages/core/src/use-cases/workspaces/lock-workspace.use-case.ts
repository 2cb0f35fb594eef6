import type { Actor } from '../../domain/audit/audit-entry.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import { ConflictError, ForbiddenError, RuleViolation, ValidationError } from '../../shared/domain-error.js';
import { DAY_MS } from '../../shared/time.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { loadWorkspace } from '../support/load.js';

/**
 * Lock from outside: `arrears` (the Billing Center's balance process, through the platform API) or
 * `operator`. Subscription locks come only from the marketplace lifecycle.
 */
export class LockWorkspace {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { workspaceId: string; reason: 'arrears' | 'operator'; by: Actor; note?: string },
    meta: RequestMeta = {},
  ): Promise<Workspace> {
    if (input.reason !== 'arrears' && input.reason !== 'operator') {
      throw new ValidationError(
        'invalid-lock-reason',
        'Only arrears and operator locks can be set directly.',
        { field: 'reason' },
      );
    }
    if (input.by.type !== 'operator' && !(input.by.type === 'platform' && input.reason === 'arrears')) {
      throw new ForbiddenError(
        'not-allowed',
        'Only operators lock workspaces; the platform may report arrears.',
      );
    }
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const ws = await loadWorkspace(tx, input.workspaceId, input.by);
      ws.assertNotDissolved();
      if (input.reason === 'arrears' && ws.billingMethod !== 'billing-center') {
        throw new RuleViolation(
          'arrears-not-applicable',
          `Workspace "${ws.name}" is not settled by the Billing Center balance, so it cannot be in arrears.`,
          {
            workspaceId: ws.id,
          },
        );
      }
      if (!ws.applyLock(input.reason, now, this.ctx.config.lockGraceDays * DAY_MS)) {
        throw new ConflictError(
          'workspace-already-locked',
          `Workspace "${ws.name}" is already locked (${ws.lockReason}).`,
          {
            workspaceId: ws.id,
          },
        );
      }
      await tx.workspaces.save(ws);
      const owner = await tx.accounts.get(ws.ownerAccountId);
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      journal.audit('workspace.locked', { type: 'workspace', id: ws.id }, ws.ownerAccountId, {
        reason: input.reason,
        note: input.note ?? null,
      });
      journal.event('workspace.locked', {
        workspaceId: ws.id,
        accountId: ws.ownerAccountId,
        reason: input.reason,
        graceEndsAt: ws.lockGraceEndsAt?.toISOString(),
      });
      if (owner)
        journal.notifyOwner(owner, 'workspaces-locked', {
          reason: input.reason,
          workspaces: [{ id: ws.id, name: ws.name, graceEndsAt: ws.lockGraceEndsAt?.toISOString() ?? null }],
        });
      await journal.flush(tx);
      return ws;
    });
  }
}
