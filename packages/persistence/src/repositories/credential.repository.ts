import type { Credential, CredentialKind, CredentialRepository } from '@billing-center/core';
import { CredentialSchema } from '../mapping/entity-schemas.js';
import type { Session } from '../session.js';

export class MikroOrmCredentialRepository implements CredentialRepository {
  constructor(private readonly s: Session) {}
  get(id: string) {
    return this.s.get(CredentialSchema, id);
  }
  /** Every authenticated request asks this: the plain indexed lookup, no query building. */
  async findBySecretHash(secretHash: string) {
    return (await this.s.findIn(CredentialSchema, 'secretHash', [secretHash]))[0] ?? null;
  }
  listForAccount(accountId: string, kind: CredentialKind) {
    return this.s.find(CredentialSchema, { accountId, kind }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }
  listServiceKeys() {
    return this.s.find(
      CredentialSchema,
      { kind: 'service-key' },
      { orderBy: { createdAt: 'desc', id: 'desc' } },
    );
  }
  add(credential: Credential) {
    return this.s.insert(CredentialSchema, [credential]);
  }
  save(credential: Credential) {
    return this.s.update(CredentialSchema, credential);
  }
  async revokeSessions(accountId: string, now: Date) {
    const live = await this.s.find(CredentialSchema, { accountId, kind: 'session', revokedAt: null });
    for (const c of live) c.revokedAt = now;
    await this.s.updateMany(CredentialSchema, live);
    return live.length;
  }
}
