import type { Credential } from '../../domain/access/credential.js';
import { isDomainError } from '../../shared/domain-error.js';
import type { CoreContext } from '../core-context.js';
import { credentialCacheOf } from './credential-cache.js';

/**
 * Looks a credential up by the hash of its secret (a plain read: every authenticated request does it) and, when its `lastUsedAt` is due, records the use in a
 * transaction of its own: two requests racing on one credential must both be served, so losing the
 * optimistic-lock race on this bookkeeping write is not an error (the other request wrote it).
 *
 * `cached`: API tokens and service keys are kept for a few seconds in the context's `CredentialCache`
 * (evicted at once by a revocation in this process). Sessions are always read: their idle timeout depends
 * on `lastUsedAt`, which another process may have moved.
 */
export async function findAndTouch(
  ctx: CoreContext,
  secretHash: string,
  isLive: (c: Credential, now: Date) => boolean,
  cached = false,
): Promise<Credential | null> {
  const now = ctx.clock.now();
  const cache = cached ? credentialCacheOf(ctx) : null;
  let found = cache?.get(secretHash, now) ?? null;
  if (!found || !isLive(found, now)) {
    // a kept copy that no longer looks live is read again: the row is what decides
    const ticket = cache?.ticket() ?? 0;
    found = await ctx.uow.read((tx) => tx.credentials.findBySecretHash(secretHash));
    if (!found || !isLive(found, now)) {
      cache?.evict(secretHash);
      return null;
    }
    cache?.set(secretHash, found, now, ticket);
  }
  if (found.touch(now)) {
    try {
      await ctx.uow.transaction((tx) => tx.credentials.save(found));
    } catch (e) {
      // the kept copy's version is no longer the row's (or the write failed): read it afresh next time
      cache?.evict(secretHash);
      if (!(isDomainError(e) && e.code === 'concurrent-update')) throw e;
    }
  }
  return found;
}

/** After a revocation committed: this process stops accepting the secret at once. */
export function forgetCredential(ctx: CoreContext, secretHash: string): void {
  credentialCacheOf(ctx).evict(secretHash);
}
