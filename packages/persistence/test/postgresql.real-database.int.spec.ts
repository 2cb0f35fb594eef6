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

/** A one-shot signal: `fired` resolves once `fire()` is called (orders two transactions in a test). */
function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((r) => {
    fire = r;
  });
  return { fire, fired };
}

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
        'Migration20261128000000_usage_watermark',
        'Migration20261129000000_workspace_change_notify',
      ]);
      expect(await p.migrate()).toEqual([]);
      // the committed migrations produce exactly the schema the EntitySchema mappings describe
      expect((await p.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
    } finally {
      await p.close();
    }
  });
});

describe('the usage-watermark migration (ADR 0009)', () => {
  it('carries stored usage, records and rating states over exactly', async () => {
    await recreatePostgresDatabase('watermark');
    const p = await createPersistence({ database: postgresUrlFor('watermark'), migrate: false });
    try {
      await p.orm.getMigrator().up({ to: 'Migration20261127180000_workspace_previous_method' });
      const sql = (q: string) => p.orm.em.getConnection().execute(q);
      const t = (h: string) => `'2026-11-02T${h}:00Z'`;
      await sql(`insert into cloud_account (id, owner_account_id, provider, partition, product_code, free_trial,
        state, state_changed_at, metering_from, metered_through, entitlements, created_at, version) values
        ('ca-1', 'acc-1', 'aws-marketplace', 'aws', 'prod', false, 'active', ${t('09:00')}, ${t('10:00')},
         ${t('11:00')}, '[]', ${t('09:00')}, 3)`);
      const record = (id: string, hour: string) =>
        `('${id}', 'ca-1', 'aws', 'prod', 'log_events', ${t(hour)}, 1, '[]', 'accepted', false, 1, 0, ${t('23:00')}, 1)`;
      await sql(`insert into metering_record (id, cloud_account_id, partition, product_code, dimension, hour,
        quantity, allocations, status, is_final, attempts, unanswered_sends, deadline, version) values
        ${record('mr-10', '10:00')}, ${record('mr-11', '11:00')}`);
      // u1 on time for 10, u2 late for 10 (in 11's seal), u3 on time for 11: metered. u4 late for 10 after
      // 11's seal, u5 for 12: still pending.
      const usage = (id: string, hour: string, received: string, status: string, record: string | null) =>
        `('${id}', 'k-${id}', 'ws-1', 'log-events', ${t(hour)}, 1, ${t(received)}, 'ca-1', '${status}',
          ${record ? `'${record}'` : 'null'}, 1)`;
      await sql(`insert into usage_record (id, idempotency_key, workspace_id, item_code, hour, quantity,
        received_at, payer_cloud_account_id, status, metering_record_id, version) values
        ${usage('u4', '10:00', '12:10', 'pending', null)}, ${usage('u1', '10:00', '10:05', 'metered', 'mr-10')},
        ${usage('u5', '12:00', '12:05', 'pending', null)}, ${usage('u3', '11:00', '11:20', 'metered', 'mr-11')},
        ${usage('u2', '10:00', '11:10', 'metered', 'mr-11')}`);
      await sql(`insert into rating_state values ('ca-1|ws-1|hosts', 'ca-1', 'ws-1', 'hosts', '12345678901234567890', '100', '2026-11-02', 7, 2),
        ('ca-1|ws-1|log-events', 'ca-1', 'ws-1', 'log-events', '3', '10', null, 0, 1)`);

      expect((await p.migrate())[0]).toBe('Migration20261128000000_usage_watermark'); // and any later ones
      const [ca, records, absorbed10, absorbed11, pending, states] = await p.uow.read(async (tx) => {
        const c = await tx.cloudAccounts.get('ca-1');
        const rs = await tx.metering.getMany(['mr-10', 'mr-11']);
        return [
          c,
          rs,
          await tx.usage.listForMeteringRecord(rs[0]!, ['log-events']),
          await tx.usage.listForMeteringRecord(rs[1]!, ['log-events']),
          await tx.usage.listPendingForPayers([c!], null),
          await tx.ratingBooks.getMany(['ca-1']),
        ] as const;
      });
      expect(absorbed10.map((u) => u.id)).toEqual(['u1']);
      expect(absorbed11.map((u) => u.id)).toEqual(['u2', 'u3']);
      expect(pending.map((u) => u.id)).toEqual(['u4', 'u5']);
      const all = await p.uow.read((tx) =>
        tx.usage.listForWorkspace('ws-1', new Date(0), new Date('2030-01-01')),
      );
      expect(Object.fromEntries(all.map((u) => [u.id, u.reportedStatus(ca)]))).toEqual({
        u1: 'metered',
        u2: 'metered',
        u3: 'metered',
        u4: 'pending',
        u5: 'pending',
      });
      expect(records.map((r) => r.usageAfterHour?.toISOString() ?? null)).toEqual([
        null,
        '2026-11-02T10:00:00.000Z',
      ]);
      expect(states[0]?.states).toEqual([
        {
          workspaceId: 'ws-1',
          itemCode: 'hosts',
          carry: '12345678901234567890',
          denominator: '100',
          peakDay: '2026-11-02',
          peak: 7,
        },
        {
          workspaceId: 'ws-1',
          itemCode: 'log-events',
          carry: '3',
          denominator: '10',
          peakDay: null,
          peak: 0,
        },
      ]);
      // new usage is numbered after everything carried over
      const fresh = mother.usage({ workspaceId: 'ws-1', payerCloudAccountId: 'ca-1', status: 'pending' });
      await p.uow.transaction((tx) => tx.usage.addMany([fresh]));
      const [stored] = await p.uow.read((tx) => tx.usage.findByKeys([fresh.idempotencyKey]));
      expect(stored?.seq).toBeGreaterThan(Math.max(...all.map((u) => u.seq ?? 0)));
      expect((await p.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');

      // Down again: the old shape, with each row's old status and metered hour; then up once more.
      await p.orm.getMigrator().down({ to: 'Migration20261127180000_workspace_previous_method' });
      const old = (await sql(
        `select id, status, to_char(metered_hour at time zone 'UTC', 'HH24') as h from usage_record order by id`,
      )) as Array<{ id: string; status: string; h: string | null }>;
      expect(Object.fromEntries(old.map((r) => [r.id, [r.status, r.h]]))).toMatchObject({
        u1: ['metered', '10'],
        u2: ['metered', '11'],
        u3: ['metered', '11'],
        u4: ['pending', null],
        u5: ['pending', null],
      });
      const restored = (await sql(`select id, carry, peak_day from rating_state order by id`)) as Array<{
        id: string;
        carry: string;
        peak_day: string | null;
      }>;
      expect(restored.map((r) => [r.id, r.carry, r.peak_day])).toEqual([
        ['ca-1|ws-1|hosts', '12345678901234567890', '2026-11-02'],
        ['ca-1|ws-1|log-events', '3', null],
      ]);
      expect((await p.migrate()).length).toBeGreaterThanOrEqual(1);
      expect((await p.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
    } finally {
      await p.close();
    }
  });
});

describe('concurrent writers', () => {
  it('a seal of an account waits for usage being stored for it (getManyForUsage, then getManyForMetering)', async () => {
    const c = coreOn(db);
    const { cloudAccount } = await c.activatedCustomer();
    const order: string[] = [];
    const released = signal();
    const held = signal();
    const storing = db.uow.transaction(async (tx) => {
      await tx.cloudAccounts.getManyForUsage([cloudAccount.id]);
      held.fire();
      await released.fired;
      order.push('usage stored');
    });
    await held.fired;
    const sealing = db.uow.transaction(async (tx) => {
      await tx.cloudAccounts.getManyForMetering([cloudAccount.id]);
      order.push('seal holds the account');
    });
    await new Promise((r) => setTimeout(r, 150));
    order.push('released');
    released.fire();
    await Promise.all([storing, sealing]);
    expect(order).toEqual(['released', 'usage stored', 'seal holds the account']);
  });

  it('says its transactions overlap (the server works while we wait): the planner runs 3 batches at once', () => {
    expect(db.uow.overlapsTransactions).toBe(true);
  });

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
      const inserted = signal();
      const ended = signal();
      const first = db.uow.transaction(async (tx) => {
        await tx.marketplaceEvents.addUnlessStored([shared]);
        inserted.fire();
        await ended.fired;
        if (ending === 'rolls back') throw new Error('rolled back on purpose');
      });
      await inserted.fired;
      let settled = false;
      const second = db.uow
        .transaction((tx) => tx.marketplaceEvents.addUnlessStored([other, mine]))
        .finally(() => {
          settled = true;
        });
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false); // waiting on the first transaction's row, not failing
      ended.fire();
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

describe('prepared statements', () => {
  it('keep working when a migration adds a column while the process runs', async () => {
    const c = coreOn(db);
    const { workspace } = await c.activatedCustomer();
    const owner = workspace.ownerAccountId;
    // on every pooled connection: the keyset page read and the read by id, prepared there
    const readAll = () =>
      Promise.all(
        Array.from({ length: CLAIMERS * 2 }, (_, i) =>
          db.uow.read(async (tx) =>
            i % 2
              ? (await tx.workspaces.list({ ownerAccountId: owner }, { limit: 10, cursor: '0' })).items
              : [await tx.workspaces.get(workspace.id)],
          ),
        ),
      );
    for (let round = 0; round < 3; round += 1) await readAll();
    const conn = db.orm.em.getConnection();
    await conn.execute('alter table "workspace" add column "added_later" text');
    try {
      const after = await readAll();
      expect(after.flat().map((w) => w?.id)).toEqual(Array(CLAIMERS * 2).fill(workspace.id));
    } finally {
      await conn.execute('alter table "workspace" drop column "added_later"');
    }
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
        seq: null,
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
