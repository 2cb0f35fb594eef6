import type { Credential } from '../../domain/access/credential.js';
import { isDomainError } from '../../shared/domain-error.js';
import type { CoreContext } from '../core-context.js';

/**
 * Looks a credential up by the hash of its secret (a plain read: every authenticated request does it) and, when its `lastUsedAt` is due, records the use in a
 * transaction of its own: two requests racing on one credential must both be served, so losing the
 * optimistic-lock race on this bookkeeping write is not an error (the other request wrote it).
 */
export async function findAndTouch(
  ctx: CoreContext,
  secretHash: string,
  isLive: (c: Credential, now: Date) => boolean,
): Promise<Credential | null> {
  const now = ctx.clock.now();
  const found = await ctx.uow.read((tx) => tx.credentials.findBySecretHash(secretHash));
  if (!found || !isLive(found, now)) return null;
  if (found.touch(now)) {
    try {
      await ctx.uow.transaction((tx) => tx.credentials.save(found));
    } catch (e) {
      if (!(isDomainError(e) && e.code === 'concurrent-update')) throw e;
    }
  }
  return found;
}
