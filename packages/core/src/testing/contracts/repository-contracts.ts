import {
  Credential,
  type CredentialKind,
  hashSecret,
  type ServiceKeyScope,
} from '../../domain/access/credential.js';
import type { PendingUsage, TransactionContext } from '../../ports/repositories.js';
import type { UnitOfWork } from '../../ports/unit-of-work.js';
import { mother } from '../mothers.js';

/*
 * The contract every persistence adapter keeps, written once and run against the in-memory adapter here
 * and against SQLite and PostgreSQL by packages/persistence. The test functions are passed in, so the core
 * does not depend on a test framework.
 */

// biome-ignore lint/suspicious/noExplicitAny: the harness is whatever test framework the caller uses
type Expect = ((value: unknown) => any) & { any: (type: unknown) => any };
export interface ContractHarness {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>) => void;
  expect: Expect;
  beforeEach: (fn: () => Promise<void> | void) => void;
}

/** A fresh, empty database per test. */
export type UnitOfWorkFactory = () => Promise<UnitOfWork>;

const H = 3_600_000;
const T0 = new Date('2026-11-02T10:00:00Z');
const at = (hours: number) => new Date(T0.getTime() + hours * H);

export function defineRepositoryContracts(h: ContractHarness, factory: UnitOfWorkFactory): void {
  const { describe, it, expect, beforeEach } = h;
  let uow: UnitOfWork;
  const tx = <T>(work: (t: TransactionContext) => Promise<T>) => uow.transaction(work);
  beforeEach(async () => {
    uow = await factory();
  });

  const seedAccount = async () => {
    const a = mother.account();
    await tx((t) => t.accounts.add(a));
    return a;
  };

  describe('UnitOfWork', () => {
    it('reads committed data without a transaction, and refuses a write there', async () => {
      const a = await seedAccount();
      expect((await uow.read((t) => t.accounts.get(a.id)))?.id).toBe(a.id);
      await expect(uow.read((t) => t.accounts.add(mother.account()))).rejects.toThrow(/UnitOfWork\.read/);
      const b = mother.account();
      await expect(
        uow.read(async (t) => {
          const found = await t.accounts.get(a.id);
          found!.company = 'Changed in a read';
          await t.accounts.save(found!);
        }),
      ).rejects.toThrow(/UnitOfWork\.read/);
      expect((await tx((t) => t.accounts.get(a.id)))?.company).toBe(a.company);
      expect(await tx((t) => t.accounts.get(b.id))).toBeNull();
    });

    it('commits everything written in a transaction together', async () => {
      const a = mother.account();
      const w = mother.workspace({ ownerAccountId: a.id });
      await tx(async (t) => {
        await t.accounts.add(a);
        await t.workspaces.add(w);
      });
      expect(await tx((t) => t.workspaces.get(w.id))).toMatchObject({ id: w.id, name: w.name });
    });

    it('rolls back every write when the work throws', async () => {
      const a = mother.account();
      await expect(
        tx(async (t) => {
          await t.accounts.add(a);
          await t.workspaces.add(mother.workspace({ ownerAccountId: a.id }));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await tx((t) => t.accounts.get(a.id))).toBeNull();
    });

    it('fails the whole transaction when a write failed, even if the work caught the error', async () => {
      const a = mother.account();
      const dup = await seedAccount();
      const attempt = tx(async (t) => {
        await t.accounts.add(a);
        await t.accounts.add(mother.account({ username: dup.username })).catch(() => undefined);
        return 'carried on';
      });
      await expect(attempt).rejects.toMatchObject({ code: 'duplicate-key' });
      expect(await tx((t) => t.accounts.get(a.id))).toBeNull();
    });

    it('after a save, reads in the same transaction return the saved object', async () => {
      const a = await seedAccount();
      const outside = await tx((t) => t.accounts.get(a.id));
      if (!outside) throw new Error('missing');
      outside.company = 'Saved Ltd';
      await tx(async (t) => {
        await t.accounts.get(a.id); // the transaction's own copy, loaded first
        await t.accounts.save(outside);
        const again = await t.accounts.get(a.id);
        expect(again?.company).toBe('Saved Ltd');
        expect(again?.version).toBe(outside.version);
      });
    });

    it('returns entities with their behaviour and exact field values', async () => {
      const a = await seedAccount();
      const w = mother.workspace({
        ownerAccountId: a.id,
        lockReason: 'arrears',
        lockedAt: at(1),
        lockGraceEndsAt: at(2),
      });
      await tx((t) => t.workspaces.add(w));
      const got = await tx((t) => t.workspaces.get(w.id));
      expect(got?.isLocked).toBe(true);
      expect(got?.lockedAt?.toISOString()).toBe(at(1).toISOString());
      expect(got?.fullyLockedAt).toBeNull();
      expect(got?.method).toEqual({ kind: 'billing-center' });
    });

    it('rejects a stale update with a concurrent-update conflict (optimistic locking)', async () => {
      const a = await seedAccount();
      const first = await tx((t) => t.accounts.get(a.id));
      const second = await tx((t) => t.accounts.get(a.id));
      if (!first || !second) throw new Error('missing');
      first.company = 'First Ltd';
      await tx((t) => t.accounts.save(first));
      second.company = 'Second Ltd';
      await expect(tx((t) => t.accounts.save(second))).rejects.toMatchObject({ code: 'concurrent-update' });
      expect((await tx((t) => t.accounts.get(a.id)))?.company).toBe('First Ltd');
    });

    it('bumps the version on save so the saved entity can be saved again', async () => {
      const a = await seedAccount();
      await tx(async (t) => {
        const x = await t.accounts.get(a.id);
        if (!x) throw new Error('missing');
        x.company = 'One';
        await t.accounts.save(x);
        x.company = 'Two';
        await t.accounts.save(x);
      });
      const got = await tx((t) => t.accounts.get(a.id));
      expect(got?.company).toBe('Two');
      expect(got?.version).toBe(a.version + 2);
    });
  });

  describe('AccountRepository', () => {
    it('finds by username and email, case-insensitively', async () => {
      const a = await seedAccount();
      expect((await tx((t) => t.accounts.findByUsername(a.username.toUpperCase())))?.id).toBe(a.id);
      expect((await tx((t) => t.accounts.findByEmail(a.email.toUpperCase())))?.id).toBe(a.id);
      expect(await tx((t) => t.accounts.findByUsername('nobody'))).toBeNull();
      expect(await tx((t) => t.accounts.get('unknown'))).toBeNull();
    });

    it('refuses a second account with the same username', async () => {
      const a = await seedAccount();
      const b = mother.account({ username: a.username });
      await expect(tx((t) => t.accounts.add(b))).rejects.toMatchObject({ code: 'duplicate-key' });
    });
  });

  describe('WorkspaceRepository', () => {
    it('saves many at once with optimistic locking, all or nothing', async () => {
      const a = await seedAccount();
      const list = [0, 1, 2].map(() => mother.workspace({ ownerAccountId: a.id }));
      await tx(async (t) => {
        for (const w of list) await t.workspaces.add(w);
      });
      const loaded = await tx((t) => t.workspaces.getMany(list.map((w) => w.id)));
      const stale = await tx((t) => t.workspaces.getMany(list.map((w) => w.id)));
      for (const w of loaded) w.name = `renamed ${w.id}`;
      await tx((t) => t.workspaces.saveMany(loaded));
      expect(
        (await tx((t) => t.workspaces.getMany(list.map((w) => w.id)))).map((w) => [w.name, w.version]),
      ).toEqual(list.map((w) => [`renamed ${w.id}`, 2]));
      stale[0]!.name = 'lost update';
      stale[1]!.name = 'lost update';
      await expect(tx((t) => t.workspaces.saveMany(stale.slice(0, 2)))).rejects.toMatchObject({
        code: 'concurrent-update',
      });
      expect((await tx((t) => t.workspaces.get(list[1]!.id)))?.name).toBe(`renamed ${list[1]!.id}`);
    });

    it('lists by owner with filters and cursor pagination in id order', async () => {
      const a = await seedAccount();
      const b = await seedAccount();
      const mine = [0, 1, 2, 3, 4].map(() => mother.workspace({ ownerAccountId: a.id }));
      mine[4]!.dissolvedAt = at(1);
      mine[3]!.lockReason = 'arrears';
      mine[3]!.lockedAt = at(1);
      mine[3]!.lockGraceEndsAt = at(2);
      await tx(async (t) => {
        for (const w of [...mine, mother.workspace({ ownerAccountId: b.id })]) await t.workspaces.add(w);
      });
      const p1 = await tx((t) => t.workspaces.list({ ownerAccountId: a.id }, { limit: 2 }));
      expect(p1.items.map((w) => w.id)).toEqual([mine[0]!.id, mine[1]!.id]);
      const p2 = await tx((t) =>
        t.workspaces.list({ ownerAccountId: a.id }, { limit: 2, cursor: p1.nextCursor }),
      );
      expect(p2.items.map((w) => w.id)).toEqual([mine[2]!.id, mine[3]!.id]);
      expect(p2.nextCursor).toBeNull();
      const locked = await tx((t) =>
        t.workspaces.list({ ownerAccountId: a.id, locked: true }, { limit: 10 }),
      );
      expect(locked.items.map((w) => w.id)).toEqual([mine[3]!.id]);
      const all = await tx((t) =>
        t.workspaces.list({ ownerAccountId: a.id, includeDissolved: true }, { limit: 10 }),
      );
      expect(all.items).toHaveLength(5);
    });

    it('lists the workspaces a cloud account settles, and those its ending locked', async () => {
      const a = await seedAccount();
      const ca = mother.cloudAccount({ ownerAccountId: a.id });
      const settled = mother.workspace({
        ownerAccountId: a.id,
        billingMethod: 'cloud-account',
        cloudAccountId: ca.id,
      });
      const lockedBy = mother.workspace({
        ownerAccountId: a.id,
        billingMethod: null,
        lockReason: 'cloud-subscription-cancelled',
        lockedAt: at(0),
        lockGraceEndsAt: at(24),
        lockCloudAccountId: ca.id,
      });
      const dissolved = mother.workspace({
        ownerAccountId: a.id,
        billingMethod: 'cloud-account',
        cloudAccountId: ca.id,
        dissolvedAt: at(0),
      });
      await tx(async (t) => {
        await t.cloudAccounts.add(ca);
        for (const w of [settled, lockedBy, dissolved]) await t.workspaces.add(w);
      });
      expect((await tx((t) => t.workspaces.listSettledBy(ca.id))).map((w) => w.id)).toEqual([settled.id]);
      expect((await tx((t) => t.workspaces.listLockedByCloudAccount(ca.id))).map((w) => w.id)).toEqual([
        lockedBy.id,
      ]);
      expect((await tx((t) => t.workspaces.listGraceExpired(at(23), 10))).map((w) => w.id)).toEqual([]);
      expect((await tx((t) => t.workspaces.listGraceExpired(at(24), 10))).map((w) => w.id)).toEqual([
        lockedBy.id,
      ]);
      expect(await tx((t) => t.workspaces.getMany([settled.id, 'unknown']))).toHaveLength(1);
      expect(await tx((t) => t.workspaces.sitesOf([settled.id, 'unknown', settled.id]))).toEqual(
        new Map([[settled.id, settled.siteId]]),
      );
    });
  });

  describe('CloudAccountRepository', () => {
    it('finds a buyer by license, by legacy customer identifier, by agreement and by AWS account + product', async () => {
      const a = await seedAccount();
      const modern = mother.cloudAccount({ ownerAccountId: a.id });
      const legacy = mother.cloudAccount({
        ownerAccountId: a.id,
        licenseArn: null,
        licenseId: null,
        customerAwsAccountId: null,
        customerIdentifier: 'X01EXAMPLEX',
        productCode: 'prodlegacy',
      });
      const china = mother.cloudAccount({
        ownerAccountId: a.id,
        partition: 'aws-cn',
        agreementId: 'agmt-1',
        customerAwsAccountId: '210987654321',
      });
      await tx(async (t) => {
        for (const c of [modern, legacy, china]) await t.cloudAccounts.add(c);
      });
      const find = (ref: Parameters<TransactionContext['cloudAccounts']['findByCustomer']>[0]) =>
        tx((t) => t.cloudAccounts.findByCustomer(ref));
      expect(
        (await find({ partition: 'aws', licenseArn: `aws:license-manager:us-east-1:1:${modern.licenseId}` }))
          ?.id,
      ).toBe(modern.id);
      expect(
        (await find({ partition: 'aws', customerIdentifier: 'X01EXAMPLEX', productCode: 'prodlegacy' }))?.id,
      ).toBe(legacy.id);
      expect(
        await find({ partition: 'aws', customerIdentifier: 'X01EXAMPLEX', productCode: 'other' }),
      ).toBeNull();
      expect((await find({ partition: 'aws-cn', agreementId: 'agmt-1' }))?.id).toBe(china.id);
      expect(await find({ partition: 'aws', agreementId: 'agmt-1' })).toBeNull();
      expect(
        (
          await find({
            partition: 'aws',
            customerAwsAccountId: '123456789012',
            productCode: 'prodglobal0001',
          })
        )?.id,
      ).toBe(modern.id);
      await tx(async (t) => {
        const [x, y] = await t.cloudAccounts.getMany([modern.id, china.id]);
        if (!x || !y) throw new Error('missing');
        x.meteredThrough = at(3);
        y.finalFlushRequestedAt = at(4);
        await t.cloudAccounts.saveMany([x, y]);
      });
      const saved = await tx((t) => t.cloudAccounts.getMany([modern.id, china.id]));
      expect(
        saved.map((c) => [
          c.meteredThrough?.toISOString() ?? null,
          c.finalFlushRequestedAt?.toISOString() ?? null,
          c.version,
        ]),
      ).toEqual([
        [at(3).toISOString(), null, modern.version + 1],
        [null, at(4).toISOString(), china.version + 1],
      ]);
      const many = await tx((t) => t.cloudAccounts.getMany([china.id, 'unknown', modern.id]));
      expect(many.map((c) => c.id).sort()).toEqual([modern.id, china.id].sort());
      const held = await tx((t) => t.cloudAccounts.getManyForMetering([china.id, 'unknown', modern.id]));
      expect(held.map((c) => c.id).sort()).toEqual([modern.id, china.id].sort());
      expect(held.find((c) => c.id === modern.id)?.meteredUsageSeq).toBe(0);
      const shared = await tx((t) => t.cloudAccounts.getManyForUsage([modern.id, 'unknown', china.id]));
      expect(shared.map((c) => c.id).sort()).toEqual([modern.id, china.id].sort());
      expect((await tx((t) => t.cloudAccounts.listByOwner(a.id))).map((c) => c.id).sort()).toEqual(
        [modern.id, legacy.id, china.id].sort(),
      );
    });

    it('lists accounts due for metering in id order after a cursor', async () => {
      const a = await seedAccount();
      const due1 = mother.cloudAccount({ ownerAccountId: a.id, state: 'active', meteringFrom: at(0) });
      const due2 = mother.cloudAccount({
        ownerAccountId: a.id,
        state: 'unsubscribe-pending',
        meteringFrom: at(-2),
        meteredThrough: at(-1),
      });
      const notYet = mother.cloudAccount({ ownerAccountId: a.id, state: 'active', meteringFrom: at(1) });
      const flush = mother.cloudAccount({
        ownerAccountId: a.id,
        state: 'unsubscribe-pending',
        meteringFrom: at(1),
        finalFlushRequestedAt: at(1.5),
      });
      const pending = mother.cloudAccount({ ownerAccountId: a.id, state: 'pending', meteringFrom: at(0) });
      await tx(async (t) => {
        for (const c of [due1, due2, notYet, flush, pending]) await t.cloudAccounts.add(c);
      });
      const now = at(1.6);
      const all = await tx((t) => t.cloudAccounts.listDueForMetering(now, 10));
      expect(all.map((c) => c.id)).toEqual([due1.id, due2.id, flush.id]);
      const after = await tx((t) => t.cloudAccounts.listDueForMetering(now, 1, due1.id));
      expect(after.map((c) => c.id)).toEqual([due2.id]);
    });
  });

  describe('RegistrationTicketRepository', () => {
    it('stores tickets and deletes open expired ones', async () => {
      const open = mother.ticket({ expiresAt: at(1) });
      const used = mother.ticket({ expiresAt: at(1), status: 'completed' });
      await tx(async (t) => {
        await t.tickets.add(open);
        await t.tickets.add(used);
      });
      expect((await tx((t) => t.tickets.get(open.id)))?.isExpired(at(1))).toBe(true);
      expect(await tx((t) => t.tickets.deleteExpired(at(2)))).toBe(1);
      expect(await tx((t) => t.tickets.get(open.id))).toBeNull();
      expect(await tx((t) => t.tickets.get(used.id))).not.toBeNull();
    });
  });

  describe('BindingRepository', () => {
    it('finds the open binding and the one covering an hour', async () => {
      const closed = mother.binding({
        workspaceId: 'ws-a',
        cloudAccountId: 'ca-1',
        from: at(0),
        to: at(2),
        endReason: 'billing-method-changed',
      });
      const open = mother.binding({ workspaceId: 'ws-a', cloudAccountId: 'ca-2', from: at(2) });
      await tx(async (t) => {
        await t.bindings.add(closed);
        await t.bindings.add(open);
      });
      expect((await tx((t) => t.bindings.findOpen('ws-a')))?.id).toBe(open.id);
      expect((await tx((t) => t.bindings.findCovering('ws-a', at(1))))?.id).toBe(closed.id);
      expect((await tx((t) => t.bindings.findCovering('ws-a', at(2))))?.id).toBe(open.id);
      expect(await tx((t) => t.bindings.findCovering('ws-a', at(-1)))).toBeNull();
      expect((await tx((t) => t.bindings.listForWorkspace('ws-a'))).map((b) => b.id)).toEqual([
        closed.id,
        open.id,
      ]);
      expect((await tx((t) => t.bindings.listForCloudAccount('ca-1'))).map((b) => b.id)).toEqual([closed.id]);
    });

    it('finds, adds and saves many at once (the cancellation cascade), with optimistic locking', async () => {
      const old = mother.binding({ workspaceId: 'ws-a', cloudAccountId: 'ca-1', from: at(0), to: at(1) });
      const openA = mother.binding({ workspaceId: 'ws-a', cloudAccountId: 'ca-1', from: at(1) });
      const openB = mother.binding({ workspaceId: 'ws-b', cloudAccountId: 'ca-1', from: at(0) });
      await tx((t) => t.bindings.addMany([old, openA, openB]));
      const open = await tx((t) => t.bindings.findOpenMany(['ws-a', 'ws-b', 'ws-c', 'ws-a']));
      expect(open.map((b) => b.id).sort()).toEqual([openA.id, openB.id].sort());
      const stale = await tx((t) => t.bindings.findOpenMany(['ws-b']));
      for (const b of open) b.close(at(3), 'subscription-cancelled');
      await tx((t) => t.bindings.saveMany(open));
      expect(await tx((t) => t.bindings.findOpenMany(['ws-a', 'ws-b']))).toEqual([]);
      expect(await tx((t) => t.bindings.findCovering('ws-b', at(2)))).toMatchObject({
        to: at(3),
        endReason: 'subscription-cancelled',
        version: 2,
      });
      for (const b of stale) b.close(at(4), 'billing-method-changed');
      await expect(tx((t) => t.bindings.saveMany(stale))).rejects.toMatchObject({
        code: 'concurrent-update',
      });
    });
  });

  describe('UsageRepository', () => {
    it('is idempotent on the key and lists pending usage of a payer up to an hour', async () => {
      const u1 = mother.usage({
        workspaceId: 'ws-a',
        payerCloudAccountId: 'ca-1',
        status: 'pending',
        hour: at(0),
      });
      const u2 = mother.usage({
        workspaceId: 'ws-a',
        payerCloudAccountId: 'ca-1',
        status: 'pending',
        hour: at(1),
      });
      const u3 = mother.usage({
        workspaceId: 'ws-b',
        payerCloudAccountId: 'ca-2',
        status: 'pending',
        hour: at(0),
      });
      await tx((t) => t.usage.addMany([u1, u2, u3]));
      await expect(
        tx((t) =>
          t.usage.addMany([mother.usage({ workspaceId: 'ws-a', idempotencyKey: u1.idempotencyKey })]),
        ),
      ).rejects.toMatchObject({
        code: 'duplicate-key',
      });
      expect((await tx((t) => t.usage.findByKeys([u1.idempotencyKey, 'nope']))).map((u) => u.id)).toEqual([
        u1.id,
      ]);
      const none = (id: string) => ({ id, meteredThrough: null, meteredUsageSeq: 0 });
      expect((await tx((t) => t.usage.listPendingForPayers([none('ca-1')], at(0)))).map((u) => u.id)).toEqual(
        [u1.id],
      );
      const both = await tx((t) => t.usage.listPendingForPayers([none('ca-1'), none('ca-2')], null)); // null: every hour
      // ordered by hour (then by seq: within one commit the order is the store's)
      expect(new Set(both.slice(0, 2).map((u) => u.id))).toEqual(new Set([u1.id, u3.id]));
      expect(both[2]?.id).toBe(u2.id);
      // Each committed row has its place in the store's order; a later commit comes after all of them.
      const seqOf = async (u: { idempotencyKey: string }) =>
        (await tx((t) => t.usage.findByKeys([u.idempotencyKey])))[0]?.seq as number;
      const first = Math.max(await seqOf(u1), await seqOf(u2), await seqOf(u3));
      expect(new Set([await seqOf(u1), await seqOf(u2), await seqOf(u3)]).size).toBe(3);
      // A seal of ca-1's hour 0 absorbed u1 (its watermark: hour 0, the seq it had read up to) …
      const sealed0 = { id: 'ca-1', meteredThrough: at(0), meteredUsageSeq: first };
      expect((await tx((t) => t.usage.listPendingForPayers([sealed0], at(5)))).map((u) => u.id)).toEqual([
        u2.id,
      ]);
      // … so late usage for hour 0, stored after it, is pending (for the next open hour), before u2 by hour.
      const late = mother.usage({
        workspaceId: 'ws-a',
        payerCloudAccountId: 'ca-1',
        status: 'pending',
        hour: at(0),
      });
      await tx((t) => t.usage.addMany([late]));
      expect(await seqOf(late)).toBeGreaterThan(first);
      expect((await tx((t) => t.usage.listPendingForPayers([sealed0], at(5)))).map((u) => u.id)).toEqual([
        late.id,
        u2.id,
      ]);
      // the readings a seal takes are the same usage, as what rating needs
      const full = await tx((t) => t.usage.listPendingForPayers([sealed0, none('ca-2')], at(5)));
      const readings = await tx((t) => t.usage.listPendingReadings([sealed0, none('ca-2')], at(5)));
      const reading = (u: PendingUsage) => ({
        id: u.id,
        payerCloudAccountId: u.payerCloudAccountId,
        workspaceId: u.workspaceId,
        itemCode: u.itemCode,
        hour: u.hour,
        quantity: u.quantity,
        seq: u.seq,
      });
      expect(readings.map(reading)).toEqual(full.map(reading));
      expect(readings.length).toBe(3);
      // The records of those seals name exactly the usage they absorbed.
      const r0 = mother.meteringRecord({
        cloudAccountId: 'ca-1',
        dimension: 'log_events',
        hour: at(0),
        usageAfterHour: null,
        usageAfterSeq: 0,
        usageThroughSeq: first,
      });
      const r1 = mother.meteringRecord({
        cloudAccountId: 'ca-1',
        dimension: 'log_events',
        hour: at(1),
        usageAfterHour: at(0),
        usageAfterSeq: first,
        usageThroughSeq: await seqOf(late),
      });
      expect((await tx((t) => t.usage.listForMeteringRecord(r0, ['log-events']))).map((u) => u.id)).toEqual([
        u1.id,
      ]);
      expect((await tx((t) => t.usage.listForMeteringRecord(r1, ['log-events']))).map((u) => u.id)).toEqual([
        late.id,
        u2.id,
      ]);
      expect(await tx((t) => t.usage.listForMeteringRecord(r1, ['hosts']))).toEqual([]);
      // Stored status changes (a cancellation): not pending any more.
      await tx(async (t) => {
        const [x] = await t.usage.findByKeys([u3.idempotencyKey]);
        x?.markNotBillable('subscription-cancelled');
        await t.usage.saveMany(x ? [x] : []);
      });
      expect(await tx((t) => t.usage.listPendingForPayers([none('ca-2')], null))).toEqual([]);
      expect((await tx((t) => t.usage.findByKeys([u3.idempotencyKey])))[0]).toMatchObject({
        status: 'not-billable',
        reason: 'subscription-cancelled',
      });
      expect((await tx((t) => t.usage.listForWorkspace('ws-a', at(0), at(2)))).map((u) => u.id)).toEqual([
        ...[u1.id, late.id].sort(), // by hour, then id
        u2.id,
      ]);
    });
  });

  describe('MeteringRecordRepository', () => {
    it('keeps one record per (account, dimension, hour) and preserves allocations', async () => {
      const r = mother.meteringRecord({ cloudAccountId: 'ca-1' });
      await tx((t) => t.metering.addMany([r]));
      await expect(
        tx((t) => t.metering.addMany([mother.meteringRecord({ cloudAccountId: 'ca-1' })])),
      ).rejects.toMatchObject({ code: 'duplicate-key' });
      const got = await tx((t) => t.metering.find('ca-1', 'usage_cost', T0));
      expect(got?.allocations).toEqual(r.allocations);
      expect(got?.quantity).toBe(42);
      expect(await tx((t) => t.metering.find('ca-1', 'usage_cost', at(1)))).toBeNull();
    });

    it('offers for claiming only sealed records due now and leases that ran out', async () => {
      const now = at(3);
      const sealed = mother.meteringRecord({ cloudAccountId: 'ca-1', hour: at(0) });
      const backingOff = mother.meteringRecord({ cloudAccountId: 'ca-1', hour: at(1), nextAttemptAt: at(4) });
      const leasedLive = mother.meteringRecord({
        cloudAccountId: 'ca-1',
        hour: at(2),
        status: 'submitted',
        leaseOwner: 'w1',
        leaseUntil: at(4),
      });
      const leasedDead = mother.meteringRecord({
        cloudAccountId: 'ca-2',
        hour: at(2),
        status: 'submitted',
        leaseOwner: 'w1',
        leaseUntil: at(2.5),
      });
      const done = mother.meteringRecord({ cloudAccountId: 'ca-2', hour: at(0), status: 'accepted' });
      await tx((t) => t.metering.addMany([sealed, backingOff, leasedLive, leasedDead, done]));
      const claimable = await tx((t) => t.metering.listClaimable(now, 10));
      expect(claimable.map((r) => r.id)).toEqual([sealed.id, leasedDead.id]);
      expect((await tx((t) => t.metering.listClaimable(now, 1))).map((r) => r.id)).toEqual([sealed.id]);
      expect((await tx((t) => t.metering.listUnsentFrom('ca-1', at(1)))).map((r) => r.id)).toEqual([
        backingOff.id,
      ]);
      const page = await tx((t) => t.metering.listForCloudAccount('ca-1', { limit: 2 }));
      expect(page.items).toHaveLength(2);
      expect(page.nextCursor).not.toBeNull();
    });
    it('saves many records at once, bumping each version, and refuses the whole batch when one is stale', async () => {
      const rs = [0, 1, 2].map((i) => mother.meteringRecord({ cloudAccountId: 'ca-1', hour: at(i) }));
      await tx((t) => t.metering.addMany(rs));
      const ids = rs.map((r) => r.id);
      const first = await tx((t) => t.metering.getMany(ids));
      const second = await tx((t) => t.metering.getMany(ids));
      for (const r of first) r.lease('w1', at(5));
      await tx((t) => t.metering.saveMany(first));
      expect(first.map((r) => r.version)).toEqual(rs.map((r) => r.version + 1));
      const stored = await tx((t) => t.metering.getMany(ids));
      expect(stored.map((r) => [r.status, r.leaseOwner, r.attempts, r.version])).toEqual(
        rs.map((r) => ['submitted', 'w1', 1, r.version + 1]),
      );
      for (const r of second) r.lease('w2', at(6));
      await expect(tx((t) => t.metering.saveMany(second))).rejects.toMatchObject({
        code: 'concurrent-update',
      });
      const after = await tx((t) => t.metering.getMany(ids));
      expect(after.map((r) => r.leaseOwner)).toEqual(['w1', 'w1', 'w1']);
    });
  });

  describe('RatingBookRepository', () => {
    it('inserts new books and updates stored ones, exactly and optimistically', async () => {
      const b = mother.ratingBook('ca-1', [
        {
          workspaceId: 'ws-a',
          itemCode: 'log-events',
          carry: '123456789012345678901234567890',
          denominator: '1000000000000',
          peakDay: null,
          peak: 0,
        },
      ]);
      await tx((t) => t.ratingBooks.saveMany([b, mother.ratingBook('ca-2')]));
      expect(b.version).toBe(1);
      const [got, ...rest] = await tx((t) => t.ratingBooks.getMany(['ca-1', 'ca-9']));
      expect(rest).toEqual([]);
      expect(got?.states).toEqual(b.states);
      if (!got) throw new Error('missing');
      const stale = (await tx((t) => t.ratingBooks.getMany(['ca-1'])))[0];
      const hosts = got.state('ws-b', 'hosts');
      hosts.peak = 7;
      hosts.peakDay = '2026-11-02';
      await tx((t) => t.ratingBooks.saveMany([got]));
      const [again] = await tx((t) => t.ratingBooks.getMany(['ca-1']));
      expect(again?.states).toEqual([
        b.states[0],
        {
          workspaceId: 'ws-b',
          itemCode: 'hosts',
          carry: '0',
          denominator: '1',
          peakDay: '2026-11-02',
          peak: 7,
        },
      ]);
      expect(again?.find('ws-b', 'hosts')?.peak).toBe(7);
      expect(again?.version).toBe(2);
      await expect(tx((t) => t.ratingBooks.saveMany(stale ? [stale] : []))).rejects.toMatchObject({
        code: 'concurrent-update',
      });
    });
  });

  describe('MarketplaceEventRepository', () => {
    it('deduplicates by message id and lists parked and unprocessed events', async () => {
      const e1 = mother.marketplaceEvent({ status: 'parked', occurredAt: at(1) });
      const e2 = mother.marketplaceEvent({ status: 'received', receivedAt: at(2) });
      const e3 = mother.marketplaceEvent({ status: 'failed', receivedAt: at(1) });
      const e4 = mother.marketplaceEvent({ status: 'processed', cloudAccountId: 'ca-1' });
      await tx(async (t) => {
        for (const e of [e1, e2, e3, e4]) await t.marketplaceEvents.add(e);
      });
      await expect(
        tx((t) => t.marketplaceEvents.add(mother.marketplaceEvent({ messageId: e1.messageId }))),
      ).rejects.toMatchObject({
        code: 'duplicate-key',
      });
      expect((await tx((t) => t.marketplaceEvents.findByMessageId(e2.messageId)))?.id).toBe(e2.id);
      expect((await tx((t) => t.marketplaceEvents.listParked('aws'))).map((e) => e.id)).toEqual([e1.id]);
      const receivedAt = (await tx((t) => t.marketplaceEvents.get(e1.id)))!.receivedAt;
      expect((await tx((t) => t.marketplaceEvents.listParked('aws', receivedAt))).map((e) => e.id)).toEqual([
        e1.id,
      ]);
      expect(
        await tx((t) => t.marketplaceEvents.listParked('aws', new Date(receivedAt.getTime() + 1))),
      ).toEqual([]);
      expect(await tx((t) => t.marketplaceEvents.listParked('aws-cn'))).toEqual([]);
      expect((await tx((t) => t.marketplaceEvents.listUnprocessed(10))).map((e) => e.id)).toEqual([
        e3.id,
        e2.id,
      ]);
      expect((await tx((t) => t.marketplaceEvents.listForCloudAccount('ca-1'))).map((e) => e.id)).toEqual([
        e4.id,
      ]);
    });
    it('stores a batch unless stored: new ones inserted, a stored or repeated message id a duplicate', async () => {
      const before = mother.marketplaceEvent({ status: 'processed', outcome: 'already there' });
      await tx((t) => t.marketplaceEvents.add(before));
      const a = mother.marketplaceEvent({
        receivedAt: at(3),
        occurredAt: at(2),
        licenseArn: 'arn:aws:license-manager::1:license:l-1',
        freeTrial: null,
        payload: '{"Message":"quotes \\" and backslashes \\\\ and ünïcödé"}',
      });
      const again = mother.marketplaceEvent({ messageId: before.messageId, payload: 'a second delivery' });
      const b = mother.marketplaceEvent({ customerIdentifier: null, customerAwsAccountId: '123456789012' });
      const aTwice = mother.marketplaceEvent({ messageId: a.messageId, payload: 'the same delivery, twice' });
      const outcomes = await tx((t) => t.marketplaceEvents.addUnlessStored([a, again, b, aTwice]));
      expect(outcomes).toEqual([
        { eventId: a.id, duplicate: false },
        { eventId: before.id, duplicate: true },
        { eventId: b.id, duplicate: false },
        { eventId: a.id, duplicate: true },
      ]);
      const storedA = await tx((t) => t.marketplaceEvents.get(a.id));
      expect({ ...storedA }).toEqual({ ...a });
      expect((await tx((t) => t.marketplaceEvents.get(b.id)))?.customerAwsAccountId).toBe('123456789012');
      expect(await tx((t) => t.marketplaceEvents.get(again.id))).toBeNull();
      expect(await tx((t) => t.marketplaceEvents.get(aTwice.id))).toBeNull();
      expect(await tx((t) => t.marketplaceEvents.get(before.id))).toMatchObject({
        outcome: 'already there',
        payload: before.payload,
      });
      // the rows inserted are this transaction's: read back and saved in the same transaction
      const c = mother.marketplaceEvent();
      await tx(async (t) => {
        await t.marketplaceEvents.addUnlessStored([c]);
        const mine = await t.marketplaceEvents.get(c.id);
        mine!.status = 'processed';
        await t.marketplaceEvents.save(mine!);
      });
      expect((await tx((t) => t.marketplaceEvents.get(c.id)))?.status).toBe('processed');
      expect(await tx((t) => t.marketplaceEvents.addUnlessStored([]))).toEqual([]);
    });

    it('stores a batch with its transaction: nothing of it when the work throws', async () => {
      const a = mother.marketplaceEvent();
      await expect(
        tx(async (t) => {
          await t.marketplaceEvents.addUnlessStored([a, mother.marketplaceEvent()]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await tx((t) => t.marketplaceEvents.findByMessageId(a.messageId))).toBeNull();
      expect(await tx((t) => t.marketplaceEvents.addUnlessStored([a]))).toEqual([
        { eventId: a.id, duplicate: false },
      ]);
    });

    it('stores a message id once when two transactions store it at the same time', async () => {
      const shared = mother.marketplaceEvent();
      const first = [shared, mother.marketplaceEvent()];
      const second = [mother.marketplaceEvent(), mother.marketplaceEvent({ messageId: shared.messageId })];
      // an adapter that cannot wait for the other transaction fails one commit with duplicate-key (the
      // port's contract); running that unit of work again answers the duplicate
      const store = async (events: typeof first) => {
        try {
          return await tx((t) => t.marketplaceEvents.addUnlessStored(events));
        } catch (e) {
          expect(e).toMatchObject({ code: 'duplicate-key' });
          return tx((t) => t.marketplaceEvents.addUnlessStored(events));
        }
      };
      const [one, two] = await Promise.all([store(first), store(second)]);
      const sharedOutcomes = [one[0]!, two[1]!];
      expect(sharedOutcomes.filter((o) => o.duplicate)).toHaveLength(1);
      expect(new Set(sharedOutcomes.map((o) => o.eventId)).size).toBe(1);
      expect(one[1]).toEqual({ eventId: first[1]!.id, duplicate: false });
      expect(two[0]).toEqual({ eventId: second[0]!.id, duplicate: false });
      const stored = await tx((t) => t.marketplaceEvents.findByMessageId(shared.messageId));
      expect(stored?.id).toBe(sharedOutcomes[0]!.eventId);
    });
  });

  describe('AuditRepository', () => {
    it('appends entries and lists an account’s newest first with paging', async () => {
      const entries = [1, 2, 3].map((i) => ({
        id: `audit-${i}`,
        at: at(i),
        actorType: 'customer' as const,
        actorId: 'acc-1',
        action: 'workspace.created',
        entityType: 'workspace',
        entityId: `ws-${i}`,
        accountId: 'acc-1',
        requestId: `req-${i}`,
        details: { n: i, nested: { ok: true } },
      }));
      await tx((t) => t.audit.append(entries));
      const p1 = await tx((t) => t.audit.listForAccount('acc-1', { limit: 2 }));
      expect(p1.items.map((e) => e.id)).toEqual(['audit-3', 'audit-2']);
      const p2 = await tx((t) => t.audit.listForAccount('acc-1', { limit: 2, cursor: p1.nextCursor }));
      expect(p2.items.map((e) => e.id)).toEqual(['audit-1']);
      expect((await tx((t) => t.audit.listForEntity('workspace', 'ws-2')))[0]?.details).toEqual({
        n: 2,
        nested: { ok: true },
      });
    });
  });

  describe('OutboxRepository', () => {
    it('lists due pending messages oldest first and stores delivery state', async () => {
      const msg = (id: string, createdAt: Date, nextAttemptAt: Date) => ({
        id,
        kind: 'domain-event' as const,
        type: 'workspace.locked',
        payload: { workspaceId: 'ws-1' },
        createdAt,
        status: 'pending' as const,
        attempts: 0,
        lastError: null,
        nextAttemptAt,
        sentAt: null,
      });
      await tx((t) =>
        t.outbox.add([msg('o-2', at(1), at(1)), msg('o-1', at(0), at(0)), msg('o-3', at(0), at(5))]),
      );
      const due = await tx((t) => t.outbox.listDue(at(2), 10));
      expect(due.map((m) => m.id)).toEqual(['o-1', 'o-2']);
      const first = due[0];
      if (!first) throw new Error('missing');
      first.status = 'sent';
      first.sentAt = at(2);
      await tx((t) => t.outbox.save(first));
      expect((await tx((t) => t.outbox.listDue(at(2), 10))).map((m) => m.id)).toEqual(['o-2']);
    });
  });

  describe('CredentialRepository', () => {
    const issue = (
      kind: CredentialKind,
      accountId: string | null,
      createdAt: Date,
      secret: string,
      scopes: ServiceKeyScope[] = [],
    ) =>
      Credential.issue({
        id: `cred-${secret}`,
        kind,
        randomSecret: secret,
        accountId,
        name: kind === 'session' ? null : `name ${secret}`,
        scopes,
        now: createdAt,
        expiresAt: kind === 'session' ? at(24) : null,
      });

    it('finds a credential by the hash of its secret, never by the secret, and keeps every field', async () => {
      const a = await seedAccount();
      const { credential, secret } = issue('service-key', null, at(0), 's1', [
        'usage:write',
        'workspaces:read',
      ]);
      await tx((t) => t.credentials.add(credential));
      expect(await tx((t) => t.credentials.findBySecretHash(secret))).toBeNull();
      const found = await tx((t) => t.credentials.findBySecretHash(hashSecret(secret)));
      expect(found).toMatchObject({
        id: credential.id,
        kind: 'service-key',
        accountId: null,
        scopes: ['usage:write', 'workspaces:read'],
        createdAt: at(0),
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
        version: 1,
      });
      expect(found).toBeInstanceOf(Credential);
      const session = issue('session', a.id, at(1), 's2').credential;
      await tx((t) => t.credentials.add(session));
      expect(await tx((t) => t.credentials.get(session.id))).toMatchObject({
        expiresAt: at(24),
        lastUsedAt: at(1),
      });
    });

    it('refuses a second credential with the same secret hash', async () => {
      const a = await seedAccount();
      await tx((t) => t.credentials.add(issue('api-token', a.id, at(0), 'same').credential));
      const clash = new Credential({
        ...issue('api-token', a.id, at(0), 'same').credential,
        id: 'cred-other',
      });
      await expect(tx((t) => t.credentials.add(clash))).rejects.toMatchObject({ code: 'duplicate-key' });
    });

    it("lists an account's credentials of one kind and the service keys, newest first", async () => {
      const a = await seedAccount();
      const b = await seedAccount();
      await tx(async (t) => {
        await t.credentials.add(issue('api-token', a.id, at(0), 't1').credential);
        await t.credentials.add(issue('api-token', a.id, at(2), 't2').credential);
        await t.credentials.add(issue('session', a.id, at(1), 'x1').credential);
        await t.credentials.add(issue('api-token', b.id, at(1), 't3').credential);
        await t.credentials.add(issue('service-key', null, at(0), 'k1', ['usage:write']).credential);
        await t.credentials.add(issue('service-key', null, at(3), 'k2', ['usage:write']).credential);
      });
      expect((await tx((t) => t.credentials.listForAccount(a.id, 'api-token'))).map((c) => c.id)).toEqual([
        'cred-t2',
        'cred-t1',
      ]);
      expect((await tx((t) => t.credentials.listForAccount(a.id, 'session'))).map((c) => c.id)).toEqual([
        'cred-x1',
      ]);
      expect((await tx((t) => t.credentials.listServiceKeys())).map((c) => c.id)).toEqual([
        'cred-k2',
        'cred-k1',
      ]);
    });

    it("saves revocation and use with optimistic locking, and revokes an account's live sessions at once", async () => {
      const a = await seedAccount();
      const s1 = issue('session', a.id, at(0), 'r1').credential;
      const s2 = issue('session', a.id, at(0), 'r2').credential;
      const token = issue('api-token', a.id, at(0), 'r3').credential;
      await tx(async (t) => {
        await t.credentials.add(s1);
        await t.credentials.add(s2);
        await t.credentials.add(token);
      });
      const loaded = await tx((t) => t.credentials.get(s1.id));
      const stale = await tx((t) => t.credentials.get(s1.id));
      if (!loaded || !stale) throw new Error('missing');
      loaded.touch(at(2));
      await tx((t) => t.credentials.save(loaded));
      stale.revoke(at(3));
      await expect(tx((t) => t.credentials.save(stale))).rejects.toMatchObject({ code: 'concurrent-update' });
      expect(await tx((t) => t.credentials.get(s1.id))).toMatchObject({
        lastUsedAt: at(2),
        revokedAt: null,
        version: 2,
      });
      expect(await tx((t) => t.credentials.revokeSessions(a.id, at(4)))).toBe(2);
      expect(await tx((t) => t.credentials.revokeSessions(a.id, at(5)))).toBe(0);
      expect(await tx((t) => t.credentials.get(s2.id))).toMatchObject({ revokedAt: at(4) });
      expect(await tx((t) => t.credentials.get(token.id))).toMatchObject({ revokedAt: null });
    });
  });
}
