import type { RatingState, RatingStateRepository } from '@billing-center/core';
import { RatingStateSchema } from '../mapping/entity-schemas.js';
import { chunks, type Session } from '../session.js';

export class MikroOrmRatingStateRepository implements RatingStateRepository {
  constructor(private readonly s: Session) {}
  async listFor(pairs: ReadonlyArray<{ cloudAccountId: string; workspaceId: string }>) {
    const wanted = new Set(pairs.map((p) => `${p.cloudAccountId}|${p.workspaceId}`));
    const accounts = [...new Set(pairs.map((p) => p.cloudAccountId))];
    const out: RatingState[] = [];
    // by account (indexed), then exact pairs: an account's workspaces are few
    for (const part of chunks(accounts, 1000)) {
      for (const s of await this.s.find(RatingStateSchema, { cloudAccountId: { $in: part } }, {}))
        if (wanted.has(`${s.cloudAccountId}|${s.workspaceId}`)) out.push(s);
    }
    return out;
  }
  /** Version 0 means never stored: inserted with version 1. The others are optimistic updates. */
  async saveMany(states: readonly RatingState[]) {
    const fresh = states.filter((s) => s.version === 0);
    for (const s of fresh) s.version = 1;
    try {
      await this.s.insert(RatingStateSchema, fresh);
    } catch (e) {
      for (const s of fresh) s.version = 0;
      throw e;
    }
    await this.s.updateMany(
      RatingStateSchema,
      states.filter((s) => !fresh.includes(s)),
    );
  }
}
