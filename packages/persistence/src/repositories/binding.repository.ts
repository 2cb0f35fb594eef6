import type { Binding, BindingRepository } from '@billing-center/core';
import { BindingSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

/** Read-ahead key: bindings by workspace (see Session.hint). */
export const OF_WORKSPACE = 'bindings-of-workspace';
const ORDER = { from: 'asc', id: 'asc' } as const;
const byFromThenId = (a: Binding, b: Binding) =>
  a.from.getTime() - b.from.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

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
    for (const b of (await this.s.findIn(BindingSchema, 'workspaceId', batch)).sort(byFromThenId))
      byWorkspace.get(b.workspaceId)?.push(b);
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
  async findOpenMany(workspaceIds: readonly string[]) {
    // a workspace's history is short (one change a month at most): filter the open one here
    return (await this.s.findIn(BindingSchema, 'workspaceId', workspaceIds)).filter((b) => b.to === null);
  }
  add(binding: Binding) {
    this.s.forget(OF_WORKSPACE);
    return this.s.insert(BindingSchema, [binding]);
  }
  addMany(bindings: readonly Binding[]) {
    this.s.forget(OF_WORKSPACE);
    return this.s.insert(BindingSchema, bindings);
  }
  save(binding: Binding) {
    this.s.forget(OF_WORKSPACE);
    return this.s.update(BindingSchema, binding);
  }
  saveMany(bindings: readonly Binding[]) {
    this.s.forget(OF_WORKSPACE);
    return this.s.updateMany(BindingSchema, bindings);
  }
}
