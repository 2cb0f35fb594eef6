import { describe, expect, it } from 'vitest';
import type { MeteringRecord } from '../../src/domain/metering/metering-record.js';
import type { UnitOfWork } from '../../src/ports/unit-of-work.js';
import {
  METERING_BENCH_CATALOG,
  METERING_BENCH_NOW,
  seedMeteringBenchInMemory,
} from '../../src/testing/index.js';
import { createTestCore, HOUR } from '../support.js';

/** N cloud accounts of the benchmark's world (2 workspaces, 4 items, 3 dimensions), each due one hour. */
function world(accounts: number, opts: { overlaps?: boolean; wrap?: (uow: UnitOfWork) => UnitOfWork } = {}) {
  const core = createTestCore({ catalog: METERING_BENCH_CATALOG, now: METERING_BENCH_NOW });
  core.db.overlapsTransactions = opts.overlaps ?? false;
  if (opts.wrap) core.ctx.uow = opts.wrap(core.db); // the use cases read the context's unit of work per call
  seedMeteringBenchInMemory(core.db, accounts);
  return { core, db: core.db, ids: [...core.db.tables.cloudAccounts.rows.keys()] };
}

/** What was sealed, independent of ids and order: one line per record. */
const sealedLines = (rows: Iterable<MeteringRecord>) =>
  [...rows]
    .map(
      (r) =>
        `${r.cloudAccountId} ${r.dimension} ${r.hour.toISOString()} ${r.status} ${r.quantity} ${JSON.stringify(r.allocations)}`,
    )
    .sort();

/** Counts the transactions in flight at once (reads excluded). */
function inFlight() {
  const seen = { now: 0, max: 0, transactions: 0 };
  const wrap = (inner: UnitOfWork): UnitOfWork => ({
    overlapsTransactions: inner.overlapsTransactions,
    read: (work) => inner.read(work),
    transaction: async (work) => {
      seen.transactions += 1;
      seen.now += 1;
      seen.max = Math.max(seen.max, seen.now);
      try {
        return await inner.transaction(work);
      } finally {
        seen.now -= 1;
      }
    },
  });
  return { seen, wrap };
}

describe('the planner over many accounts (batches)', () => {
  it('seals every due account once, whatever the batch size and how many run at once', async () => {
    const one = world(60);
    const many = world(60);
    expect(await one.core.useCases.planMetering.execute()).toEqual({ accounts: 60, hours: 60, records: 180 });
    expect(await many.core.useCases.planMetering.execute({ batchSize: 7, concurrency: 3 })).toEqual({
      accounts: 60,
      hours: 60,
      records: 180,
    });
    const lines = sealedLines(many.db.tables.metering.rows.values());
    expect(lines).toHaveLength(180);
    expect(lines).toEqual(sealedLines(one.db.tables.metering.rows.values()));
    expect(lines.every((l) => l.includes(' sealed '))).toBe(true);
    expect(await many.core.useCases.planMetering.execute({ batchSize: 7, concurrency: 3 })).toEqual({
      accounts: 0,
      hours: 0,
      records: 0,
    });
  });

  it('catches up accounts behind by several hours, pass after pass, each hour once and in order', async () => {
    const w = world(20);
    w.core.clock.set(new Date(new Date(METERING_BENCH_NOW).getTime() + 2 * HOUR));
    expect(await w.core.useCases.planMetering.execute({ batchSize: 6, concurrency: 2 })).toEqual({
      accounts: 20,
      hours: 60,
      records: 180,
    });
    for (const id of w.ids) {
      const hours = [...w.db.tables.metering.rows.values()]
        .filter((r) => r.cloudAccountId === id && r.dimension === 'hosts')
        .map((r) => r.hour.toISOString())
        .sort();
      expect(hours).toEqual([
        '2026-11-02T10:00:00.000Z',
        '2026-11-02T11:00:00.000Z',
        '2026-11-02T12:00:00.000Z',
      ]);
      expect(w.db.tables.cloudAccounts.rows.get(id)?.meteredThrough?.toISOString()).toBe(
        '2026-11-02T12:00:00.000Z',
      );
    }
  });

  it('stops at the limit of accounts, with batches running at once; the next run does the rest', async () => {
    const w = world(50);
    expect(await w.core.useCases.planMetering.execute({ limit: 23, batchSize: 5, concurrency: 3 })).toEqual({
      accounts: 23,
      hours: 23,
      records: 69,
    });
    expect(await w.core.useCases.planMetering.execute({ batchSize: 5, concurrency: 3 })).toEqual({
      accounts: 27,
      hours: 27,
      records: 81,
    });
    expect(w.db.tables.metering.rows.size).toBe(150);
  });

  it('a batch that fails stops the run with its error; sealed batches stay whole and a rerun does the rest', async () => {
    const w = world(30);
    w.db.failOnWrite = 40; // in the second batch (5 accounts: 5 account, 15 record and 5 book writes each)
    await expect(w.core.useCases.planMetering.execute({ batchSize: 5, concurrency: 3 })).rejects.toThrow(
      'injected fault',
    );
    const sealedAccounts = w.ids.filter((id) => w.db.tables.cloudAccounts.rows.get(id)?.meteredThrough);
    // each account of a committed batch has its watermark moved and its 3 records; the others have neither
    expect(sealedAccounts.length % 5).toBe(0);
    expect(sealedAccounts.length).toBeLessThan(30);
    expect(w.db.tables.metering.rows.size).toBe(sealedAccounts.length * 3);
    expect(await w.core.useCases.planMetering.execute({ batchSize: 5, concurrency: 3 })).toMatchObject({
      accounts: 30 - sealedAccounts.length,
    });
    const solo = world(30);
    await solo.core.useCases.planMetering.execute();
    expect(sealedLines(w.db.tables.metering.rows.values())).toEqual(
      sealedLines(solo.db.tables.metering.rows.values()),
    );
  });

  it('two planners at once on the same accounts: each hour sealed once, nothing lost', async () => {
    const w = world(40);
    const [a, b] = await Promise.all([
      w.core.useCases.planMetering.execute({ batchSize: 8, concurrency: 2 }),
      w.core.useCases.planMetering.execute({ batchSize: 8, concurrency: 2 }),
    ]);
    expect(a.hours + b.hours).toBe(40);
    expect(a.records + b.records).toBe(120);
    const solo = world(40);
    await solo.core.useCases.planMetering.execute();
    expect(sealedLines(w.db.tables.metering.rows.values())).toEqual(
      sealedLines(solo.db.tables.metering.rows.values()),
    );
  });

  it('runs batches one at a time where transactions cannot overlap (in memory, SQLite), 3 where they can', async () => {
    // default batches of 400 accounts: 1,000 accounts are 3 batches
    const serial = inFlight();
    const s = world(1_000, { overlaps: false, wrap: serial.wrap });
    expect((await s.core.useCases.planMetering.execute()).records).toBe(3_000);
    expect(serial.seen).toMatchObject({ max: 1, transactions: 3 });

    const overlapping = inFlight();
    const o = world(1_000, { overlaps: true, wrap: overlapping.wrap });
    expect((await o.core.useCases.planMetering.execute()).records).toBe(3_000);
    expect(overlapping.seen).toMatchObject({ max: 3, transactions: 3 });
  });
});

describe('batch use cases refuse a count that is not a whole number', () => {
  it.each([
    ['batchSize', { batchSize: 0 }],
    ['batchSize', { batchSize: 2.5 }],
    ['concurrency', { concurrency: Number.NaN }],
    ['concurrency', { concurrency: 0 }],
    ['limit', { limit: -1 }],
  ])('the planner: %s in %o', async (field, input) => {
    const w = world(3);
    await expect(w.core.useCases.planMetering.execute(input)).rejects.toMatchObject({
      code: 'invalid-input',
      kind: 'validation',
      details: { field },
    });
    expect(w.db.tables.metering.rows.size).toBe(0); // nothing planned
  });

  it('the submitter, the outbox and the inbox sweep: limit', async () => {
    const { core } = world(1);
    const bad = { code: 'invalid-input', details: { field: 'limit' } };
    await expect(core.useCases.submitMetering.execute({ workerId: 'w', limit: 0 })).rejects.toMatchObject(
      bad,
    );
    await expect(core.useCases.dispatchOutbox.execute({ limit: Number.NaN })).rejects.toMatchObject(bad);
    await expect(core.useCases.processPendingMarketplaceEvents.execute({ limit: 1.5 })).rejects.toMatchObject(
      bad,
    );
  });
});
