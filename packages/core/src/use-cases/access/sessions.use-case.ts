import { Credential, hashSecret, unauthenticated } from '../../domain/access/credential.js';
import type { Account } from '../../domain/account/account.js';
import { AuthenticateAccount } from '../accounts/authenticate-account.use-case.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { findAndTouch } from './touch-credential.js';

const SESSION_ENDED = 'Your session has ended (signed out, idle too long, or expired). Sign in again.';

export interface SignedIn {
  session: Credential;
  /** The cookie value: shown once, only its hash is stored. */
  token: string;
  account: Account;
}

/**
 * Sign in with username-or-email and password: a new server-side session (revocable; ends after the
 * configured idle time or absolute lifetime). Audited; a failed attempt reveals nothing about the login.
 */
export class SignIn {
  private readonly authenticate: AuthenticateAccount;
  constructor(private readonly ctx: CoreContext) {
    this.authenticate = new AuthenticateAccount(ctx);
  }

  async execute(input: { login: string; password: string }, meta: RequestMeta = {}): Promise<SignedIn> {
    const account = await this.authenticate.execute(input);
    const ctx = this.ctx;
    const now = ctx.clock.now();
    const { credential, secret } = Credential.issue({
      id: ctx.ids.next(),
      kind: 'session',
      randomSecret: ctx.ids.secret(),
      accountId: account.id,
      name: null,
      now,
      expiresAt: new Date(now.getTime() + ctx.config.sessionAbsoluteHours * 3_600_000),
    });
    await ctx.uow.transaction(async (tx) => {
      await tx.credentials.add(credential);
      const journal = new Journal(ctx.ids, now, { type: 'customer', accountId: account.id }, meta.requestId);
      journal.audit('session.started', { type: 'session', id: credential.id }, account.id, {
        expiresAt: credential.expiresAt?.toISOString(),
      });
      await journal.flush(tx);
    });
    return { session: credential, token: secret, account };
  }
}

/** Who a session cookie belongs to; fails `session-invalid` (unauthenticated) for anything not live. */
export class AuthenticateSession {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: {
    token: string;
  }): Promise<{ sessionId: string; accountId: string; expiresAt: Date }> {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    const fail = () => unauthenticated('session-invalid', SESSION_ENDED);
    if (typeof input?.token !== 'string' || !input.token.startsWith('bck_') || input.token.length > 200)
      throw fail();
    const idleMs = ctx.config.sessionIdleMinutes * 60_000;
    const session = await findAndTouch(
      ctx,
      hashSecret(input.token),
      (c, at) => c.kind === 'session' && !!c.accountId && c.isValidAt(at, idleMs),
    );
    if (!session?.accountId) throw fail();
    return { sessionId: session.id, accountId: session.accountId, expiresAt: session.expiresAt ?? now };
  }
}

/** Ends the session behind a cookie (idempotent: an unknown or ended session is simply gone). */
export class SignOut {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { token: string }, meta: RequestMeta = {}): Promise<void> {
    const ctx = this.ctx;
    if (typeof input?.token !== 'string' || !input.token.startsWith('bck_')) return;
    const now = ctx.clock.now();
    await ctx.uow.transaction(async (tx) => {
      const session = await tx.credentials.findBySecretHash(hashSecret(input.token));
      if (!session || session.kind !== 'session' || !session.accountId || !session.revoke(now)) return;
      await tx.credentials.save(session);
      const journal = new Journal(
        ctx.ids,
        now,
        { type: 'customer', accountId: session.accountId },
        meta.requestId,
      );
      journal.audit('session.ended', { type: 'session', id: session.id }, session.accountId);
      await journal.flush(tx);
    });
  }
}
