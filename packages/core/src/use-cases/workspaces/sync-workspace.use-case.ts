import type { Actor } from '../../domain/audit/audit-entry.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import { ConflictError, ForbiddenError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { createWorkspace } from './create-workspace.use-case.js';

/**
 * The platform keeps its workspaces known here (a `workspaces:sync` service key): create one under the
 * platform's id, or rename an existing one. Site, language and owner are fixed at creation.
 */
export class SyncWorkspace {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { id: string; ownerAccountId: string; name: string; language: string; siteId: string; by: Actor },
    meta: RequestMeta = {},
  ): Promise<{ workspace: Workspace; created: boolean }> {
    if (input.by.type !== 'platform' && input.by.type !== 'operator') {
      throw new ForbiddenError(
        'not-allowed',
        'Workspaces are synced by the platform with a workspaces:sync service key.',
      );
    }
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      const existing = typeof input.id === 'string' ? await tx.workspaces.get(input.id) : null;
      if (!existing) {
        const workspace = await createWorkspace(
          this.ctx,
          tx,
          journal,
          { ...input, method: { kind: 'billing-center' } },
          now,
        );
        await journal.flush(tx);
        return { workspace, created: true };
      }
      const fixed = (field: string, was: string, now2: string) => {
        if (was !== now2) {
          throw new ConflictError(
            `workspace-${field}-fixed`,
            `The ${field} of workspace "${existing.id}" is fixed at creation (${was}).`,
            {
              workspaceId: existing.id,
              field,
            },
          );
        }
      };
      fixed('owner', existing.ownerAccountId, input.ownerAccountId);
      fixed('site', existing.siteId, input.siteId);
      fixed('language', existing.language, input.language);
      if (existing.name !== input.name?.trim()) {
        const before = existing.name;
        existing.rename(input.name);
        await tx.workspaces.save(existing);
        journal.audit('workspace.renamed', { type: 'workspace', id: existing.id }, existing.ownerAccountId, {
          from: before,
          to: existing.name,
        });
      }
      await journal.flush(tx);
      return { workspace: existing, created: false };
    });
  }
}
