import {
  Credential,
  hashSecret,
  requireCredentialName,
  requireScopes,
  type ServiceKeyScope,
  unauthenticated,
} from '../../domain/access/credential.js';
import type { Actor } from '../../domain/audit/audit-entry.js';
import { ForbiddenError, NotFoundError } from '../../shared/domain-error.js';
import type { CoreContext, RequestMeta } from '../core-context.js';
import { Journal } from '../support/journal.js';
import { type CredentialView, viewOf } from './api-tokens.use-case.js';
import { findAndTouch, forgetCredential } from './touch-credential.js';

function requireOperator(by: Actor): void {
  if (by?.type !== 'operator' && by?.type !== 'system') {
    throw new ForbiddenError('operator-only', 'Only an operator manages service keys.');
  }
}

/** A scoped key for the observability platform (usage push, workspace sync, lock state); shown once. */
export class IssueServiceKey {
  constructor(private readonly ctx: CoreContext) {}

  async execute(
    input: { by: Actor; name: string; scopes: readonly string[] },
    meta: RequestMeta = {},
  ): Promise<{ serviceKey: CredentialView; key: string }> {
    const ctx = this.ctx;
    requireOperator(input.by);
    const name = requireCredentialName(input.name);
    const scopes = requireScopes(input.scopes);
    const now = ctx.clock.now();
    const { credential, secret } = Credential.issue({
      id: ctx.ids.next(),
      kind: 'service-key',
      randomSecret: ctx.ids.secret(),
      accountId: null,
      name,
      scopes,
      now,
      expiresAt: null,
    });
    await ctx.uow.transaction(async (tx) => {
      await tx.credentials.add(credential);
      const journal = new Journal(ctx.ids, now, input.by, meta.requestId);
      journal.audit('service-key.issued', { type: 'service-key', id: credential.id }, null, { name, scopes });
      await journal.flush(tx);
    });
    return { serviceKey: viewOf(credential), key: secret };
  }
}

export class ListServiceKeys {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { by: Actor }): Promise<CredentialView[]> {
    requireOperator(input.by);
    return (await this.ctx.uow.read((tx) => tx.credentials.listServiceKeys())).map(viewOf);
  }
}

export class RevokeServiceKey {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { by: Actor; keyId: string }, meta: RequestMeta = {}): Promise<CredentialView> {
    const ctx = this.ctx;
    requireOperator(input.by);
    const now = ctx.clock.now();
    const revoked = await ctx.uow.transaction(async (tx) => {
      const key = typeof input.keyId === 'string' ? await tx.credentials.get(input.keyId) : null;
      if (!key || key.kind !== 'service-key') throw new NotFoundError('service-key', String(input.keyId));
      if (key.revoke(now)) {
        await tx.credentials.save(key);
        const journal = new Journal(ctx.ids, now, input.by, meta.requestId);
        journal.audit('service-key.revoked', { type: 'service-key', id: key.id }, null, { name: key.name });
        await journal.flush(tx);
      }
      return key;
    });
    // committed: this process stops accepting the key now (others within credentialCacheSeconds)
    forgetCredential(ctx, revoked.secretHash);
    return viewOf(revoked);
  }
}

/** The scopes of a live service key; fails `service-key-invalid` (unauthenticated) otherwise. */
export class AuthenticateServiceKey {
  constructor(private readonly ctx: CoreContext) {}

  async execute(input: { key: string }): Promise<{ keyId: string; scopes: ServiceKeyScope[] }> {
    const ctx = this.ctx;
    const fail = () =>
      unauthenticated(
        'service-key-invalid',
        'The service key is unknown or revoked. Ask an operator for a new one.',
      );
    if (typeof input?.key !== 'string' || !input.key.startsWith('bcs_') || input.key.length > 200)
      throw fail();
    const key = await findAndTouch(
      ctx,
      hashSecret(input.key),
      (c, at) => c.kind === 'service-key' && c.isValidAt(at),
      true,
    );
    if (!key) throw fail();
    return { keyId: key.id, scopes: [...key.scopes] };
  }
}
