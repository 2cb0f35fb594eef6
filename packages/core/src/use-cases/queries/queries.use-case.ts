import type { Account } from '../../domain/account/account.js';
import type { Actor } from '../../domain/audit/audit-entry.js';
import type { Binding } from '../../domain/binding/binding.js';
import type { CloudAccount } from '../../domain/cloud-account/cloud-account.js';
import type { MarketplaceEvent } from '../../domain/marketplace-event/marketplace-event.js';
import type { BillingMethod, Workspace } from '../../domain/workspace/workspace.js';
import type { Page } from '../../ports/repositories.js';
import { ValidationError } from '../../shared/domain-error.js';
import type { CoreContext } from '../core-context.js';
import { loadAccount, loadCloudAccount, loadWorkspace } from '../support/load.js';
import { ownerFor, pageSize } from './read-rules.js';

export { MAX_PAGE } from './read-rules.js';

/** The filters and page of `WorkspaceQueries.list`. */
export interface WorkspaceListInput {
  by: Actor;
  ownerAccountId?: string;
  cloudAccountId?: string;
  locked?: boolean;
  includeDissolved?: boolean;
  limit?: number;
  cursor?: string | null;
}

/**
 * The read side every edge shares (REST API, console, platform): each query enforces tenancy the same way
 * as the writes — another account's object is reported as unknown.
 */
export class WorkspaceQueries {
  constructor(private readonly ctx: CoreContext) {}

  async list(input: WorkspaceListInput): Promise<Page<Workspace>> {
    const owner = ownerFor(input.by, input.ownerAccountId);
    const limit = pageSize(input.limit);
    return this.ctx.uow.read((tx) =>
      tx.workspaces.list(
        {
          ownerAccountId: owner,
          cloudAccountId: input.cloudAccountId,
          locked: input.locked,
          includeDissolved: input.includeDissolved,
        },
        { limit, cursor: input.cursor ?? null },
      ),
    );
  }

  async get(input: { workspaceId: string; by: Actor }): Promise<Workspace> {
    return this.ctx.uow.read((tx) => loadWorkspace(tx, input.workspaceId, input.by));
  }

  /** The billing periods of a workspace settled by cloud accounts, oldest first. */
  async bindings(input: { workspaceId: string; by: Actor }): Promise<Binding[]> {
    return this.ctx.uow.read(async (tx) => {
      const ws = await loadWorkspace(tx, input.workspaceId, input.by);
      return tx.bindings.listForWorkspace(ws.id);
    });
  }

  /**
   * What the platform needs to accept or refuse a workspace's data: locked, fully locked, and who pays now
   * (and from when, when a change is scheduled for the next hour).
   */
  async billingStatus(input: { workspaceId: string; by: Actor }): Promise<WorkspaceBillingStatus> {
    const now = this.ctx.clock.now();
    return this.ctx.uow.read(async (tx) => {
      const ws = await loadWorkspace(tx, input.workspaceId, input.by);
      const binding = await tx.bindings.findCovering(ws.id, now);
      const scheduled = ws.billingMethodEffectiveFrom.getTime() > now.getTime();
      const payer: BillingMethod | null = binding
        ? { kind: 'cloud-account', cloudAccountId: binding.cloudAccountId }
        : scheduled
          ? ws.previousBillingMethod === 'billing-center'
            ? { kind: 'billing-center' }
            : null
          : ws.method;
      return {
        workspaceId: ws.id,
        dissolved: ws.isDissolved,
        locked: ws.isLocked,
        fullyLocked: ws.isFullyLocked,
        lock: ws.lock,
        payer,
        nextPayer: scheduled ? { method: ws.method, from: ws.billingMethodEffectiveFrom } : null,
      };
    });
  }
}

export interface WorkspaceBillingStatus {
  workspaceId: string;
  dissolved: boolean;
  locked: boolean;
  fullyLocked: boolean;
  lock: Workspace['lock'];
  /** who pays for the current hour (null: nobody — the workspace is unlinked this hour) */
  payer: BillingMethod | null;
  nextPayer: { method: BillingMethod | null; from: Date } | null;
}

export class CloudAccountQueries {
  constructor(private readonly ctx: CoreContext) {}

  async list(input: { by: Actor; ownerAccountId?: string }): Promise<CloudAccount[]> {
    const owner = ownerFor(input.by, input.ownerAccountId);
    if (!owner)
      throw new ValidationError('invalid-input', 'ownerAccountId is required.', { field: 'ownerAccountId' });
    return this.ctx.uow.read((tx) => tx.cloudAccounts.listByOwner(owner));
  }

  async get(input: { cloudAccountId: string; by: Actor }): Promise<CloudAccount> {
    return this.ctx.uow.read((tx) => loadCloudAccount(tx, input.cloudAccountId, input.by));
  }

  /** The subscription's history: every marketplace message applied to it, in AWS's order. */
  async history(input: { cloudAccountId: string; by: Actor }): Promise<MarketplaceEvent[]> {
    return this.ctx.uow.read(async (tx) => {
      const ca = await loadCloudAccount(tx, input.cloudAccountId, input.by);
      return tx.marketplaceEvents.listForCloudAccount(ca.id);
    });
  }

  async meteringRecords(input: {
    cloudAccountId: string;
    by: Actor;
    limit?: number;
    cursor?: string | null;
  }) {
    const limit = pageSize(input.limit);
    return this.ctx.uow.read(async (tx) => {
      const ca = await loadCloudAccount(tx, input.cloudAccountId, input.by);
      return tx.metering.listForCloudAccount(ca.id, { limit, cursor: input.cursor ?? null });
    });
  }
}

export class AuditQueries {
  constructor(private readonly ctx: CoreContext) {}

  /** An account's audit log, newest first. */
  async forAccount(input: { accountId: string; by: Actor; limit?: number; cursor?: string | null }) {
    const limit = pageSize(input.limit);
    return this.ctx.uow.read(async (tx) => {
      const account = await loadAccount(tx, input.accountId, input.by);
      return tx.audit.listForAccount(account.id, { limit, cursor: input.cursor ?? null });
    });
  }
}

/** The account itself, as its owner (or an operator) sees it. */
export class AccountQueries {
  constructor(private readonly ctx: CoreContext) {}

  async get(input: { accountId: string; by: Actor }): Promise<Account> {
    return this.ctx.uow.read((tx) => loadAccount(tx, input.accountId, input.by));
  }
}
