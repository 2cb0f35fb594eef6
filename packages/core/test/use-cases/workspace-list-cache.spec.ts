import { describe, expect, it } from 'vitest';
import type { Page, TransactionContext, UnitOfWork, Workspace } from '../../src/index.js';
import { CachedWorkspaceList } from '../../src/index.js';
import { ManualWorkspaceChangeFeed } from '../../src/testing/index.js';
import { activatedCustomer, createTestCore, customer, operator } from '../support.js';

/** The names on a page, as the "rendered" value the cache keeps. */
const names = (page: Page<Workspace>) => page.items.map((w) => w.name);

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The core's unit of work, counting reads, and able to hold the next read after its query ran. */
function instrumented(inner: UnitOfWork) {
  const state = {
    reads: 0,
    hold: null as null | { queried: ReturnType<typeof deferred>; release: ReturnType<typeof deferred> },
  };
  const uow: UnitOfWork = {
    overlapsTransactions: inner.overlapsTransactions,
    transaction: (work) => inner.transaction(work),
    async read<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
      state.reads += 1;
      const hold = state.hold;
      state.hold = null;
      const result = await inner.read(work);
      if (hold) {
        hold.queried.resolve();
        await hold.release.promise;
      }
      return result;
    },
  };
  return {
    uow,
    state,
    /** The next read stops after its query: `queried` resolves then, `release()` lets it return. */
    holdNextRead() {
      const h = { queried: deferred(), release: deferred() };
      state.hold = h;
      return { queried: h.queried.promise, release: () => h.release.resolve() };
    },
  };
}

async function world(
  o: { ttlMs?: number; maxEntries?: number; feed?: ManualWorkspaceChangeFeed | null } = {},
) {
  const core = createTestCore();
  const a = await activatedCustomer(core);
  const b = await activatedCustomer(core);
  const counting = instrumented(core.ctx.uow);
  core.ctx.uow = counting.uow;
  const feed = o.feed === undefined ? new ManualWorkspaceChangeFeed() : o.feed;
  const list = new CachedWorkspaceList<string[]>(core.useCases.workspaces, core.clock, feed, {
    ttlMs: o.ttlMs ?? 5_000,
    maxEntries: o.maxEntries ?? 100,
  });
  const addWorkspace = (accountId: string, name: string) =>
    core.useCases.createWorkspace.execute({
      ownerAccountId: accountId,
      name,
      language: 'en',
      siteId: 'us1',
      by: customer(accountId),
    });
  return { core, a: a.account.id, b: b.account.id, counting, feed, list, addWorkspace };
}

describe('the workspace-list cache', () => {
  it('serves a repeated query from memory until the feed reports a change to that account', async () => {
    const w = await world();
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production']);
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production']);
    expect(w.counting.state.reads).toBe(1);

    // committed by "another process": invisible until reported, then read again
    await w.addWorkspace(w.a, 'Second');
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production']);
    w.feed?.changed(w.a);
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production', 'Second']);
    expect(w.counting.state.reads).toBe(2);
  });

  it('keeps accounts apart: one account’s page is never another’s, and a change evicts only its account', async () => {
    const w = await world();
    const asA = await w.list.list({ by: customer(w.a) }, (p) => p.items.map((x) => x.ownerAccountId));
    const asB = await w.list.list({ by: customer(w.b) }, (p) => p.items.map((x) => x.ownerAccountId));
    expect(asA).toEqual([w.a]);
    expect(asB).toEqual([w.b]);
    // a customer naming another owner still gets (and hits) its own entry
    expect(
      await w.list.list({ by: customer(w.b), ownerAccountId: w.a }, (p) =>
        p.items.map((x) => x.ownerAccountId),
      ),
    ).toEqual([w.b]);
    expect(w.counting.state.reads).toBe(2);

    w.feed?.changed(w.a);
    await w.list.list({ by: customer(w.b) }, names);
    expect(w.counting.state.reads).toBe(2); // b still cached
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(3);
  });

  it('keys on every filter and the page: limit, cursor, locked, dissolved, cloud account', async () => {
    const w = await world();
    await w.addWorkspace(w.a, 'Second');
    const by = customer(w.a);
    const queries = [
      {},
      { limit: 1 },
      { limit: 1, cursor: (await w.core.useCases.workspaces.list({ by, limit: 1 })).nextCursor },
      { locked: true },
      { locked: false },
      { includeDissolved: true },
      { cloudAccountId: 'ca-none' },
    ];
    const reads = w.counting.state.reads;
    const first = [];
    for (const q of queries) first.push(await w.list.list({ by, ...q }, names));
    expect(w.counting.state.reads - reads).toBe(queries.length);
    expect(first).toEqual([
      ['Production', 'Second'],
      ['Production'],
      ['Second'],
      [],
      ['Production', 'Second'],
      ['Production', 'Second'],
      [],
    ]);
    // the same queries again, with their defaults spelled out: all hits, each its own answer
    const again = [];
    for (const q of queries) again.push(await w.list.list({ by, ...q }, names));
    expect(again).toEqual(first);
    await w.list.list({ by, limit: 50, includeDissolved: false, cursor: null }, names);
    expect(w.counting.state.reads - reads).toBe(queries.length);
  });

  it('never stores a page read before a change whose report arrived while it was in flight', async () => {
    const w = await world();
    const held = w.counting.holdNextRead();
    const stale = w.list.list({ by: customer(w.a) }, names);
    await held.queried; // the read has its (old) rows
    await w.addWorkspace(w.a, 'Second'); // committed elsewhere…
    w.feed?.changed(w.a); // …and reported, before the read finishes
    held.release();
    expect(await stale).toEqual(['Production']); // that request saw the past: fine
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production', 'Second']);
    expect(w.counting.state.reads).toBe(2);
  });

  it('does store a page whose read saw no change reported meanwhile (the guard above is not vacuous)', async () => {
    const w = await world();
    const held = w.counting.holdNextRead();
    const page = w.list.list({ by: customer(w.a) }, names);
    await held.queried;
    w.feed?.changed(w.b); // another account's change does not matter
    held.release();
    await page;
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(1);
  });

  it('never replaces a page by an older one: a read that began earlier cannot overwrite a later one', async () => {
    const w = await world();
    const held = w.counting.holdNextRead();
    const earlier = w.list.list({ by: customer(w.a) }, names);
    await held.queried; // has the old rows
    await w.addWorkspace(w.a, 'Second'); // committed, its report not arrived yet
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production', 'Second']); // stored
    held.release();
    expect(await earlier).toEqual(['Production']);
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production', 'Second']);
    expect(w.counting.state.reads).toBe(2);
  });

  it('neither serves nor stores while the feed is down, and forgets what a read in flight saw when it goes down', async () => {
    const w = await world();
    await w.list.list({ by: customer(w.a) }, names);
    const held = w.counting.holdNextRead();
    const inFlight = w.list.list({ by: customer(w.b) }, names);
    await held.queried;
    w.feed?.down();
    held.release();
    await inFlight;
    await w.addWorkspace(w.a, 'Second'); // unreported: the feed is down
    expect(await w.list.list({ by: customer(w.a) }, names)).toEqual(['Production', 'Second']);
    await w.list.list({ by: customer(w.a) }, names);
    await w.list.list({ by: customer(w.b) }, names);
    expect(w.counting.state.reads).toBe(5); // every call read
    expect(w.list.cache?.size).toBe(0);

    w.feed?.up();
    await w.list.list({ by: customer(w.a) }, names);
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(6);
  });

  it('forgets a read in flight across a reset (the feed came back: changes may have been missed)', async () => {
    const w = await world();
    const held = w.counting.holdNextRead();
    const inFlight = w.list.list({ by: customer(w.a) }, names);
    await held.queried;
    w.feed?.reset();
    held.release();
    await inFlight;
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(2);
  });

  it('expires entries after the time to live, and keeps at most maxEntries (least recently used out)', async () => {
    const w = await world({ ttlMs: 5_000, maxEntries: 2 });
    await w.list.list({ by: customer(w.a) }, names);
    w.core.clock.advance(4_999);
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(1);
    w.core.clock.advance(1);
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(2);

    await w.list.list({ by: customer(w.b) }, names); // 2 entries: a, b
    await w.list.list({ by: customer(w.a) }, names); // a used: b is the oldest
    await w.list.list({ by: customer(w.a), limit: 1 }, names); // a third: b goes
    expect(w.list.cache?.size).toBe(2);
    const reads = w.counting.state.reads;
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(reads);
    await w.list.list({ by: customer(w.b) }, names);
    expect(w.counting.state.reads).toBe(reads + 1);
  });

  it('caches nothing without a feed (SQLite), with a zero time to live, or across all accounts', async () => {
    for (const o of [{ feed: null }, { ttlMs: 0 }]) {
      const w = await world(o);
      await w.list.list({ by: customer(w.a) }, names);
      await w.list.list({ by: customer(w.a) }, names);
      expect(w.counting.state.reads).toBe(2);
      expect(w.list.cache).toBeNull();
    }
    const w = await world();
    expect(await w.list.list({ by: operator }, names)).toHaveLength(2);
    await w.list.list({ by: operator }, names);
    expect(w.counting.state.reads).toBe(2);
    // an operator naming the owner reads that account's list, kept under it
    await w.list.list({ by: operator, ownerAccountId: w.a }, names);
    await w.list.list({ by: customer(w.a) }, names);
    expect(w.counting.state.reads).toBe(3);
  });

  it('validates as the query does: a refused input throws and stores nothing', async () => {
    const w = await world();
    await expect(w.list.list({ by: customer(w.a), limit: 0 }, names)).rejects.toMatchObject({
      code: 'invalid-input',
    });
    await expect(w.list.list({ by: { type: 'aws' } as never }, names)).rejects.toMatchObject({
      code: 'not-allowed',
    });
    expect(w.list.cache?.size).toBe(0);
    expect(w.counting.state.reads).toBe(0);
  });

  it('stops listening when closed', async () => {
    const feed = new ManualWorkspaceChangeFeed();
    const w = await world({ feed });
    expect(feed.subscribers).toBe(1);
    w.list.close();
    expect(feed.subscribers).toBe(0);
  });
});
