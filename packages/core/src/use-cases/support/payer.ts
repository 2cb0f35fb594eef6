import { Binding, type BindingEndReason } from '../../domain/binding/binding.js';
import type { BillingMethod, Workspace } from '../../domain/workspace/workspace.js';
import type { TransactionContext } from '../../ports/repositories.js';
import type { IdGenerator } from '../../ports/services.js';
import { hourStart, nextHour } from '../../shared/time.js';

/**
 * Move a workspace to `method` from the next UTC hour boundary (the current hour stays with the old payer):
 * the open binding closes there and, for a cloud account, a new one opens there.
 */
export async function switchPayer(
  tx: TransactionContext,
  ids: IdGenerator,
  ws: Workspace,
  method: BillingMethod | null,
  now: Date,
  endReason: BindingEndReason,
  countsAsCustomerChange: boolean,
): Promise<void> {
  const boundary = nextHour(now);
  await closeOpenBinding(tx, ws.id, boundary, endReason);
  ws.setBillingMethod(method, now, countsAsCustomerChange);
  if (method?.kind === 'cloud-account')
    await openBinding(tx, ids, ws.id, method.cloudAccountId, boundary, now);
}

export async function closeOpenBinding(
  tx: TransactionContext,
  workspaceId: string,
  at: Date,
  reason: BindingEndReason,
): Promise<void> {
  const open = await tx.bindings.findOpen(workspaceId);
  if (!open) return;
  open.close(at, reason);
  await tx.bindings.save(open);
}

export async function openBinding(
  tx: TransactionContext,
  ids: IdGenerator,
  workspaceId: string,
  cloudAccountId: string,
  from: Date,
  now: Date,
): Promise<void> {
  await tx.bindings.add(
    new Binding({
      id: ids.next(),
      workspaceId,
      cloudAccountId,
      from,
      to: null,
      endReason: null,
      createdAt: now,
      version: 1,
    }),
  );
}

/** A new workspace's first method covers its creation hour: there is no earlier payer. */
export async function bindNewWorkspace(
  tx: TransactionContext,
  ids: IdGenerator,
  ws: Workspace,
  now: Date,
): Promise<void> {
  const m = ws.method;
  if (m?.kind === 'cloud-account') await openBinding(tx, ids, ws.id, m.cloudAccountId, hourStart(now), now);
}
