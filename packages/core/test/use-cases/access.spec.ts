import { describe, expect, it } from 'vitest';
import { type Credential, hashSecret } from '../../src/domain/access/credential.js';
import { CredentialCache } from '../../src/use-cases/access/credential-cache.js';
import { createUseCases } from '../../src/use-cases/index.js';
import { createTestCore, customer, operator, platform, read } from '../support.js';

const PASSWORD = 'a long enough password';
const MINUTE = 60_000;

async function withAccount(config = {}) {
  const core = createTestCore({ config });
  const account = await core.useCases.registerAccount.execute({
    username: 'ada',
    email: 'ada@example.com',
    password: PASSWORD,
    company: 'Analytical Engines',
  });
  return { core, account };
}

describe('sessions', () => {
  it('signs in by username or email, stores only the hash of the cookie value, and audits it', async () => {
    const { core, account } = await withAccount();
    const byName = await core.useCases.signIn.execute(
      { login: 'ADA', password: PASSWORD },
      { requestId: 'r-1' },
    );
    const byEmail = await core.useCases.signIn.execute({ login: 'ada@example.com', password: PASSWORD });
    expect(byName.token).toMatch(/^bck_[A-Za-z0-9_-]{32}$/);
    expect(byName.token).not.toBe(byEmail.token);
    expect(byName.session.expiresAt).toEqual(new Date(core.clock.now().getTime() + 24 * 3_600_000));
    const stored = await read(core, (tx) => tx.credentials.get(byName.session.id));
    expect(stored?.secretHash).toBe(hashSecret(byName.token));
    expect(JSON.stringify(stored)).not.toContain(byName.token);
    const audit = await read(core, (tx) => tx.audit.listForAccount(account.id, { limit: 10 }));
    const started = audit.items.filter((e) => e.action === 'session.started');
    expect(started).toHaveLength(2);
    expect(started.find((e) => e.entityId === byName.session.id)).toMatchObject({
      actorType: 'customer',
      actorId: account.id,
      requestId: 'r-1',
    });
    expect(await core.useCases.authenticateSession.execute({ token: byName.token })).toMatchObject({
      sessionId: byName.session.id,
      accountId: account.id,
    });
  });

  it('refuses a wrong password or unknown login with one error that reveals neither, and creates nothing', async () => {
    const { core, account } = await withAccount();
    for (const login of ['ada', 'nobody']) {
      await expect(
        core.useCases.signIn.execute({ login, password: 'wrong password!' }),
      ).rejects.toMatchObject({
        code: 'invalid-credentials',
      });
    }
    expect(await read(core, (tx) => tx.credentials.listForAccount(account.id, 'session'))).toEqual([]);
  });

  it('ends after the idle time, is kept alive by use, and ends at its absolute lifetime however busy', async () => {
    const { core } = await withAccount({ sessionIdleMinutes: 30, sessionAbsoluteHours: 2 });
    const { token } = await core.useCases.signIn.execute({ login: 'ada', password: PASSWORD });
    for (let i = 0; i < 3; i += 1) {
      core.clock.advance(29 * MINUTE);
      await core.useCases.authenticateSession.execute({ token });
    }
    core.clock.advance(29 * MINUTE); // 116 minutes in, last use 29 minutes ago
    await core.useCases.authenticateSession.execute({ token });
    core.clock.advance(5 * MINUTE); // past the absolute two hours
    await expect(core.useCases.authenticateSession.execute({ token })).rejects.toMatchObject({
      code: 'session-invalid',
      kind: 'unauthenticated',
    });
    const idle = await core.useCases.signIn.execute({ login: 'ada', password: PASSWORD });
    core.clock.advance(30 * MINUTE);
    await expect(core.useCases.authenticateSession.execute({ token: idle.token })).rejects.toMatchObject({
      code: 'session-invalid',
    });
  });

  it('records use at most once a minute (reads do not become writes)', async () => {
    const { core } = await withAccount();
    const { token } = await core.useCases.signIn.execute({ login: 'ada', password: PASSWORD });
    const before = core.db.commits;
    await core.useCases.authenticateSession.execute({ token });
    core.clock.advance(30_000);
    await core.useCases.authenticateSession.execute({ token });
    expect(core.db.commits - before).toBe(2); // two read transactions, no write
    core.clock.advance(31_000);
    await core.useCases.authenticateSession.execute({ token });
    expect(core.db.commits - before).toBe(4); // read + the lastUsedAt write
  });

  it('signs out (idempotently, audited); the cookie then authenticates nobody', async () => {
    const { core, account } = await withAccount();
    const { token } = await core.useCases.signIn.execute({ login: 'ada', password: PASSWORD });
    await core.useCases.signOut.execute({ token });
    await core.useCases.signOut.execute({ token });
    await core.useCases.signOut.execute({ token: 'bck_unknown' });
    await expect(core.useCases.authenticateSession.execute({ token })).rejects.toMatchObject({
      code: 'session-invalid',
    });
    const audit = await read(core, (tx) => tx.audit.listForAccount(account.id, { limit: 10 }));
    expect(audit.items.filter((e) => e.action === 'session.ended')).toHaveLength(1);
  });

  it('never authenticates other kinds of secrets, malformed values or look-alikes', async () => {
    const { core, account } = await withAccount();
    const { token: apiToken } = await core.useCases.issueApiToken.execute({
      by: customer(account.id),
      name: 'ci',
    });
    const { key } = await core.useCases.issueServiceKey.execute({
      by: operator,
      name: 'p',
      scopes: ['usage:write'],
    });
    const { token } = await core.useCases.signIn.execute({ login: 'ada', password: PASSWORD });
    for (const bad of [
      apiToken,
      key,
      `${token}x`,
      token.slice(0, -1),
      '',
      'bck_',
      `bck_${'a'.repeat(300)}`,
    ]) {
      await expect(core.useCases.authenticateSession.execute({ token: bad })).rejects.toMatchObject({
        kind: 'unauthenticated',
      });
    }
    await expect(core.useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
    await expect(core.useCases.authenticateServiceKey.execute({ key: apiToken })).rejects.toMatchObject({
      code: 'service-key-invalid',
    });
    // a secret with the right prefix but the other kind's row is refused too
    await expect(
      core.useCases.authenticateApiToken.execute({ token: `bcp_${token.slice(4)}` }),
    ).rejects.toMatchObject({ code: 'api-token-invalid' });
  });

  it('serves two requests racing on one session even when both want to record the use', async () => {
    const { core, account } = await withAccount();
    const { token } = await core.useCases.signIn.execute({ login: 'ada', password: PASSWORD });
    core.clock.advance(2 * MINUTE);
    const both = await Promise.all([
      core.useCases.authenticateSession.execute({ token }),
      core.useCases.authenticateSession.execute({ token }),
    ]);
    expect(both.map((r) => r.accountId)).toEqual([account.id, account.id]);
  });
});

describe('personal API tokens', () => {
  it('issues a token shown once, lists it without its secret, authenticates it and revokes it (audited)', async () => {
    const { core, account } = await withAccount();
    const by = customer(account.id);
    const { apiToken, token } = await core.useCases.issueApiToken.execute(
      { by, name: '  deploy bot ', expiresAt: new Date(core.clock.now().getTime() + 86_400_000) },
      { requestId: 'r-9' },
    );
    expect(token).toMatch(/^bcp_/);
    expect(apiToken.name).toBe('deploy bot');
    const listed = await core.useCases.listApiTokens.execute({ by });
    expect(listed).toEqual([apiToken]);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(JSON.stringify(listed)).not.toContain(hashSecret(token));
    core.clock.advance(2 * MINUTE);
    expect(await core.useCases.authenticateApiToken.execute({ token })).toEqual({
      tokenId: apiToken.id,
      accountId: account.id,
    });
    expect((await core.useCases.listApiTokens.execute({ by }))[0]?.lastUsedAt).toEqual(core.clock.now());
    const revoked = await core.useCases.revokeApiToken.execute({ by, tokenId: apiToken.id });
    expect(revoked.revokedAt).toEqual(core.clock.now());
    await core.useCases.revokeApiToken.execute({ by, tokenId: apiToken.id });
    await expect(core.useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
    const audit = await read(core, (tx) => tx.audit.listForAccount(account.id, { limit: 20 }));
    expect(audit.items.map((e) => e.action).filter((a) => a.startsWith('api-token'))).toEqual([
      'api-token.revoked',
      'api-token.issued',
    ]);
  });

  it('expires at its expiry time', async () => {
    const { core, account } = await withAccount();
    const { token } = await core.useCases.issueApiToken.execute({
      by: customer(account.id),
      name: 'short',
      expiresAt: new Date(core.clock.now().getTime() + 3_600_000),
    });
    core.clock.advance(3_600_000);
    await expect(core.useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
  });

  it("hides another account's token (not found) and refuses non-customers", async () => {
    const { core, account } = await withAccount();
    const other = await core.useCases.registerAccount.execute({
      username: 'bob',
      email: 'bob@example.com',
      password: PASSWORD,
      company: 'B',
    });
    const { apiToken } = await core.useCases.issueApiToken.execute({
      by: customer(account.id),
      name: 'mine',
    });
    await expect(
      core.useCases.revokeApiToken.execute({ by: customer(other.id), tokenId: apiToken.id }),
    ).rejects.toMatchObject({ code: 'api-token-not-found', kind: 'not-found' });
    expect(await core.useCases.listApiTokens.execute({ by: customer(other.id) })).toEqual([]);
    await expect(core.useCases.issueApiToken.execute({ by: platform, name: 'x' })).rejects.toMatchObject({
      code: 'customer-only',
    });
  });

  it('refuses bad names, past or too distant expiry, and more live tokens than the limit', async () => {
    const { core, account } = await withAccount({ apiTokensPerAccount: 2 });
    const by = customer(account.id);
    const now = core.clock.now().getTime();
    await expect(core.useCases.issueApiToken.execute({ by, name: '' })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    await expect(core.useCases.issueApiToken.execute({ by, name: 'x'.repeat(101) })).rejects.toMatchObject({
      code: 'invalid-input',
    });
    for (const expiresAt of [new Date(now - 1), new Date(now + 367 * 86_400_000), new Date(Number.NaN)]) {
      await expect(core.useCases.issueApiToken.execute({ by, name: 'x', expiresAt })).rejects.toMatchObject({
        kind: 'validation',
      });
    }
    const first = await core.useCases.issueApiToken.execute({ by, name: 'one' });
    await core.useCases.issueApiToken.execute({ by, name: 'two' });
    await expect(core.useCases.issueApiToken.execute({ by, name: 'three' })).rejects.toMatchObject({
      code: 'api-token-limit',
      kind: 'rule-violation',
    });
    await core.useCases.revokeApiToken.execute({ by, tokenId: first.apiToken.id });
    await core.useCases.issueApiToken.execute({ by, name: 'three' });
    expect(await core.useCases.listApiTokens.execute({ by })).toHaveLength(3);
  });
});

describe('service keys', () => {
  it('are issued by operators with scopes, authenticate with those scopes, and stop when revoked', async () => {
    const core = createTestCore();
    const { serviceKey, key } = await core.useCases.issueServiceKey.execute({
      by: operator,
      name: 'observability platform',
      scopes: ['workspaces:read', 'usage:write', 'usage:write'],
    });
    expect(key).toMatch(/^bcs_/);
    expect(serviceKey.scopes).toEqual(['usage:write', 'workspaces:read']);
    expect(await core.useCases.authenticateServiceKey.execute({ key })).toEqual({
      keyId: serviceKey.id,
      scopes: ['usage:write', 'workspaces:read'],
    });
    expect((await core.useCases.listServiceKeys.execute({ by: operator })).map((k) => k.id)).toEqual([
      serviceKey.id,
    ]);
    await core.useCases.revokeServiceKey.execute({ by: operator, keyId: serviceKey.id });
    await expect(core.useCases.authenticateServiceKey.execute({ key })).rejects.toMatchObject({
      code: 'service-key-invalid',
    });
    const audit = await read(core, (tx) => tx.audit.listForEntity('service-key', serviceKey.id));
    expect(audit.map((e) => e.action).sort()).toEqual(['service-key.issued', 'service-key.revoked']);
  });

  it('refuses unknown or missing scopes and callers who are not operators', async () => {
    const core = createTestCore();
    for (const scopes of [[], ['usage:read'], ['usage:write', 'admin']]) {
      await expect(
        core.useCases.issueServiceKey.execute({ by: operator, name: 'p', scopes }),
      ).rejects.toMatchObject({
        code: 'invalid-scopes',
      });
    }
    await expect(
      core.useCases.issueServiceKey.execute({ by: customer('acc-1'), name: 'p', scopes: ['usage:write'] }),
    ).rejects.toMatchObject({ code: 'operator-only', kind: 'forbidden' });
    await expect(
      core.useCases.revokeServiceKey.execute({ by: operator, keyId: 'nope' }),
    ).rejects.toMatchObject({
      code: 'service-key-not-found',
    });
  });
});

describe('the credential cache (credentialCacheSeconds)', () => {
  /** A second process over the same database: its own context, so its own cache. */
  const otherProcess = (core: ReturnType<typeof createTestCore>) => createUseCases({ ...core.ctx });

  async function withToken(config = {}) {
    const { core, account } = await withAccount(config);
    const by = customer(account.id);
    const { apiToken, token } = await core.useCases.issueApiToken.execute({ by, name: 'ci' });
    return { core, account, by, apiToken, token };
  }

  it('reads a token once per few seconds, not on every request', async () => {
    const { core, token } = await withToken({ credentialCacheSeconds: 5 });
    const before = core.db.commits;
    for (let i = 0; i < 5; i += 1) await core.useCases.authenticateApiToken.execute({ token });
    expect(core.db.commits - before).toBe(2); // one read, and the first use's lastUsedAt write
    core.clock.advance(5_000);
    await core.useCases.authenticateApiToken.execute({ token });
    expect(core.db.commits - before).toBe(3); // kept no longer than 5 s: read again
  });

  it('is off at 0: every request reads the row', async () => {
    const { core, token } = await withToken({ credentialCacheSeconds: 0 });
    await core.useCases.authenticateApiToken.execute({ token });
    const before = core.db.commits;
    for (let i = 0; i < 3; i += 1) await core.useCases.authenticateApiToken.execute({ token });
    expect(core.db.commits - before).toBe(3);
  });

  it('forgets a token revoked in this process at once', async () => {
    const { core, by, apiToken, token } = await withToken({ credentialCacheSeconds: 60 });
    await core.useCases.authenticateApiToken.execute({ token });
    await core.useCases.revokeApiToken.execute({ by, tokenId: apiToken.id });
    await expect(core.useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
  });

  it('forgets a service key revoked in this process at once', async () => {
    const core = createTestCore({ config: { credentialCacheSeconds: 60 } });
    const { serviceKey, key } = await core.useCases.issueServiceKey.execute({
      by: operator,
      name: 'p',
      scopes: ['usage:write'],
    });
    await core.useCases.authenticateServiceKey.execute({ key });
    await core.useCases.revokeServiceKey.execute({ by: operator, keyId: serviceKey.id });
    await expect(core.useCases.authenticateServiceKey.execute({ key })).rejects.toMatchObject({
      code: 'service-key-invalid',
    });
  });

  it('sees a revocation by another process within credentialCacheSeconds, and not before (the documented staleness)', async () => {
    const { core, by, apiToken, token } = await withToken({ credentialCacheSeconds: 5 });
    await core.useCases.authenticateApiToken.execute({ token });
    await otherProcess(core).revokeApiToken.execute({ by, tokenId: apiToken.id });
    core.clock.advance(4_999);
    expect((await core.useCases.authenticateApiToken.execute({ token })).tokenId).toBe(apiToken.id);
    core.clock.advance(1);
    await expect(core.useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
  });

  it('still checks expiry on every request', async () => {
    const { core, account } = await withAccount({ credentialCacheSeconds: 60 });
    const { token } = await core.useCases.issueApiToken.execute({
      by: customer(account.id),
      name: 'short',
      expiresAt: new Date(core.clock.now().getTime() + 10_000),
    });
    await core.useCases.authenticateApiToken.execute({ token });
    core.clock.advance(10_000);
    await expect(core.useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
  });

  it('does not keep a row read before a revocation that finished while the read was in flight', async () => {
    const { core, by, apiToken, token } = await withToken({ credentialCacheSeconds: 60 });
    // used a moment ago (through another context): the racing request below has no lastUsedAt to write
    await core.useCases.authenticateApiToken.execute({ token });
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    // this process, with reads whose answers arrive late (after the revocation below)
    const slow = { ...core.ctx };
    slow.uow = {
      overlapsTransactions: false,
      transaction: (work) => core.db.transaction(work),
      read: async (work) => {
        const answer = await core.db.read(work);
        await held;
        return answer;
      },
    };
    const useCases = createUseCases(slow);
    const inFlight = useCases.authenticateApiToken.execute({ token });
    await new Promise((r) => setTimeout(r, 0));
    await useCases.revokeApiToken.execute({ by, tokenId: apiToken.id });
    release();
    // the request that raced the revocation is served (it read the row first) …
    expect((await inFlight).tokenId).toBe(apiToken.id);
    // … but what it read is not kept: the next request is refused
    slow.uow = core.db;
    await expect(useCases.authenticateApiToken.execute({ token })).rejects.toMatchObject({
      code: 'api-token-invalid',
    });
  });

  it('never keeps unknown or refused secrets, and holds at most maxEntries', async () => {
    const { core } = await withToken({ credentialCacheSeconds: 60 });
    const before = core.db.commits;
    for (let i = 0; i < 3; i += 1)
      await expect(
        core.useCases.authenticateApiToken.execute({ token: 'bcp_unknown' }),
      ).rejects.toMatchObject({ code: 'api-token-invalid' });
    expect(core.db.commits - before).toBe(3);

    const cache = new CredentialCache(60_000, 2);
    const now = core.clock.now();
    const c = (id: string) => ({ id }) as Credential;
    cache.set('a', c('a'), now, cache.ticket());
    cache.set('b', c('b'), now, cache.ticket());
    cache.set('c', c('c'), now, cache.ticket());
    expect([cache.get('a', now), cache.get('b', now)?.id, cache.get('c', now)?.id]).toEqual([null, 'b', 'c']);
    expect(cache.size).toBe(2);
  });
});
