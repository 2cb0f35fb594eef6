// GET /v1/workspaces is served from an in-process cache on PostgreSQL, invalidated through LISTEN/NOTIFY:
// these specs run two API "processes" on one database (bc_api_cache_test, re-created at the start of this
// file) and write through the other one, through raw SQL on another connection, and through the API itself.
// The manual clock never moves, so the time to live never ends an entry here: only notifications do.
import { createPersistence, type Persistence } from '@billing-center/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, type Customer, newCustomer, startTestApi, type TestApi } from './support/test-api.js';

const DATABASE = 'bc_api_cache_test';

/** Polls `condition` every 5 ms until it holds (or fails after `ms`). */
async function eventually(condition: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the workspace list cache on PostgreSQL', () => {
  let one: TestApi;
  let two: TestApi;
  /** a third connection to the database, for raw SQL */
  let raw: Persistence;
  let alice: Customer;
  let bob: Customer;

  const names = async (api: TestApi, who: Customer, query = '') => {
    const res = await api.app.inject(as(who, { method: 'GET', url: `/v1/workspaces${query}` }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    return (res.json() as { items: { name: string }[] }).items.map((w) => w.name);
  };
  const create = async (api: TestApi, who: Customer, name: string) => {
    const res = await api.app.inject(
      as(who, { method: 'POST', url: '/v1/workspaces', payload: { name, language: 'en', siteId: 'us1' } }),
    );
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string };
  };
  const sql = (q: string, params: unknown[] = []) => raw.orm.em.getConnection().execute(q, params);
  /** Renames behind the cache's back: the trigger is skipped (replica mode), so nobody is told. */
  const renameSilently = (id: string, name: string) =>
    raw.orm.em.transactional(async (em) => {
      await em
        .getConnection()
        .execute(`set local session_replication_role = replica`, [], 'run', em.getTransactionContext());
      await em
        .getConnection()
        .execute(
          `update "workspace" set "name" = ? where "id" = ?`,
          [name, id],
          'run',
          em.getTransactionContext(),
        );
    });
  const feedOf = (api: TestApi) => {
    const feed = api.runtime.workspaceChangeFeed();
    if (!feed) throw new Error('no change feed');
    return feed;
  };

  beforeAll(async () => {
    one = await startTestApi({ database: 'postgresql', databaseName: DATABASE });
    two = await startTestApi({ database: 'postgresql', databaseName: DATABASE });
    raw = await createPersistence({ database: one.runtime.config.database, migrate: false });
    alice = await newCustomer(one.app);
    bob = await newCustomer(one.app);
    await eventually(() => feedOf(one).live && feedOf(two).live);
  });
  afterAll(async () => {
    await raw?.close();
    await two?.close();
    await one?.close();
  });

  it('serves a repeated list from memory (a change nobody is told of stays invisible)', async () => {
    const w = await create(one, alice, 'Cached');
    // The create's own notification may arrive after the first read has kept the page (under load), and
    // evicts it: keep it again until a silent rename stays invisible.
    await eventually(async () => {
      await renameSilently(w.id, 'Cached');
      expect(await names(one, alice)).toEqual(['Cached']);
      await renameSilently(w.id, 'Silent');
      return (await names(one, alice))[0] === 'Cached'; // served from memory
    });
    expect(await names(two, alice)).toEqual(['Silent']); // the other process had nothing kept
    // a notified change evicts it
    await sql(`update "workspace" set "name" = 'Told' where "id" = ?`, [w.id]);
    await eventually(async () => (await names(one, alice))[0] === 'Told');
  });

  it('shows a change committed by another process within the time its notification takes', async () => {
    const before = await names(one, alice);
    expect(await names(one, alice)).toEqual(before); // kept
    await create(two, alice, 'From process two');
    await eventually(async () => (await names(one, alice)).includes('From process two'));

    // a lock by raw SQL on another connection, as a cascade would commit it
    await sql(
      `update "workspace" set "lock_reason" = 'operator', "locked_at" = now(),
      "lock_grace_ends_at" = now() + interval '14 days', "version" = "version" + 1
      where "owner_account_id" = ?`,
      [alice.accountId],
    );
    await eventually(async () => {
      const res = await one.app.inject(as(alice, { method: 'GET', url: '/v1/workspaces?locked=true' }));
      return (res.json() as { items: unknown[] }).items.length === before.length + 1;
    });
  });

  it('shows this process’s own writes at once, without waiting for the notification', async () => {
    for (let i = 0; i < 10; i += 1) {
      await names(one, bob); // kept
      await create(one, bob, `Own ${i}`);
      expect(await names(one, bob)).toContain(`Own ${i}`);
    }
  });

  it('never serves one account’s page to another, for the same query', async () => {
    const query = '?limit=50';
    const a = await names(one, alice, query);
    const b = await names(one, bob, query);
    expect(a.some((n) => n.startsWith('Own '))).toBe(false);
    expect(b.every((n) => n.startsWith('Own '))).toBe(true);
    expect(await names(one, alice, query)).toEqual(a);
    expect(await names(one, bob, query)).toEqual(b);
  });

  it('under concurrent reads and another process’s writes, settles on the last write and stays there', async () => {
    const w = await create(one, bob, 'Busy 0');
    const mine = async () => (await names(one, bob, '?limit=200')).filter((n) => n.startsWith('Busy'));
    let writing = true;
    const readers = Array.from({ length: 4 }, async () => {
      while (writing) await mine();
    });
    for (let i = 1; i <= 40; i += 1) {
      const res = await two.app.inject(
        as(bob, { method: 'GET', url: `/v1/workspaces/${w.id}` }), // a read in between, as clients do
      );
      expect(res.statusCode).toBe(200);
      await sql(`update "workspace" set "name" = ?, "version" = "version" + 1 where "id" = ?`, [
        `Busy ${i}`,
        w.id,
      ]);
    }
    writing = false;
    await Promise.all(readers);
    await eventually(async () => (await mine())[0] === 'Busy 40');
    // and it stays (the manual clock never expires an entry). A smoke test of the whole path under load: the
    // read/notification race itself is too narrow to hit here; the core's spec drives it with barriers.
    for (let i = 0; i < 20; i += 1) expect(await mine()).toEqual(['Busy 40']);
  });

  it('bypasses the cache while the listener is lost, and caches again once it listens', async () => {
    const feed = feedOf(one);
    const w = await create(one, alice, 'Outage');
    const mine = async () => (await names(one, alice, '?limit=200')).filter((n) => n.startsWith('Outage'));
    expect(await mine()).toEqual(['Outage']);
    let resets = 0;
    const stop = feed.subscribe({
      changed: () => undefined,
      reset: () => {
        resets += 1;
      },
    });
    await sql(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where application_name = 'billing-center-change-feed' and datname = current_database()`,
    );
    await eventually(() => resets >= 1); // it went down (it may be listening again already)
    stop();
    // whatever was kept is gone, and nothing is kept while down (when it listens again: reset once more)
    await renameSilently(w.id, 'Outage 2');
    expect(await mine()).toEqual(['Outage 2']);
    await renameSilently(w.id, 'Outage 3');
    expect(await mine()).toEqual(['Outage 3']);

    await eventually(() => feed.live);
    expect(await mine()).toEqual(['Outage 3']);
    await renameSilently(w.id, 'Outage 4');
    expect(await mine()).toEqual(['Outage 3']); // cached again
    await sql(`update "workspace" set "name" = 'Outage 5' where "id" = ?`, [w.id]);
    await eventually(async () => (await mine())[0] === 'Outage 5');
  });

  it('is off with LIST_CACHE_SECONDS=0: no listener, every request reads', async () => {
    const off = await startTestApi({
      database: 'postgresql',
      databaseName: DATABASE,
      env: { LIST_CACHE_SECONDS: '0' },
    });
    try {
      expect(off.runtime.workspaceChangeFeed()).toBeNull();
      const w = await create(off, alice, 'Uncached');
      const mine = async () =>
        (await names(off, alice, '?limit=200')).filter((n) => n.startsWith('Uncached'));
      expect(await mine()).toEqual(['Uncached']);
      await renameSilently(w.id, 'Uncached 2');
      expect(await mine()).toEqual(['Uncached 2']);
    } finally {
      await off.close();
    }
  });
});

describe('the workspace list on SQLite', () => {
  it('is never cached (no change notifications): a write behind the API is visible at once', async () => {
    const api = await startTestApi({ database: 'sqlite' });
    try {
      expect(api.runtime.workspaceChangeFeed()).toBeNull();
      const who = await newCustomer(api.app);
      const res = await api.app.inject(
        as(who, {
          method: 'POST',
          url: '/v1/workspaces',
          payload: { name: 'A', language: 'en', siteId: 'us1' },
        }),
      );
      const id = (res.json() as { id: string }).id;
      const list = async () =>
        (
          (await api.app.inject(as(who, { method: 'GET', url: '/v1/workspaces' }))).json() as {
            items: { name: string }[];
          }
        ).items.map((w) => w.name);
      expect(await list()).toEqual(['A']);
      await api.runtime.persistence.orm.em
        .getConnection()
        .execute(`update "workspace" set "name" = 'B' where "id" = ?`, [id]);
      expect(await list()).toEqual(['B']);
    } finally {
      await api.close();
    }
  });
});
