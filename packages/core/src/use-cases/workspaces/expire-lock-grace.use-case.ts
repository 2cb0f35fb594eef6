import type { CoreContext } from '../core-context.js';
import { Journal } from '../support/journal.js';

/** After its grace period a locked workspace is fully locked: the platform stops accepting its data. */
export class ExpireLockGrace {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { limit?: number } = {}): Promise<{ fullyLocked: string[] }> {
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const due = await tx.workspaces.listGraceExpired(now, input.limit ?? 500);
      const journal = new Journal(this.ctx.ids, now, { type: 'system', process: 'lock-grace' });
      const fullyLocked: string[] = [];
      for (const ws of due) {
        if (!ws.markFullyLocked(now)) continue;
        await tx.workspaces.save(ws);
        fullyLocked.push(ws.id);
        journal.audit('workspace.fully-locked', { type: 'workspace', id: ws.id }, ws.ownerAccountId, {
          reason: ws.lockReason,
        });
        journal.event('workspace.fully-locked', {
          workspaceId: ws.id,
          accountId: ws.ownerAccountId,
          reason: ws.lockReason,
        });
        const owner = await tx.accounts.get(ws.ownerAccountId);
        if (owner)
          journal.notifyOwner(owner, 'workspace-fully-locked', {
            workspaceId: ws.id,
            workspaceName: ws.name,
          });
      }
      await journal.flush(tx);
      return { fullyLocked };
    });
  }
}
