import { requireText } from '../../shared/guard.js';

export interface AccountProps {
  id: string;
  username: string;
  email: string;
  company: string;
  passwordHash: string;
  /** Set by an operator: lifts the rule that AWS billing is offered only to AWS sites of the same partition. */
  anyBillingMethod: boolean;
  createdAt: Date;
  version: number;
}

/** A Billing Center account: owns workspaces and cloud accounts. */
export class Account {
  id!: string;
  username!: string;
  email!: string;
  company!: string;
  passwordHash!: string;
  anyBillingMethod!: boolean;
  createdAt!: Date;
  version!: number;

  constructor(props: AccountProps) {
    Object.assign(this, props);
  }

  static register(input: {
    id: string;
    username: unknown;
    email: unknown;
    company: unknown;
    passwordHash: string;
    now: Date;
  }): Account {
    return new Account({
      id: input.id,
      username: requireText('username', input.username, {
        min: 3,
        max: 64,
        pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        hint: 'may contain letters, digits, ".", "_" and "-", starting with a letter or digit',
      }).toLowerCase(),
      email: requireText('email', input.email, {
        max: 254,
        pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
        hint: 'must be an email address',
      }).toLowerCase(),
      company: requireText('company', input.company, { max: 200 }),
      passwordHash: input.passwordHash,
      anyBillingMethod: false,
      createdAt: input.now,
      version: 1,
    });
  }
}
