import {
  ConflictError,
  type MeteringRecord,
  meteringDeadline,
  UnavailableError,
  UsageRecord,
} from '@billing-center/core';
import { createTestCore, mother } from '@billing-center/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPersistence, type Persistence } from '../src/index.js';
import { openPostgres, postgresUrlFor, recreatePostgresDatabase, truncateAll } from './support/databases.js';
import { coreOn } from './support/flows.js';

// What only a real PostgreSQL server shows: concurrent writers, row leases under concurrency, migrations,
// atomicity, and the mapping of driver errors.

const CLAIMERS = 8;
let db: Persistence;
beforeAll(async () => {
  db = await openPostgres('real_db', CLAIMERS + 2);
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  await truncateAll(db);
});

/** Resolves once `n` callers have arrived: makes two transactions interleave deterministically. */
function barrier(n: number) {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => {
    release = r;
  });
  return async () => {
    arrived += 1;
    if (arrived === n) release();
    await all;
  };
}

describe('migrations', () => {
  it('apply from an empty database, re-apply as a no-op, and match the mappings exactly', async () => {
    await recreatePostgresDatabase('migrations');
    const p = await createPersistence({ database: postgresUrlFor('migrations'), migrate: false });
    try {
      expect(await p.migrate()).toEqual([
        'Migration20261127000000_initial',
        'Migration20261127120000_credentials',
        'Migration20261127180000_workspace_previous_method',
      ]);
      expect(await p.migrate()).toEqual([]);
      // the committed migrations produce exactly the schema the EntitySchema mappings describe
      expect((await p.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
    } finally {
      await p.close();
    }
  });
});

describe('concurrent writers', () => {
  it('two units of work saving one workspace: one wins, the other gets concurrent-update', async () => {
    const c = coreOn(db);
    const { workspace } = await c.activatedCustomer();
    const bothLoaded = barrier(2);
    const rename = (name: string) =>
      db.uow.transaction(async (tx) => {
        const ws = await tx.workspaces.get(workspace.id);
        await bothLoaded();
        ws!.rename(name);
        await tx.workspaces.save(ws!);
        return name;
      });
    const results = await Promise.allSettled([rename('First'), rename('Second')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'concurrent-update',
      kind: 'conflict',
    });
    const stored = await db.uow.transaction((tx) => tx.workspaces.get(workspace.id));
    expect(stored?.name).toBe((won[0] as PromiseFulfilledResult<string>).value);
    expect(stored?.version).toBe(workspace.version + 1);
  });

  for (const ending of ['commits', 'rolls back'] as const) {
    it(`the inbox's batch store waits for another transaction storing the same message id, which ${ending}`, async () => {
      const shared = mother.marketplaceEvent();
      const mine = mother.marketplaceEvent({ messageId: shared.messageId });
      const other = mother.marketplaceEvent();
      let inserted!: () => void;
      const insertedYet = new Promise<void>((r) => {
        inserted = r;
      });
      let end!: () => void;
      const ended = new Promise<void>((r) => {
        end = r;
      });
      const first = db.uow.transaction(async (tx) => {
        await tx.marketplaceEvents.addUnlessStored([shared]);
        inserted();
        await ended;
        if (ending === 'rolls back') throw new Error('rolled back on purpose');
      });
      await insertedYet;
      let settled = false;
      const second = db.uow
        .transaction((tx) => tx.marketplaceEvents.addUnlessStored([other, mine]))
        .finally(() => {
          settled = true;
        });
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false); // waiting on the first transaction's row, not failing
      end();
      await (ending === 'commits' ? first : expect(first).rejects.toThrow('on purpose'));
      expect(await second).toEqual([
        { eventId: other.id, duplicate: false },
        ending === 'commits'
          ? { eventId: shared.id, duplicate: true }
          : { eventId: mine.id, duplicate: false },
      ]);
      const stored = await db.uow.read((tx) => tx.marketplaceEvents.findByMessageId(shared.messageId));
      expect(stored?.id).toBe(ending === 'commits' ? shared.id : mine.id);
    });
  }

  it(`${CLAIMERS} concurrent claimers lease every claimable record exactly once (FOR UPDATE SKIP LOCKED)`, async () => {
    const core = createTestCore();
    const hour = new Date('2026-11-02T10:00:00Z');
    const records: MeteringRecord[] = [];
    for (let i = 0; i < 400; i++) {
      records.push(
        mother.meteringRecord({
          id: `mr-${String(i).padStart(5, '0')}`,
          cloudAccountId: `ca-${i}`,
          hour,
          quantity: i,
          allocations: [],
          deadline: meteringDeadline(hour, 6),
        }),
      );
    }
    await db.uow.transaction((tx) => tx.metering.addMany(records));
    const now = core.clock.now();
    const until = new Date(now.getTime() + 120_000);
    const claimed = new Map<string, string[]>();
    const start = barrier(CLAIMERS);
    const claimer = async (worker: string) => {
      await start();
      for (;;) {
        const got = await db.uow.transaction(async (tx) => {
          const batch = await tx.metering.listClaimable(now, 7);
          for (const r of batch) r.lease(worker, until);
          await tx.metering.saveMany(batch);
          // hold the row locks a moment so that the claimers really overlap
          await new Promise((r) => setTimeout(r, 5));
          return batch.map((r) => r.id);
        });
        if (got.length === 0) return;
        for (const id of got) claimed.set(id, [...(claimed.get(id) ?? []), worker]);
      }
    };
    await Promise.all(Array.from({ length: CLAIMERS }, (_, i) => claimer(`w${i}`)));
    expect(claimed.size).toBe(records.length);
    expect([...claimed.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    expect(new Set([...claimed.values()].map((o) => o[0])).size).toBeGreaterThan(1);
    const stored = await db.uow.transaction((tx) => tx.metering.getMany(records.map((r) => r.id)));
    expect(stored.every((r) => r.status === 'submitted' && r.attempts === 1 && r.version === 2)).toBe(true);
  });
});

describe('bulk statements', () => {
  it('round-trip awkward text, JSON, nulls and dates through the array-parameter inserts and updates', async () => {
    const awkward = "q\"uote \\back, {brace} NULL 'single' 中文 \u{1F600}";
    const hour = new Date('2026-11-02T10:00:00.123Z');
    const make = (i: number) =>
      mother.meteringRecord({
        id: `mr-awk-${i}`,
        cloudAccountId: 'ca-awk',
        customerIdentifier: i === 0 ? null : awkward,
        customerAwsAccountId: null,
        licenseArn: null,
        dimension: `dim-${i}`,
        hour,
        quantity: 2_147_483_647,
        allocations: [
          { workspaceId: awkward, quantity: 1 },
          { workspaceId: null, quantity: 2 },
        ],
        isFinal: i === 1,
        sealedAt: hour,
        deadline: meteringDeadline(hour, 6),
      });
    const records = [make(0), make(1), make(2)];
    await db.uow.transaction((tx) => tx.metering.addMany(records));
    const loaded = await db.uow.transaction((tx) => tx.metering.getMany(records.map((r) => r.id)));
    expect(
      loaded.map((r) => [r.customerIdentifier, r.allocations, r.hour.toISOString(), r.isFinal, r.quantity]),
    ).toEqual(
      records.map((r) => [r.customerIdentifier, r.allocations, hour.toISOString(), r.isFinal, r.quantity]),
    );
    for (const r of loaded) {
      r.lease(awkward, new Date('2026-11-02T12:00:00Z'));
      r.lastError = awkward;
    }
    await db.uow.transaction((tx) => tx.metering.saveMany(loaded));
    const again = await db.uow.transaction((tx) => tx.metering.getMany(records.map((r) => r.id)));
    expect(again.map((r) => [r.leaseOwner, r.lastError, r.status, r.version])).toEqual(
      records.map(() => [awkward, awkward, 'submitted', 2]),
    );
  });
});

describe('atomicity and errors', () => {
  it('a transaction failing half-way, on a constraint, leaves nothing behind', async () => {
    const c = coreOn(db);
    const { workspace } = await c.activatedCustomer();
    const before = await db.uow.transaction((tx) => tx.workspaces.get(workspace.id));
    const k = `dup-${Date.now()}`;
    const usage = (key: string, q: number) =>
      new UsageRecord({
        id: `u-${key}-${q}`,
        idempotencyKey: key,
        workspaceId: workspace.id,
        itemCode: 'log-events',
        hour: new Date('2026-11-02T10:00:00Z'),
        quantity: q,
        receivedAt: new Date('2026-11-02T10:05:00Z'),
        payerCloudAccountId: null,
        status: 'billing-center',
        reason: null,
        meteringRecordId: null,
        meteredHour: null,
        version: 1,
      });
    await db.uow.transaction((tx) => tx.usage.addMany([usage(k, 1)]));
    const attempt = db.uow.transaction(async (tx) => {
      const ws = await tx.workspaces.get(workspace.id);
      ws!.rename('Half-way');
      await tx.workspaces.save(ws!);
      await tx.audit.append([
        {
          id: `audit-${k}`,
          at: new Date(),
          actorType: 'system',
          actorId: null,
          action: 'test',
          entityType: 'workspace',
          entityId: workspace.id,
          accountId: null,
          requestId: null,
          details: {},
        },
      ]);
      await tx.usage.addMany([usage(`${k}-fresh`, 2), usage(k, 3)]); // the second repeats a stored key
    });
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'duplicate-key', kind: 'conflict' });
    const after = await db.uow.transaction(async (tx) => ({
      ws: await tx.workspaces.get(workspace.id),
      audit: await tx.audit.listForEntity('workspace', workspace.id),
      usage: await tx.usage.findByKeys([k, `${k}-fresh`]),
    }));
    expect(after.ws).toMatchObject({ name: before!.name, version: before!.version });
    expect(after.audit.filter((a) => a.id === `audit-${k}`)).toEqual([]);
    expect(after.usage.map((u) => u.quantity)).toEqual([1]);
  });

  it('turns unique violations into domain errors naming the constraint', async () => {
    const c = coreOn(db);
    const { account } = await c.activatedCustomer();
    const err = await db.uow
      .transaction(async (tx) => {
        const copy = await tx.accounts.get(account.id);
        await tx.accounts.add(
          Object.assign(Object.create(Object.getPrototypeOf(copy)), copy, { id: 'other-id' }),
        );
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({
      code: 'duplicate-key',
      details: { table: 'account', constraint: 'username' },
    });
  });

  it('refuses an over-long value in a bulk insert instead of truncating it', async () => {
    const c = coreOn(db);
    const { account } = await c.activatedCustomer();
    const err = await db.uow
      .transaction(async (tx) => {
        const copy = await tx.accounts.get(account.id);
        await tx.accounts.add(
          Object.assign(Object.create(Object.getPrototypeOf(copy)), copy, {
            id: 'long-company',
            username: 'long-company',
            email: 'long@example.com',
            company: 'x'.repeat(300),
          }),
        );
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'value-too-long', kind: 'validation' });
    expect(await db.uow.transaction((tx) => tx.accounts.get('long-company'))).toBeNull();
  });

  it('maps a deadlock between two transactions to concurrent-update', async () => {
    const c = coreOn(db);
    const a = await c.activatedCustomer();
    const b = await c.activatedCustomer();
    const meet = barrier(2);
    const cross = (first: string, second: string) =>
      db.uow.transaction(async (tx) => {
        const x = await tx.accounts.get(first);
        if (!x) throw new Error('missing');
        x.company = `${x.company}!`;
        await tx.accounts.save(x);
        await meet();
        const y = await tx.accounts.get(second);
        if (!y) throw new Error('missing');
        y.company = `${y.company}?`;
        await tx.accounts.save(y);
      });
    const results = await Promise.allSettled([
      cross(a.account.id, b.account.id),
      cross(b.account.id, a.account.id),
    ]);
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed).toHaveLength(1);
    expect(failed[0]?.reason).toMatchObject({ code: 'concurrent-update', kind: 'conflict' });
  });

  it('a connection lost mid-transaction is database-unavailable, writes nothing, and the pool recovers', async () => {
    const c = coreOn(db);
    const { workspace } = await c.activatedCustomer();
    const attempt = db.uow.transaction(async (tx) => {
      const ws = await tx.workspaces.get(workspace.id);
      ws!.rename('Lost');
      await tx.workspaces.save(ws!);
      // the server ends this session, as a failover or a network cut would
      const own = (tx.workspaces as unknown as { s: { pg: { query(sql: string): Promise<unknown> } } }).s.pg;
      await own.query('select pg_terminate_backend(pg_backend_pid())').catch(() => undefined);
      await tx.workspaces.get('anything');
    });
    await expect(attempt).rejects.toBeInstanceOf(UnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: 'database-unavailable', kind: 'unavailable' });
    const after = await db.uow.transaction((tx) => tx.workspaces.get(workspace.id));
    expect(after?.name).toBe(workspace.name);
  });

  it('refuses to start against a server that is down, naming the setting', async () => {
    const err = await createPersistence({
      database: 'postgres://postgres@127.0.0.1:1/billing_center',
      setting: 'DATABASE_URL',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ code: 'database-unavailable', details: { setting: 'DATABASE_URL' } });
    expect((err as Error).message).toContain('DATABASE_URL');
    expect((err as Error).message).toContain('127.0.0.1:1');
  });

  it('refuses to start against a database that does not exist, naming the setting', async () => {
    const err = await createPersistence({
      database: postgresUrlFor(`missing_${Date.now()}`),
      setting: 'DATABASE_URL',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'database-unavailable' });
    expect((err as Error).message).toMatch(/DATABASE_URL.*does not exist/);
  });
});
