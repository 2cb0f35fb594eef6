import { afterEach, describe, expect, it, vi } from 'vitest';
import { Argon2PasswordHasher } from '../src/adapters/argon2-password-hasher.js';
import { UuidIdGenerator } from '../src/adapters/uuid-id-generator.js';

describe('Argon2PasswordHasher', () => {
  const hasher = new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

  it('hashes with argon2id and a fresh salt, and verifies only the right password', async () => {
    const a = await hasher.hash('correct horse');
    const b = await hasher.hash('correct horse');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify('correct horse', a)).toBe(true);
    expect(await hasher.verify('correct horsE', a)).toBe(false);
  });

  it('never accepts a malformed or foreign stored hash', async () => {
    expect(await hasher.verify('x', '')).toBe(false);
    expect(await hasher.verify('x', '$argon2id$garbage')).toBe(false);
    expect(await hasher.verify('x', 'test-sha256$00$00')).toBe(false);
  });

  it('says when a stored hash is weaker than the current cost', async () => {
    const weak = await hasher.hash('pw');
    expect(new Argon2PasswordHasher().needsRehash(weak)).toBe(true);
    expect(hasher.needsRehash(weak)).toBe(false);
    expect(hasher.needsRehash('$2b$10$bcrypt')).toBe(true);
  });
});

describe('UuidIdGenerator', () => {
  it('gives unique ids that sort in creation order', () => {
    const ids = new UuidIdGenerator();
    const list = Array.from({ length: 2000 }, () => ids.next());
    expect(new Set(list).size).toBe(list.length);
    expect([...list].sort()).toEqual(list);
    expect(list[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stays in creation order within one millisecond, across generators, and when the clock steps back', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    const a = new UuidIdGenerator();
    const b = new UuidIdGenerator();
    const list = Array.from({ length: 5000 }, (_, i) => (i % 2 ? a : b).next());
    now.mockReturnValue(1_799_999_999_000); // an NTP step backwards
    list.push(...Array.from({ length: 10 }, () => a.next()));
    now.mockReturnValue(1_800_000_000_001);
    list.push(a.next());
    expect(new Set(list).size).toBe(list.length);
    expect([...list].sort()).toEqual(list);
    // the time part is the millisecond asked for (48 bits, in front)
    expect(Number.parseInt(list[0]?.replace(/-/g, '').slice(0, 12) ?? '', 16)).toBe(1_800_000_000_000);
    expect(Number.parseInt(list.at(-1)?.replace(/-/g, '').slice(0, 12) ?? '', 16)).toBe(1_800_000_000_001);
  });

  it('does not repeat the random part from one id to the next', () => {
    const ids = new UuidIdGenerator();
    const tails = Array.from({ length: 1000 }, () => ids.next().slice(-12));
    expect(new Set(tails).size).toBe(tails.length);
  });

  it('gives unguessable secrets', () => {
    const ids = new UuidIdGenerator();
    const s = ids.secret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(ids.secret()).not.toBe(s);
  });
});
