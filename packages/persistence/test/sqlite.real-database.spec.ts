import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudAccount, ConflictError } from '@billing-center/core';
import { mother } from '@billing-center/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPersistence, parseDatabaseSetting } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'billing-center-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const account = (id: string) => mother.account({ id });

describe('the database setting', () => {
  it('selects PostgreSQL by URL, SQLite by path or :memory:, and a default file when empty', () => {
    expect(parseDatabaseSetting('postgres://u@db:5432/billing')).toMatchObject({
      kind: 'postgresql',
      dbName: 'billing',
      display: 'postgres://u@db:5432/billing',
    });
    expect(parseDatabaseSetting('postgresql://u:secret@db/billing').display).not.toContain('secret');
    expect(parseDatabaseSetting(':memory:')).toMatchObject({ kind: 'sqlite', path: ':memory:' });
    expect(parseDatabaseSetting('/var/lib/bc.sqlite')).toMatchObject({
      kind: 'sqlite',
      path: '/var/lib/bc.sqlite',
    });
    expect(parseDatabaseSetting('')).toMatchObject({ kind: 'sqlite', path: 'data/billing-center.sqlite' });
  });

  it('refuses other URLs and a PostgreSQL URL without a database, naming the setting', () => {
    expect(() => parseDatabaseSetting('mysql://db/x', 'DATABASE_URL')).toThrow(
      /Configuration "DATABASE_URL"/,
    );
    expect(() => parseDatabaseSetting('postgres://db', 'DATABASE_URL')).toThrow(
      expect.objectContaining({ code: 'invalid-configuration', details: { setting: 'DATABASE_URL' } }),
    );
  });
});

describe('embedded SQLite file', () => {
  it('creates the schema on first start and keeps the data across restarts', async () => {
    const file = join(dir, 'nested', 'billing.sqlite');
    const first = await createPersistence({ database: file });
    const kept = account('kept');
    await first.uow.transaction((tx) => tx.accounts.add(kept));
    await first.close();
    const second = await createPersistence({ database: file });
    try {
      expect(await second.uow.transaction((tx) => tx.accounts.get('kept'))).toMatchObject({
        id: 'kept',
        username: kept.username,
        email: kept.email,
      });
      expect(await second.migrate()).toEqual([]); // up to date: a no-op
    } finally {
      await second.close();
    }
  });

  it('opens a file so that several processes can share it: WAL, and writers wait for each other', async () => {
    // The API, the webhook and the worker share the default file. (Checked on the connection's settings: a
    // two-process lock test was timing-dependent on a loaded CI machine.)
    const p = await createPersistence({ database: join(dir, 'shared.sqlite') });
    try {
      const connection = p.orm.em.getConnection();
      const [mode] = (await connection.execute('pragma journal_mode')) as Array<{ journal_mode: string }>;
      const [busy] = (await connection.execute('pragma busy_timeout')) as Array<Record<string, number>>;
      expect(mode?.journal_mode).toBe('wal');
      expect(Object.values(busy ?? {})[0]).toBe(10_000);
      // the driver blocks this thread: batch use cases run their transactions one at a time here
      expect(p.uow.overlapsTransactions).toBe(false);
    } finally {
      await p.close();
    }
  });

  it('runs a unit of work again when another process held the file (SQLITE_BUSY), and only then', async () => {
    const p = await createPersistence({ database: join(dir, 'busy.sqlite') });
    try {
      const busy = () => Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' });
      let runs = 0;
      await p.uow.transaction(async (tx) => {
        runs += 1;
        await tx.accounts.add(account(`busy-${runs}`));
        // busy once the transaction began, as a write on a stale snapshot fails (no unit of work meets that
        // since it takes the lock at BEGIN: kept for anything that still does)
        if (runs < 3) throw busy();
      });
      expect(runs).toBe(3);
      // the failed attempts left nothing; the last one committed
      expect(await p.uow.transaction((tx) => tx.accounts.get('busy-1'))).toBeNull();
      expect((await p.uow.transaction((tx) => tx.accounts.get('busy-3')))?.id).toBe('busy-3');
      // other failures are not retried, and a lock that persists ends in the error
      let other = 0;
      await expect(
        p.uow.transaction(async () => {
          other += 1;
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(other).toBe(1);
      let always = 0;
      await expect(
        p.uow.transaction(async () => {
          always += 1;
          throw busy();
        }),
      ).rejects.toThrow(/database is locked/);
      expect(always).toBe(4);
    } finally {
      await p.close();
    }
  });

  it('a transaction failing half-way leaves nothing, and a duplicate key is a domain error', async () => {
    const p = await createPersistence({ database: join(dir, 'atomic.sqlite') });
    try {
      await p.uow.transaction((tx) => tx.accounts.add(account('first')));
      const attempt = p.uow.transaction(async (tx) => {
        await tx.accounts.add(account('second'));
        await tx.accounts.add(account('first'));
      });
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toMatchObject({ code: 'duplicate-key', details: { table: 'account' } });
      expect(await p.uow.transaction((tx) => tx.accounts.get('second'))).toBeNull();
    } finally {
      await p.close();
    }
  });

  it('writes only what changed, yet every change: nested JSON with dates, dates, and a bare version bump', async () => {
    const p = await createPersistence({ database: ':memory:' });
    try {
      const ca = CloudAccount.register({
        id: 'ca-1',
        ownerAccountId: 'acc-1',
        partition: 'aws',
        productCode: 'prod',
        customerAwsAccountId: '123456789012',
        licenseArn: 'arn:aws:license-manager::123456789012:license:l-1',
        now: new Date('2026-11-02T10:00:00Z'),
      });
      await p.uow.transaction((tx) => tx.cloudAccounts.add(ca));
      await p.uow.transaction(async (tx) => {
        const x = (await tx.cloudAccounts.get('ca-1'))!;
        x.entitlements.push({ dimension: 'd', value: 3, expiresAt: new Date('2027-01-01T00:00:00Z') });
        x.meteredThrough = new Date('2026-11-02T11:00:00Z');
        await tx.cloudAccounts.save(x);
        await tx.cloudAccounts.save(x); // nothing changed: still a version check and bump
      });
      const got = await p.uow.transaction((tx) => tx.cloudAccounts.get('ca-1'));
      expect(got?.entitlements).toEqual([
        { dimension: 'd', value: 3, expiresAt: new Date('2027-01-01T00:00:00Z') },
      ]);
      expect(got?.meteredThrough?.toISOString()).toBe('2026-11-02T11:00:00.000Z');
      expect(got?.version).toBe(3);
    } finally {
      await p.close();
    }
  });

  it('refuses to start on a path it cannot open, naming the setting', async () => {
    const notADirectory = join(dir, 'plain-file');
    writeFileSync(notADirectory, '');
    const err = await createPersistence({
      database: join(notADirectory, 'billing.sqlite'),
      setting: 'DATABASE',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'database-unavailable', details: { setting: 'DATABASE' } });
    expect((err as Error).message).toMatch(
      /configuration "DATABASE" names \(SQLite file .*plain-file.*: E[A-Z]+:/,
    );
  });
});

describe('a SQLite file made before the usage watermark (ADR 0009)', () => {
  it('opens: the new columns are added, stored usage is numbered and rating states move into books', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'billing-center-legacy-')), 'legacy.sqlite');
    const first = await createPersistence({ database: file });
    const sql = (q: string) => first.orm.em.getConnection().execute(q);
    // the shape of such a file: no watermark columns, usage without seq, states one row each
    await sql(`insert into cloud_account (id, owner_account_id, provider, partition, product_code, free_trial,
      state, state_changed_at, metering_from, entitlements, created_at, version, metered_usage_seq)
      values ('ca-1', 'acc-1', 'aws-marketplace', 'aws', 'prod', 0, 'active', 0, 0, '[]', 0, 1, 0)`);
    await sql('alter table cloud_account drop column metered_usage_seq');
    await sql(`insert into usage_record (id, idempotency_key, workspace_id, item_code, hour, quantity, received_at,
      payer_cloud_account_id, status, version) values ('u-1', 'k-1', 'ws-1', 'log-events', 0, 5, 0, 'ca-1', 'pending', 1)`);
    await sql(`create table rating_state (id text primary key, cloud_account_id text, workspace_id text,
      item_code text, carry text, denominator text, peak_day text, peak real, version integer)`);
    await sql(
      `insert into rating_state values ('ca-1|ws-1|hosts', 'ca-1', 'ws-1', 'hosts', '123', '10', '2026-11-02', 7, 1)`,
    );
    await first.close();

    const again = await createPersistence({ database: file });
    try {
      const [ca, pending, books] = await again.uow.read(async (tx) => {
        const c = await tx.cloudAccounts.get('ca-1');
        return [
          c,
          await tx.usage.listPendingForPayers([c!], null),
          await tx.ratingBooks.getMany(['ca-1']),
        ] as const;
      });
      expect(ca?.meteredUsageSeq).toBe(0);
      expect(pending.map((u) => [u.id, u.seq !== null && u.seq > 0])).toEqual([['u-1', true]]);
      expect(books[0]?.states).toEqual([
        {
          workspaceId: 'ws-1',
          itemCode: 'hosts',
          carry: '123',
          denominator: '10',
          peakDay: '2026-11-02',
          peak: 7,
        },
      ]);
    } finally {
      await again.close();
    }
  });
});
