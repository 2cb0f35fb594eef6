import type { Account } from '../../domain/account/account.js';
import { DomainError } from '../../shared/domain-error.js';
import type { CoreContext } from '../core-context.js';

/** Check a username-or-email and password. One error for every failure, so nothing can be enumerated. */
export class AuthenticateAccount {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { login: string; password: string }): Promise<Account> {
    const fail = () =>
      new DomainError('invalid-credentials', 'unauthenticated', 'The username or password is incorrect.');
    if (
      typeof input?.login !== 'string' ||
      typeof input?.password !== 'string' ||
      input.password.length > 200
    )
      throw fail();
    const login = input.login.trim().toLowerCase();
    const account = await this.ctx.uow.read(async (tx) =>
      login.includes('@') ? tx.accounts.findByEmail(login) : tx.accounts.findByUsername(login),
    );
    if (!account) {
      // Spend the same effort as a real check so timing does not reveal unknown logins.
      await this.ctx.hasher.verify(input.password, await this.ctx.hasher.hash('timing-equaliser'));
      throw fail();
    }
    if (!(await this.ctx.hasher.verify(input.password, account.passwordHash))) throw fail();
    return account;
  }
}
