import { Account } from '../../domain/account/account.js';
import type { TransactionContext } from '../../ports/repositories.js';
import { ConflictError, ValidationError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';

export interface RegisterAccountInput {
  username: string;
  email: string;
  password: string;
  company: string;
}

export function validatePassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < 10 || password.length > 200) {
    throw new ValidationError('weak-password', 'The password must be 10 to 200 characters long.', {
      field: 'password',
    });
  }
  if (/^(.)\1*$/.test(password)) {
    throw new ValidationError('weak-password', 'The password must not repeat a single character.', {
      field: 'password',
    });
  }
  return password;
}

/** Creates the account inside an open transaction (shared with the registration-with-activation flow). */
export async function createAccount(
  ctx: CoreContext,
  tx: TransactionContext,
  journal: Journal,
  input: RegisterAccountInput,
  passwordHash: string,
  now: Date,
): Promise<Account> {
  const account = Account.register({ id: ctx.ids.next(), ...input, passwordHash, now });
  if (await tx.accounts.findByUsername(account.username)) {
    throw new ConflictError('username-taken', `The username "${account.username}" is already registered.`, {
      field: 'username',
    });
  }
  if (await tx.accounts.findByEmail(account.email)) {
    throw new ConflictError(
      'email-taken',
      `An account with the email ${account.email} already exists; sign in instead.`,
      {
        field: 'email',
      },
    );
  }
  await tx.accounts.add(account);
  journal.audit('account.registered', { type: 'account', id: account.id }, account.id, {
    username: account.username,
    company: account.company,
  });
  return account;
}

/** Register a Billing Center account (username, email, company, password). */
export class RegisterAccount {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: RegisterAccountInput, meta: RequestMeta = {}): Promise<Account> {
    const password = validatePassword(input?.password);
    const hash = await this.ctx.hasher.hash(password);
    const now = this.ctx.clock.now();
    return this.ctx.uow.transaction(async (tx) => {
      const journal = new Journal(
        this.ctx.ids,
        now,
        { type: 'system', process: 'registration' },
        meta.requestId,
      );
      const account = await createAccount(this.ctx, tx, journal, input, hash, now);
      await journal.flush(tx);
      return account;
    });
  }
}
