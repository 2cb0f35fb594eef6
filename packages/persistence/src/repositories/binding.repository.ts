import type { Binding, BindingRepository } from '@billing-center/core';
import { BindingSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

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
  listForWorkspace(workspaceId: string) {
    return this.s.find(BindingSchema, { workspaceId }, { orderBy: { from: 'asc', id: 'asc' } });
  }
  listForCloudAccount(cloudAccountId: string) {
    return this.s.find(BindingSchema, { cloudAccountId }, { orderBy: { from: 'asc', id: 'asc' } });
  }
  add(binding: Binding) {
    return this.s.insert(BindingSchema, [binding]);
  }
  save(binding: Binding) {
    return this.s.update(BindingSchema, binding);
  }
}
