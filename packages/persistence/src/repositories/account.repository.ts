import type { Account, AccountRepository } from '@billing-center/core';
import { AccountSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

export class MikroOrmAccountRepository implements AccountRepository {
  constructor(private readonly s: Session) {}
  get(id: string) {
    return this.s.get(AccountSchema, id);
  }
  findByUsername(username: string) {
    return this.s.findOne(AccountSchema, { username: username.toLowerCase() });
  }
  findByEmail(email: string) {
    return this.s.findOne(AccountSchema, { email: email.toLowerCase() });
  }
  add(account: Account) {
    return this.s.insert(AccountSchema, [account]);
  }
  save(account: Account) {
    return this.s.update(AccountSchema, account);
  }
}
