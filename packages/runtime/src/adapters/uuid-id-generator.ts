import { randomBytes } from 'node:crypto';
import type { IdGenerator } from '@billing-center/core';
import { v7 as uuidv7 } from 'uuid';

/**
 * Ids are UUID version 7: time-ordered (so "newest first" lists and B-tree inserts stay cheap) and
 * monotonic within one process (the `uuid` package keeps a sequence inside a millisecond, which a
 * hand-written version would have to get right too). Secrets handed to browsers are 192 random bits.
 */
export class UuidIdGenerator implements IdGenerator {
  next(): string {
    return uuidv7();
  }
  secret(): string {
    return randomBytes(24).toString('base64url');
  }
}
