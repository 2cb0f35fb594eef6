import type { PasswordHasher } from '@billing-center/core';
import { hash, verify } from '@node-rs/argon2';

// `Algorithm.Argon2id` is an ambient const enum, which isolated modules cannot read; its value is 2.
const ARGON2ID = 2;

/** argon2id cost; the defaults are OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). */
export interface Argon2Cost {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Cost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * argon2id through `@node-rs/argon2`: a maintained Rust binding shipped as prebuilt npm packages (no
 * node-gyp build, works on Node 20–24), hashing off the main thread. The cost is stored in each hash,
 * so raising it later only affects new hashes; `needsRehash` says when a sign-in should upgrade one.
 */
export class Argon2PasswordHasher implements PasswordHasher {
  constructor(private readonly cost: Argon2Cost = OWASP_ARGON2ID) {}

  hash(password: string): Promise<string> {
    return hash(password, { algorithm: ARGON2ID, ...this.cost });
  }

  async verify(password: string, stored: string): Promise<boolean> {
    if (!stored.startsWith('$argon2')) return false;
    try {
      return await verify(stored, password);
    } catch {
      // a malformed stored hash never signs anyone in
      return false;
    }
  }

  /** True when `stored` was made with a different algorithm or a lower cost than the current one. */
  needsRehash(stored: string): boolean {
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
    if (!m) return true;
    return (
      Number(m[1]) < this.cost.memoryCost ||
      Number(m[2]) < this.cost.timeCost ||
      Number(m[3]) !== this.cost.parallelism
    );
  }
}
