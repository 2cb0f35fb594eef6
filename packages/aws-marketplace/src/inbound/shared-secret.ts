import { createHash, timingSafeEqual } from 'node:crypto';

/** The header an EventBridge API destination is configured to send (its connection's API key auth). */
export const DEFAULT_SHARED_SECRET_HEADER = 'x-marketplace-events-secret';
const MIN_SECRET_LENGTH = 32;

/**
 * Checks the shared-secret header of a direct EventBridge delivery in constant time. Several secrets may be
 * valid at once, so a secret can be rotated without dropping events. Both sides are hashed first, so the
 * comparison takes the same time whatever the lengths.
 */
export class SharedSecretCheck {
  private readonly digests: Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('SharedSecretCheck needs at least one secret');
    for (const s of secrets) {
      if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) {
        throw new Error(`each shared secret must be at least ${MIN_SECRET_LENGTH} characters`);
      }
    }
    this.digests = secrets.map(digest);
  }

  /** The header's value as the HTTP server hands it over; a repeated header (an array) never matches. */
  matches(presented: string | readonly string[] | undefined): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 4096) return false;
    const given = digest(presented);
    let ok = false;
    // Compare with every secret, without stopping early, so timing does not tell which one matched.
    for (const d of this.digests) ok = timingSafeEqual(given, d) || ok;
    return ok;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
