import type { Actor } from '../../domain/audit/audit-entry.js';
import type { Binding } from '../../domain/binding/binding.js';
import type { CloudAccount } from '../../domain/cloud-account/cloud-account.js';
import { UsageRecord, type UsageStatus } from '../../domain/usage/usage-record.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import { ForbiddenError, ValidationError } from '../../shared/domain-error.js';
import { HOUR_MS, hourStart } from '../../shared/time.js';
import type { CoreContext } from '../core-context.js';

export interface UsageInput {
  idempotencyKey: string;
  workspaceId: string;
  itemCode: string;
  /** Any time within the UTC hour the usage belongs to (ISO string or Date). */
  hour: string | Date;
  quantity: number;
}

export type UsageResult =
  | {
      index: number;
      idempotencyKey: string;
      result: 'accepted' | 'duplicate';
      usageId: string;
      status: UsageStatus;
    }
  | {
      index: number;
      idempotencyKey: string | null;
      result: 'rejected';
      error: { code: string; message: string };
    };

interface Parsed {
  index: number;
  key: string;
  workspaceId: string;
  itemCode: string;
  hour: Date;
  quantity: number;
}

/**
 * The platform pushes usage in batches; each record is idempotent by its key (the same key with the same
 * payload is a duplicate, with another payload an error). Each record gets its own result; the accepted
 * ones are stored in one transaction. The payer of an hour is fixed when the usage arrives, because
 * bindings never change hours that have begun.
 */
export class RecordUsage {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { records: UsageInput[]; by: Actor }): Promise<UsageResult[]> {
    if (input.by.type !== 'platform' && input.by.type !== 'operator') {
      throw new ForbiddenError(
        'not-allowed',
        'Usage is reported by the platform with a usage:write service key.',
      );
    }
    const { config } = this.ctx;
    if (!Array.isArray(input.records) || input.records.length === 0) {
      throw new ValidationError('invalid-input', 'records must be a non-empty list.', { field: 'records' });
    }
    if (input.records.length > config.usageBatchLimit) {
      throw new ValidationError(
        'usage-batch-too-large',
        `A batch holds at most ${config.usageBatchLimit} usage records.`,
        {
          limit: config.usageBatchLimit,
        },
      );
    }
    const now = this.ctx.clock.now();
    const results: UsageResult[] = new Array(input.records.length);
    const reject = (index: number, key: unknown, code: string, message: string) => {
      results[index] = {
        index,
        idempotencyKey: typeof key === 'string' ? key : null,
        result: 'rejected',
        error: { code, message },
      };
    };
    const parsed: Parsed[] = [];
    // Usage for the current hour is fine (it is still accumulating); a later hour is not, beyond clock skew.
    const newest =
      hourStart(new Date(now.getTime() + config.usageFutureSkewMinutes * 60_000)).getTime() + HOUR_MS - 1;
    const oldest = now.getTime() - config.usageMaxAgeHours * HOUR_MS;
    for (const [index, r] of input.records.entries()) {
      const problem = this.check(r, newest, oldest);
      if (problem) reject(index, r?.idempotencyKey, problem.code, problem.message);
      else {
        const t = r.hour instanceof Date ? r.hour : new Date(r.hour);
        parsed.push({
          index,
          key: r.idempotencyKey,
          workspaceId: r.workspaceId,
          itemCode: r.itemCode,
          hour: hourStart(t),
          quantity: r.quantity,
        });
      }
    }

    await this.ctx.uow.transaction(async (tx) => {
      const existing = new Map(
        (await tx.usage.findByKeys(parsed.map((p) => p.key))).map((u) => [u.idempotencyKey, u]),
      );
      const workspaces = new Map<string, Workspace>(
        (await tx.workspaces.getMany([...new Set(parsed.map((p) => p.workspaceId))])).map((w) => [w.id, w]),
      );
      const bindings = new Map<string, Binding[]>();
      /** The binding of `workspaceId` covering `hour` (each workspace's bindings read once). */
      const bindingAt = async (workspaceId: string, hour: Date) => {
        let list = bindings.get(workspaceId);
        if (!list) {
          list = await tx.bindings.listForWorkspace(workspaceId);
          bindings.set(workspaceId, list);
        }
        return list.find((b) => b.covers(hour)) ?? null;
      };
      const accounts = new Map<string, CloudAccount | null>();
      // The payers of the new usage, read once and held until this commits (see getManyForUsage): a
      // cancellation committed meanwhile cannot leave usage stored as pending for an account it ended.
      const payerIds = new Set<string>();
      for (const p of parsed) {
        if (existing.has(p.key) || !workspaces.has(p.workspaceId)) continue;
        const binding = await bindingAt(p.workspaceId, p.hour);
        if (binding) payerIds.add(binding.cloudAccountId);
      }
      if (payerIds.size) {
        for (const ca of await tx.cloudAccounts.getManyForUsage([...payerIds].sort()))
          accounts.set(ca.id, ca);
      }
      const fresh: UsageRecord[] = [];
      for (const p of parsed) {
        const prior = existing.get(p.key);
        if (prior) {
          if (prior.samePayload(p)) {
            let payer: CloudAccount | null = null;
            if (prior.status === 'pending' && prior.payerCloudAccountId) {
              if (!accounts.has(prior.payerCloudAccountId))
                accounts.set(
                  prior.payerCloudAccountId,
                  await tx.cloudAccounts.get(prior.payerCloudAccountId),
                );
              payer = accounts.get(prior.payerCloudAccountId) ?? null;
            }
            results[p.index] = {
              index: p.index,
              idempotencyKey: p.key,
              result: 'duplicate',
              usageId: prior.id,
              status: prior.reportedStatus(payer),
            };
          } else {
            reject(
              p.index,
              p.key,
              'usage-key-reused',
              `idempotencyKey "${p.key}" was already used for different usage.`,
            );
          }
          continue;
        }
        const ws = workspaces.get(p.workspaceId);
        if (!ws) {
          reject(p.index, p.key, 'workspace-not-found', `No workspace with id "${p.workspaceId}" exists.`);
          continue;
        }
        if (ws.dissolvedAt && p.hour.getTime() >= ws.billingMethodEffectiveFrom.getTime()) {
          reject(
            p.index,
            p.key,
            'workspace-dissolved',
            `Workspace "${ws.id}" was dissolved before this hour.`,
          );
          continue;
        }
        const binding = await bindingAt(ws.id, p.hour);
        // read and held above (a binding's account is never deleted)
        const payer = binding ? (accounts.get(binding.cloudAccountId) ?? null) : null;
        const record = new UsageRecord({
          id: this.ctx.ids.next(),
          idempotencyKey: p.key,
          workspaceId: ws.id,
          itemCode: p.itemCode,
          hour: p.hour,
          quantity: p.quantity,
          receivedAt: now,
          payerCloudAccountId: payer?.id ?? null,
          status: 'pending',
          reason: null,
          seq: null,
          version: 1,
        });
        if (payer) {
          if (payer.state === 'cancelled') record.markNotBillable('subscription-cancelled');
          else if (payer.state === 'failed') record.markNotBillable('subscription-failed');
        } else if (
          ws.billingMethod === null &&
          ws.lockedAt &&
          p.hour.getTime() >= hourStart(ws.lockedAt).getTime()
        ) {
          record.markNotBillable('no-payer');
        } else {
          record.status = 'billing-center';
        }
        existing.set(p.key, record); // a repeat of the key later in this batch is a duplicate
        fresh.push(record);
        results[p.index] = {
          index: p.index,
          idempotencyKey: p.key,
          result: 'accepted',
          usageId: record.id,
          status: record.status,
        };
      }
      if (fresh.length) await tx.usage.addMany(fresh);
    });
    return results;
  }

  /** What is wrong with one record on its own, if anything. */
  private check(r: UsageInput, newest: number, oldest: number): { code: string; message: string } | null {
    const { config, catalog } = this.ctx;
    const key = r?.idempotencyKey;
    if (typeof key !== 'string' || key.length < 1 || key.length > 200) {
      return {
        code: 'invalid-idempotency-key',
        message: 'idempotencyKey must be a string of 1 to 200 characters.',
      };
    }
    if (typeof r.workspaceId !== 'string' || !r.workspaceId)
      return { code: 'invalid-input', message: 'workspaceId is required.' };
    if (typeof r.itemCode !== 'string' || !catalog.item(r.itemCode)) {
      return {
        code: 'unknown-billing-item',
        message: `Billing item "${String(r.itemCode)}" is not in the pricing catalog.`,
      };
    }
    const t =
      r.hour instanceof Date ? r.hour : typeof r.hour === 'string' ? new Date(r.hour) : new Date(Number.NaN);
    if (Number.isNaN(t.getTime()))
      return { code: 'invalid-input', message: 'hour must be an ISO 8601 time.' };
    if (t.getTime() > newest)
      return { code: 'usage-in-future', message: 'Usage cannot be reported for a future hour.' };
    if (t.getTime() < oldest) {
      return {
        code: 'usage-too-old',
        message: `Usage older than ${config.usageMaxAgeHours} hours can no longer be billed.`,
      };
    }
    if (typeof r.quantity !== 'number' || !Number.isSafeInteger(r.quantity) || r.quantity < 0) {
      return { code: 'invalid-quantity', message: 'quantity must be a non-negative whole number.' };
    }
    return null;
  }
}
