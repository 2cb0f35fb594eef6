import type { Page, Workspace, WorkspaceFilter, WorkspaceRepository } from '@billing-center/core';
import type { FilterQuery } from '@mikro-orm/core';
import { WorkspaceSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';
import { OF_WORKSPACE } from './binding.repository.js';
import { page } from './paging.js';

export class MikroOrmWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly s: Session) {}
  get(id: string) {
    return this.s.get(WorkspaceSchema, id);
  }
  /** Two columns, not the entity: a seal rates thousands of workspaces by their site. */
  async sitesOf(ids: readonly string[]) {
    const out = new Map<string, string>();
    for (const r of await this.s.columnsIn(WorkspaceSchema, ['id', 'siteId'], ids))
      out.set(r.id as string, r.siteId as string);
    return out;
  }
  async getMany(ids: readonly string[]) {
    const found = await this.s.getMany(WorkspaceSchema, ids);
    this.s.hint(OF_WORKSPACE, ids);
    return found;
  }
  async list(f: WorkspaceFilter, p: { limit: number; cursor?: string | null }): Promise<Page<Workspace>> {
    const where: FilterQuery<Workspace> = {};
    if (f.ownerAccountId) where.ownerAccountId = f.ownerAccountId;
    if (f.cloudAccountId) where.cloudAccountId = f.cloudAccountId;
    if (f.locked !== undefined) where.lockReason = f.locked ? { $ne: null } : null;
    if (!f.includeDissolved) where.dissolvedAt = null;
    if (p.cursor) where.id = { $gt: p.cursor };
    const rows = await this.s.find(WorkspaceSchema, where, { orderBy: { id: 'asc' }, limit: p.limit + 1 });
    return page(rows, p.limit);
  }
  listSettledBy(cloudAccountId: string) {
    return this.s.find(WorkspaceSchema, { cloudAccountId, dissolvedAt: null }, { orderBy: { id: 'asc' } });
  }
  listLockedByCloudAccount(cloudAccountId: string) {
    return this.s.find(
      WorkspaceSchema,
      { lockCloudAccountId: cloudAccountId, dissolvedAt: null },
      { orderBy: { id: 'asc' } },
    );
  }
  listGraceExpired(now: Date, limit: number) {
    return this.s.find(
      WorkspaceSchema,
      { lockReason: { $ne: null }, fullyLockedAt: null, dissolvedAt: null, lockGraceEndsAt: { $lte: now } },
      { orderBy: { id: 'asc' }, limit },
    );
  }
  // every write notes the owner first: the list cache forgets the account once the unit of work ends
  add(workspace: Workspace) {
    this.s.workspaceOwnersWritten.add(workspace.ownerAccountId);
    return this.s.insert(WorkspaceSchema, [workspace]);
  }
  saveMany(workspaces: readonly Workspace[]) {
    for (const w of workspaces) this.s.workspaceOwnersWritten.add(w.ownerAccountId);
    return this.s.updateMany(WorkspaceSchema, workspaces);
  }
  save(workspace: Workspace) {
    this.s.workspaceOwnersWritten.add(workspace.ownerAccountId);
    return this.s.update(WorkspaceSchema, workspace);
  }
}
