import type { RatingBook, RatingBookRepository } from '@billing-center/core';
import { RatingBookSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

/** One row per cloud account, its states as JSON (ADR 0009). */
export class MikroOrmRatingBookRepository implements RatingBookRepository {
  constructor(private readonly s: Session) {}
  getMany(cloudAccountIds: readonly string[]) {
    return this.s.getMany(RatingBookSchema, cloudAccountIds);
  }
  /** Version 0 means never stored: inserted with version 1. The others are optimistic updates. */
  async saveMany(books: readonly RatingBook[]) {
    const fresh = books.filter((b) => b.version === 0);
    for (const b of fresh) b.version = 1;
    try {
      await this.s.insert(RatingBookSchema, fresh);
    } catch (e) {
      for (const b of fresh) b.version = 0;
      throw e;
    }
    await this.s.updateMany(
      RatingBookSchema,
      books.filter((b) => !fresh.includes(b)),
    );
  }
}
