import { describe, expect, it } from 'vitest';
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

  it('gives unguessable secrets', () => {
    const ids = new UuidIdGenerator();
    const s = ids.secret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(ids.secret()).not.toBe(s);
  });
});
