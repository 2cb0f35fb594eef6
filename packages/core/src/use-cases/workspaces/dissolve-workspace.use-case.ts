import type { Actor } from '../../domain/audit/audit-entry.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import { nextHour } from '../../shared/time.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { loadWorkspace, requireCustomerOrOperator } from '../support/load.js';
import { closeOpenBinding } from '../support/payer.js';

/** Dissolve a workspace (also allowed while locked); its payer keeps the current hour. */
export class DissolveWorkspace {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { workspaceId: string; by: Actor }, meta: RequestMeta = {}): Promise<Workspace> {
    requireCustomerOrOperator(input.by, 'dissolve a workspace');
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const ws = await loadWorkspace(tx, input.workspaceId, input.by);
      const before = ws.method;
      ws.dissolve(now);
      await closeOpenBinding(tx, ws.id, nextHour(now), 'workspace-dissolved');
      await tx.workspaces.save(ws);
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      journal.audit('workspace.dissolved', { type: 'workspace', id: ws.id }, ws.ownerAccountId, {
        billingMethod: before,
      });
      journal.event('workspace.dissolved', { workspaceId: ws.id, accountId: ws.ownerAccountId });
      await journal.flush(tx);
      return ws;
    });
  }
}
