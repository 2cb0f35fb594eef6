import type { Binding, BindingRepository } from '@billing-center/core';
import { BindingSchema } from '../mapping/entity-schemas.js';
import { chunks, type Session } from '../session.js';

/** Read-ahead key: bindings by workspace (see Session.hint). */
export const OF_WORKSPACE = 'bindings-of-workspace';
const ORDER = { from: 'asc', id: 'asc' } as const;

export class MikroOrmBindingRepository implements BindingRepository {
  constructor(private readonly s: Session) {}
  findOpen(workspaceId: string) {
    return this.s.findOne(BindingSchema, { workspaceId, to: null }, { orderBy: { from: 'asc', id: 'asc' } });
  }
  findCovering(workspaceId: string, hour: Date) {
    return this.s.findOne(
      BindingSchema,
      { workspaceId, from: { $lte: hour }, $or: [{ to: null }, { to: { $gt: hour } }] },
      { orderBy: { from: 'asc', id: 'asc' } },
    );
  }
  async listForWorkspace(workspaceId: string) {
    const known = this.s.recalled<Binding[]>(OF_WORKSPACE, workspaceId);
    if (known) return [...known];
    const batch = this.s.takeHints(OF_WORKSPACE, workspaceId);
    if (!batch) return this.s.find(BindingSchema, { workspaceId }, { orderBy: ORDER });
    // the workspaces loaded together are asked about one by one next: load all their bindings at once
    const byWorkspace = new Map<string, Binding[]>(batch.map((id) => [id, []]));
    for (const part of chunks(batch, 1000)) {
      for (const b of await this.s.find(BindingSchema, { workspaceId: { $in: part } }, { orderBy: ORDER }))
        byWorkspace.get(b.workspaceId)?.push(b);
    }
    for (const [id, list] of byWorkspace) this.s.remember(OF_WORKSPACE, id, list);
    this.s.hint(
      'cloud-account',
      [...byWorkspace.values()].flatMap((l) => l.map((b) => b.cloudAccountId)),
    );
    return [...(byWorkspace.get(workspaceId) ?? [])];
  }
  listForCloudAccount(cloudAccountId: string) {
    return this.s.find(BindingSchema, { cloudAccountId }, { orderBy: { from: 'asc', id: 'asc' } });
  }
  add(binding: Binding) {
    this.s.forget(OF_WORKSPACE);
    return this.s.insert(BindingSchema, [binding]);
  }
  save(binding: Binding) {
    this.s.forget(OF_WORKSPACE);
    return this.s.update(BindingSchema, binding);
  }
}
