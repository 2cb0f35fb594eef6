import type { Actor } from '../../domain/audit/audit-entry.js';
import { type BillingMethod, Workspace } from '../../domain/workspace/workspace.js';
import { assertCloudAccountEligible } from '../../policies/billing-method.policy.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { ConflictError, ValidationError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { loadAccount, loadCloudAccount, requireCustomerOrOperator } from '../support/load.js';
import { bindNewWorkspace } from '../support/payer.js';

export interface CreateWorkspaceInput {
  ownerAccountId: string;
  name: string;
  language: string;
  siteId: string;
  /** Defaults to the account's Billing Center balance. */
  method?: BillingMethod;
  /** The platform's own id when it syncs a workspace; generated otherwise. */
  id?: string;
  by: Actor;
}

/** Creates a workspace inside an open transaction (shared with registration and platform sync). */
export async function createWorkspace(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  input: CreateWorkspaceInput,
  now: Date,
): Promise<Workspace> {
  const owner = await loadAccount(tx, input.ownerAccountId, input.by);
  if (typeof input.siteId !== 'string' || !ctx.sites.has(input.siteId)) {
    throw new ValidationError('unknown-site', `Site "${String(input.siteId)}" does not exist.`, {
      field: 'siteId',
      sites: ctx.sites.all().map((s) => s.id),
    });
  }
  const site = ctx.sites.get(input.siteId);
  const method: BillingMethod = input.method ?? { kind: 'billing-center' };
  if (input.id !== undefined) {
    if (typeof input.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(input.id)) {
      throw new ValidationError('invalid-input', 'A workspace id is 1 to 64 letters, digits, "_" or "-".', {
        field: 'id',
      });
    }
    if (await tx.workspaces.get(input.id)) {
      throw new ConflictError('workspace-exists', `Workspace "${input.id}" already exists.`, {
        workspaceId: input.id,
      });
    }
  }
  const ws = Workspace.create({
    id: input.id ?? ctx.ids.next(),
    name: input.name,
    language: input.language,
    siteId: site.id,
    ownerAccountId: owner.id,
    method,
    now,
  });
  if (method.kind === 'cloud-account') {
    const ca = await loadCloudAccount(tx, method.cloudAccountId, { type: 'customer', accountId: owner.id });
    assertCloudAccountEligible(ws, site, owner, ca);
  }
  await tx.workspaces.add(ws);
  await bindNewWorkspace(tx, ctx.ids, ws, now);
  journal.audit('workspace.created', { type: 'workspace', id: ws.id }, owner.id, {
    name: ws.name,
    language: ws.language,
    siteId: ws.siteId,
    billingMethod: method,
  });
  journal.event('workspace.created', {
    workspaceId: ws.id,
    accountId: owner.id,
    siteId: ws.siteId,
    billingMethod: method,
  });
  return ws;
}

export class CreateWorkspace {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: CreateWorkspaceInput, meta: RequestMeta = {}): Promise<Workspace> {
    if (input.by.type !== 'platform') requireCustomerOrOperator(input.by, 'create a workspace');
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      const ws = await createWorkspace(this.ctx, tx, journal, input, now);
      await journal.flush(tx);
      return ws;
    });
  }
}
