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
  await switchPayers(tx, ids, [{ ws, method }], now, endReason, countsAsCustomerChange);
}

/**
 * `switchPayer` for many workspaces with a few statements whatever their number (a cancellation locks
 * every workspace of the AWS account at once). The caller saves the workspaces.
 */
export async function switchPayers(
  tx: TransactionContext,
  ids: IdGenerator,
  moves: ReadonlyArray<{ ws: Workspace; method: BillingMethod | null }>,
  now: Date,
  endReason: BindingEndReason,
  countsAsCustomerChange: boolean,
): Promise<void> {
  if (moves.length === 0) return;
  const boundary = nextHour(now);
  const open = new Map(
    (await tx.bindings.findOpenMany(moves.map((m) => m.ws.id))).map((b) => [b.workspaceId, b]),
  );
  const closed: Binding[] = [];
  const opened: Binding[] = [];
  for (const { ws, method } of moves) {
    const binding = open.get(ws.id);
    if (binding) {
      binding.close(boundary, endReason);
      closed.push(binding);
    }
    ws.setBillingMethod(method, now, countsAsCustomerChange);
    if (method?.kind === 'cloud-account')
      opened.push(newBinding(ids, ws.id, method.cloudAccountId, boundary, now));
  }
  if (closed.length) await tx.bindings.saveMany(closed);
  if (opened.length) await tx.bindings.addMany(opened);
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

function newBinding(ids: IdGenerator, workspaceId: string, cloudAccountId: string, from: Date, now: Date) {
  return new Binding({
    id: ids.next(),
    workspaceId,
    cloudAccountId,
    from,
    to: null,
    endReason: null,
    createdAt: now,
    version: 1,
  });
}

/** A new workspace's first method covers its creation hour: there is no earlier payer. */
export async function bindNewWorkspace(
  tx: TransactionContext,
  ids: IdGenerator,
  ws: Workspace,
  now: Date,
): Promise<void> {
  const m = ws.method;
  if (m?.kind === 'cloud-account')
    await tx.bindings.add(newBinding(ids, ws.id, m.cloudAccountId, hourStart(now), now));
}
