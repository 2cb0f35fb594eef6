import {
  Credential,
  hashSecret,
  requireCredentialName,
  unauthenticated,
} from '../../domain/access/credential.js';
import type { Actor } from '../../domain/audit/audit-entry.js';
import { ForbiddenError, NotFoundError, RuleViolation, ValidationError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { findAndTouch, forgetCredential } from './touch-credential.js';

const MAX_TOKEN_LIFETIME_MS = 366 * 24 * 3_600_000;

function customerOf(by: Actor): string {
  if (by?.type !== 'customer') {
    throw new ForbiddenError('customer-only', 'Only a signed-in customer manages personal API tokens.');
  }
  return by.accountId;
}

/** A public view of a credential: never its hash. */
export interface CredentialView {
  id: string;
  name: string | null;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const viewOf = (c: Credential): CredentialView => ({
  id: c.id,
  name: c.name,
  scopes: [...c.scopes],
  createdAt: c.createdAt,
  expiresAt: c.expiresAt,
  lastUsedAt: c.lastUsedAt,
  revokedAt: c.revokedAt,
});

/** A personal API token for REST clients, acting as the account; the secret is shown once. */
export class IssueApiToken {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { by: Actor; name: string; expiresAt?: Date | null },
    meta: RequestMeta = {},
  ): Promise<{ apiToken: CredentialView; token: string }> {
    const ctx = this.ctx;
    const accountId = customerOf(input.by);
    const name = requireCredentialName(input.name);
    const now = ctx.clock.now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null) {
      if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime()))
        throw new ValidationError('invalid-input', 'expiresAt must be a valid time.', { field: 'expiresAt' });
      if (expiresAt.getTime() <= now.getTime() || expiresAt.getTime() - now.getTime() > MAX_TOKEN_LIFETIME_MS)
        throw new ValidationError(
          'invalid-expiry',
          'expiresAt must be in the future and at most one year away (or omitted: valid until revoked).',
          { field: 'expiresAt' },
        );
    }
    return ctx.uow.transaction(async (tx) => {
      const live = (await tx.credentials.listForAccount(accountId, 'api-token')).filter((c) =>
        c.isValidAt(now),
      );
      if (live.length >= ctx.config.apiTokensPerAccount) {
        throw new RuleViolation(
          'api-token-limit',
          `An account may hold at most ${ctx.config.apiTokensPerAccount} API tokens; revoke one you no longer use.`,
          { limit: ctx.config.apiTokensPerAccount },
        );
      }
      const { credential, secret } = Credential.issue({
        id: ctx.ids.next(),
        kind: 'api-token',
        randomSecret: ctx.ids.secret(),
        accountId,
        name,
        now,
        expiresAt,
      });
      await tx.credentials.add(credential);
      const journal = new Journal(ctx.ids, now, input.by, meta.requestId);
      journal.audit('api-token.issued', { type: 'api-token', id: credential.id }, accountId, {
        name,
        expiresAt: expiresAt?.toISOString() ?? null,
      });
      await journal.flush(tx);
      return { apiToken: viewOf(credential), token: secret };
    });
  }
}

export class ListApiTokens {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { by: Actor }): Promise<CredentialView[]> {
    const accountId = customerOf(input.by);
    const list = await this.ctx.uow.read((tx) => tx.credentials.listForAccount(accountId, 'api-token'));
    return list.map(viewOf);
  }
}

/** Revokes one of the account's tokens (idempotent); another account's token is "not found". */
export class RevokeApiToken {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { by: Actor; tokenId: string }, meta: RequestMeta = {}): Promise<CredentialView> {
    const ctx = this.ctx;
    const accountId = customerOf(input.by);
    const now = ctx.clock.now();
    const revoked = await ctx.uow.transaction(async (tx) => {
      const token = typeof input.tokenId === 'string' ? await tx.credentials.get(input.tokenId) : null;
      if (!token || token.kind !== 'api-token' || token.accountId !== accountId)
        throw new NotFoundError('api-token', String(input.tokenId));
      if (token.revoke(now)) {
        await tx.credentials.save(token);
        const journal = new Journal(ctx.ids, now, input.by, meta.requestId);
        journal.audit('api-token.revoked', { type: 'api-token', id: token.id }, accountId, {
          name: token.name,
        });
        await journal.flush(tx);
      }
      return token;
    });
    // committed: this process stops accepting the token now (others within credentialCacheSeconds)
    forgetCredential(ctx, revoked.secretHash);
    return viewOf(revoked);
  }
}

/** Who a bearer API token belongs to; fails `api-token-invalid` (unauthenticated) unless live. */
export class AuthenticateApiToken {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { token: string }): Promise<{ tokenId: string; accountId: string }> {
    const ctx = this.ctx;
    const fail = () =>
      unauthenticated('api-token-invalid', 'The API token is unknown, revoked or expired. Issue a new one.');
    if (typeof input?.token !== 'string' || !input.token.startsWith('bcp_') || input.token.length > 200)
      throw fail();
    const token = await findAndTouch(
      ctx,
      hashSecret(input.token),
      (c, at) => c.kind === 'api-token' && !!c.accountId && c.isValidAt(at),
      true,
    );
    if (!token?.accountId) throw fail();
    return { tokenId: token.id, accountId: token.accountId };
  }
}
