import type { Credential } from '../../domain/access/credential.js';
import type { CoreContext } from '../core-context.js';

/**
 * A short-lived, in-process memory of the credentials that authenticated recently (API tokens and service
 * keys, by the hash of their secret), so that a busy client's requests do not each read the credential row.
 *
 * - Only live credentials are kept; an unknown or refused secret is looked up every time.
 * - Liveness (revocation, expiry) is still checked on every request against the kept copy.
 * - A revocation in this process evicts the entry at once (`evict`), and a lookup that was already in
 *   flight when an eviction happened does not put its (possibly older) row back.
 * - A revocation by another process (another API replica, the `service-key` script) is seen once the
 *   entry is older than `credentialCacheSeconds`: the maximum staleness. 0 turns the cache off.
 */
export class CredentialCache {
  private readonly entries = new Map<string, { credential: Credential; until: number }>();
  /** Bumped by every eviction: a lookup that started before one must not fill the cache. */
  private evictions = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The kept credential for this secret hash, unless older than the time to live. */
  get(secretHash: string, now: Date): Credential | null {
    const hit = this.entries.get(secretHash);
    if (!hit) return null;
    if (now.getTime() >= hit.until) {
      this.entries.delete(secretHash);
      return null;
    }
    return hit.credential;
  }

  /** Taken before reading the row; `set` with it is ignored if anything was evicted meanwhile. */
  ticket(): number {
    return this.evictions;
  }

  set(secretHash: string, credential: Credential, now: Date, ticket: number): void {
    if (!this.enabled || ticket !== this.evictions) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(secretHash)) {
      // the oldest entry goes (a Map iterates in insertion order)
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(secretHash, { credential, until: now.getTime() + this.ttlMs });
  }

  evict(secretHash: string): void {
    this.evictions += 1;
    this.entries.delete(secretHash);
  }

  get size(): number {
    return this.entries.size;
  }
}

const caches = new WeakMap<CoreContext, CredentialCache>();

/** The one cache of a core context: every use case built over it (authenticate, revoke) shares it. */
export function credentialCacheOf(ctx: CoreContext): CredentialCache {
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new CredentialCache(ctx.config.credentialCacheSeconds * 1000);
    caches.set(ctx, cache);
  }
  return cache;
}
