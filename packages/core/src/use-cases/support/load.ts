import type { Account } from '../../domain/account/account.js';
import type { Actor } from '../../domain/audit/audit-entry.js';
import type { CloudAccount } from '../../domain/cloud-account/cloud-account.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { ForbiddenError, NotFoundError } from '../../shared/domain-error.js';

/** Customers see only their own objects; another tenant's id is reported as unknown (no enumeration). */
function visibleTo(by: Actor, ownerAccountId: string): boolean {
  return by.type !== 'customer' || by.accountId === ownerAccountId;
}

export async function loadWorkspace(tx: TransactionContext, id: string, by: Actor): Promise<Workspace> {
  const ws = typeof id === 'string' && id ? await tx.workspaces.get(id) : null;
  if (!ws || !visibleTo(by, ws.ownerAccountId)) throw new NotFoundError('workspace', String(id));
  return ws;
}

export async function loadCloudAccount(tx: TransactionContext, id: string, by: Actor): Promise<CloudAccount> {
  const ca = typeof id === 'string' && id ? await tx.cloudAccounts.get(id) : null;
  if (!ca || !visibleTo(by, ca.ownerAccountId)) throw new NotFoundError('cloud-account', String(id));
  return ca;
}

export async function loadAccount(tx: TransactionContext, id: string, by: Actor): Promise<Account> {
  const a = typeof id === 'string' && id ? await tx.accounts.get(id) : null;
  if (!a || !visibleTo(by, a.id)) throw new NotFoundError('account', String(id));
  return a;
}

export function requireOperator(by: Actor, what: string): void {
  if (by.type !== 'operator') throw new ForbiddenError('operator-only', `Only an operator can ${what}.`);
}

export function requireCustomerOrOperator(by: Actor, what: string): void {
  if (by.type !== 'customer' && by.type !== 'operator') {
    throw new ForbiddenError('not-allowed', `Only the workspace owner or an operator can ${what}.`);
  }
}
