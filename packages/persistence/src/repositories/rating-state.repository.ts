import { RatingState, type RatingStateRepository } from '@billing-center/core';
import { type RatingBookEntry, RatingBookSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

const keyOf = (s: { workspaceId: string; itemCode: string }) => `${s.workspaceId}|${s.itemCode}`;

/**
 * Rating states kept one row per cloud account (`rating_book`, ADR 0009): the seal that reads an
 * account's states writes the changed ones back in the transaction that updates the account, whose
 * version check already keeps two seals of it apart; the book's own version only counts its writes.
 */
export class MikroOrmRatingStateRepository implements RatingStateRepository {
  constructor(private readonly s: Session) {}
  async listFor(cloudAccountIds: readonly string[]) {
    const out: RatingState[] = [];
    for (const book of await this.s.getMany(RatingBookSchema, cloudAccountIds)) {
      for (const [key, e] of Object.entries(book.states)) {
        const bar = key.indexOf('|');
        out.push(
          new RatingState({
            id: RatingState.key(book.id, key.slice(0, bar), key.slice(bar + 1)),
            cloudAccountId: book.id,
            workspaceId: key.slice(0, bar),
            itemCode: key.slice(bar + 1),
            carry: e.carry,
            denominator: e.denominator,
            peakDay: e.peakDay ?? null,
            peak: e.peak,
            version: book.version,
          }),
        );
      }
    }
    return out;
  }
  /** Merged into each account's book (one upsert per account); other entries of the book stay as they are. */
  async saveMany(states: readonly RatingState[]) {
    if (states.length === 0) return;
    const books = new Map<string, Record<string, RatingBookEntry>>();
    for (const st of states) {
      let entries = books.get(st.cloudAccountId);
      if (!entries) {
        entries = {};
        books.set(st.cloudAccountId, entries);
      }
      entries[keyOf(st)] = {
        carry: st.carry,
        denominator: st.denominator,
        peakDay: st.peakDay,
        peak: st.peak,
      };
    }
    const ids = [...books.keys()];
    if (this.s.dialect === 'postgresql') {
      // one JSON document { accountId: entries }: merged into each book (entries replaced whole)
      await this.s.execute(
        `insert into "rating_book" ("id", "states", "version")
         select key, value, 1 from jsonb_each(?::jsonb)
         on conflict ("id") do update set "states" = "rating_book"."states" || excluded."states",
           "version" = "rating_book"."version" + 1`,
        [JSON.stringify(Object.fromEntries(books))],
      );
    } else {
      for (let i = 0; i < ids.length; i += 400) {
        const part = ids.slice(i, i + 400);
        // json_patch would drop the null-valued members (RFC 7396); each entry is replaced whole instead
        await this.s.execute(
          `insert into "rating_book" ("id", "states", "version") values ${part.map(() => '(?, json(?), 1)').join(', ')}
           on conflict ("id") do update set "states" = (
             select json_group_object(key, json(value)) from (
               select key, value from json_each("rating_book"."states")
                 where key not in (select key from json_each(excluded."states"))
               union all select key, value from json_each(excluded."states")
             )
           ), "version" = "rating_book"."version" + 1`,
          part.flatMap((id) => [id, JSON.stringify(books.get(id))]),
        );
      }
    }
    for (const st of states) st.version += 1;
    this.s.forgetRows(RatingBookSchema, ids);
  }
}
