import type { WorkspaceChangeListener } from '@billing-center/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPersistence,
  type MikroOrmUnitOfWork,
  type Persistence,
  PgWorkspaceChangeFeed,
} from '../src/index.js';
import { openPostgres, postgresUrlFor } from './support/databases.js';

/** Polls `condition` every 5 ms until it holds (or fails the test after `ms`). */
async function eventually(condition: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function recorder(): WorkspaceChangeListener & { changes: string[]; resets: number } {
  return {
    changes: [],
    resets: 0,
    changed(accountId) {
      this.changes.push(accountId);
    },
    reset() {
      this.resets += 1;
    },
  };
}

const sql = (p: Persistence, q: string, params: unknown[] = []) =>
  p.orm.em.getConnection().execute(q, params);

let n = 0;
function insertWorkspace(owner: string) {
  n += 1;
  return `insert into "workspace" ("id", "name", "language", "site_id", "owner_account_id",
    "billing_method", "billing_method_effective_from", "created_at", "version")
    values ('ws-${n}', 'W${n}', 'en', 'us1', '${owner}', 'billing-center', now(), now(), 1)`;
}

describe('the workspace change feed (LISTEN/NOTIFY on PostgreSQL)', () => {
  let p: Persistence;
  /** another process's persistence on the same database */
  let other: Persistence;

  beforeAll(async () => {
    p = await openPostgres('changefeed');
    other = await createPersistence({ database: postgresUrlFor('changefeed') });
  });
  afterAll(async () => {
    await other?.close();
    await p?.close();
  });

  it('reports the owner of every workspace another connection inserts, updates or deletes, at commit only', async () => {
    const feed = p.openWorkspaceChangeFeed();
    const seen = recorder();
    feed?.subscribe(seen);
    try {
      await eventually(() => feed?.live === true);
      await sql(other, insertWorkspace('acc-1'));
      await eventually(() => seen.changes.includes('acc-1'));

      // not committed: nothing
      const raw = new pg.Client({ connectionString: postgresUrlFor('changefeed') });
      await raw.connect();
      try {
        await raw.query('begin');
        await raw.query(`update "workspace" set "name" = 'x' where "owner_account_id" = 'acc-1'`);
        await raw.query('rollback');
      } finally {
        await raw.end();
      }
      await sql(other, insertWorkspace('acc-2')); // a later commit, as a marker
      await eventually(() => seen.changes.includes('acc-2'));
      expect(seen.changes).toEqual(['acc-1', 'acc-2']);

      await sql(other, `update "workspace" set "name" = 'renamed' where "owner_account_id" = 'acc-1'`);
      await sql(other, `delete from "workspace" where "owner_account_id" = 'acc-2'`);
      await eventually(() => seen.changes.length === 4);
      expect(seen.changes).toEqual(['acc-1', 'acc-2', 'acc-1', 'acc-2']);
      await sql(other, 'truncate "workspace"');
      await eventually(() => seen.resets >= 2); // one when it started listening, one for the truncate
    } finally {
      await feed?.close();
    }
  });

  it('sends one notification for a transaction that changes many workspaces of one account', async () => {
    const feed = p.openWorkspaceChangeFeed();
    const seen = recorder();
    feed?.subscribe(seen);
    try {
      await eventually(() => feed?.live === true);
      for (let i = 0; i < 300; i += 1) await sql(other, insertWorkspace('acc-bulk'));
      await eventually(() => seen.changes.length === 300);
      seen.changes.length = 0;
      // the lock cascade's shape: one statement over every workspace of the account, one commit
      await sql(
        other,
        `update "workspace" set "lock_reason" = 'operator', "locked_at" = now(), "lock_grace_ends_at" = now(),
         "version" = "version" + 1 where "owner_account_id" = 'acc-bulk'`,
      );
      await sql(other, insertWorkspace('acc-marker'));
      await eventually(() => seen.changes.includes('acc-marker'));
      expect(seen.changes).toEqual(['acc-bulk', 'acc-marker']);
    } finally {
      await feed?.close();
    }
  });

  it('reports this process’s own writes synchronously, before the unit of work returns', async () => {
    const feed = p.openWorkspaceChangeFeed();
    const seen = recorder();
    feed?.subscribe(seen);
    try {
      await eventually(() => feed?.live === true);
      await sql(other, insertWorkspace('acc-local'));
      await eventually(() => seen.changes.includes('acc-local'));
      const id = `ws-${n}`;
      seen.changes.length = 0;
      await p.uow.transaction(async (tx) => {
        const mine = await tx.workspaces.get(id);
        if (!mine) throw new Error('gone');
        mine.rename('Local write');
        await tx.workspaces.save(mine);
      });
      expect(seen.changes).toContain('acc-local');
      // the same commit's notification comes as well (harmless: a second eviction)
      await eventually(() => seen.changes.length === 2);
      expect(seen.changes).toEqual(['acc-local', 'acc-local']);
    } finally {
      await feed?.close();
    }
  });

  it('has the unit of work report whose workspaces each unit wrote as it ends, committed or not', async () => {
    const reports: string[][] = [];
    const stop = (p.uow as MikroOrmUnitOfWork).onWorkspaceWrites((ids) => reports.push([...ids]));
    try {
      await sql(other, insertWorkspace('acc-uow'));
      const id = `ws-${n}`;
      const rename = (name: string, fail: boolean) =>
        p.uow.transaction(async (tx) => {
          const w = await tx.workspaces.get(id);
          if (!w) throw new Error('gone');
          w.rename(name);
          await tx.workspaces.save(w);
          if (fail) throw new Error('rolled back');
        });
      await rename('Committed', false);
      expect(reports).toEqual([['acc-uow']]); // before the use case goes on: no notification involved
      await expect(rename('Rolled back', true)).rejects.toThrow('rolled back');
      expect(reports).toEqual([['acc-uow'], ['acc-uow']]); // harmless, and safe if COMMIT's fate is unknown
      await p.uow.read((tx) => tx.workspaces.get(id));
      await p.uow.transaction((tx) => tx.accounts.get('nobody'));
      expect(reports).toHaveLength(2); // units that wrote no workspace report nothing
    } finally {
      stop();
    }
  });

  it('goes down (and resets) when the listening connection is lost, and listens again after a backoff', async () => {
    const events: string[] = [];
    const feed = p.openWorkspaceChangeFeed({
      reconnectMinMs: 300,
      onEvent: (e) => events.push(e.type),
    });
    const seen = recorder();
    feed?.subscribe(seen);
    try {
      await eventually(() => feed?.live === true);
      const resetsWhenListening = seen.resets;
      // the server ends the listener's session, as a restart or a network fault would
      await sql(
        other,
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'billing-center-change-feed' and datname = current_database()`,
      );
      await eventually(() => feed?.live === false);
      expect(seen.resets).toBe(resetsWhenListening + 1);
      // a change committed while nobody listens is lost: the feed stays down until it listens again,
      // and then resets its subscribers (whatever they kept may have missed it)
      await sql(other, insertWorkspace('acc-missed'));
      await eventually(() => feed?.live === true);
      expect(seen.resets).toBe(resetsWhenListening + 2);
      expect(events).toEqual(['listening', 'lost', 'listening']);
      await sql(other, insertWorkspace('acc-after'));
      await eventually(() => seen.changes.includes('acc-after'));
    } finally {
      await feed?.close();
    }
    expect(feed?.live).toBe(false);
  });

  it('is not live while it cannot connect, and keeps trying', async () => {
    const events: string[] = [];
    const feed = new PgWorkspaceChangeFeed({
      url: 'postgres://postgres@127.0.0.1:1/nowhere', // a closed port
      reconnectMinMs: 20,
      reconnectMaxMs: 40,
      onEvent: (e) => events.push(e.type),
    }).start();
    try {
      await eventually(() => events.length >= 3);
      expect(new Set(events)).toEqual(new Set(['lost']));
      expect(feed.live).toBe(false);
    } finally {
      await feed.close();
    }
  });

  it('is not offered on SQLite', async () => {
    const lite = await createPersistence({ database: ':memory:' });
    try {
      expect(lite.openWorkspaceChangeFeed()).toBeNull();
    } finally {
      await lite.close();
    }
  });
});
