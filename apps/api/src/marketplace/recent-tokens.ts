import { createHash } from 'node:crypto';

/**
 * Which ticket each recently resolved registration token opened, held in memory by the SHA-256 of the token
 * (never the token) until the ticket expires. A browser that posts the same token again (Back, reload,
 * double click) lands on the same ticket; once that ticket is completed the token counts as used. Another
 * instance that has not seen the token simply resolves it again, which is harmless.
 */
export class RecentTokens {
  private readonly byHash = new Map<string, { ticketId: string; until: number }>();

  constructor(private readonly capacity = 10_000) {}

  private static hash(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  ticketFor(token: string, now: number): string | null {
    const key = RecentTokens.hash(token);
    const hit = this.byHash.get(key);
    if (!hit) return null;
    if (hit.until <= now) {
      this.byHash.delete(key);
      return null;
    }
    return hit.ticketId;
  }

  remember(token: string, ticketId: string, until: number): void {
    const key = RecentTokens.hash(token);
    this.byHash.delete(key);
    this.byHash.set(key, { ticketId, until });
    // a Map iterates in insertion order: the first key is the oldest
    while (this.byHash.size > this.capacity) {
      const oldest = this.byHash.keys().next().value;
      if (oldest === undefined) break;
      this.byHash.delete(oldest);
    }
  }
}
