import type { Actor } from '../../domain/audit/audit-entry.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { loadAccount, requireOperator } from '../support/load.js';

/** An operator lifts (or restores) the site/partition restriction for one account. Audited. */
export class SetAnyBillingMethod {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { accountId: string; enabled: boolean; by: Actor; note?: string },
    meta: RequestMeta = {},
  ) {
    requireOperator(input.by, 'allow any billing method');
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const account = await loadAccount(tx, input.accountId, input.by);
      const before = account.anyBillingMethod;
      account.anyBillingMethod = input.enabled === true;
      await tx.accounts.save(account);
      const journal = new Journal(this.ctx.ids, now, input.by, meta.requestId);
      journal.audit('account.any-billing-method-set', { type: 'account', id: account.id }, account.id, {
        before,
        after: account.anyBillingMethod,
        note: input.note ?? null,
      });
      await journal.flush(tx);
      return account;
    });
  }
}
