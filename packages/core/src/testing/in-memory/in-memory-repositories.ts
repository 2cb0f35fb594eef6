import type { CustomerRef } from '../../domain/cloud-account/customer-ref.js';
import { licenseIdOf } from '../../domain/cloud-account/customer-ref.js';
import type { Page, TransactionContext, WorkspaceFilter } from '../../ports/repositories.js';
import { HOUR_MS } from '../../shared/time.js';
import type { TxTables } from './in-memory-database.js';

const byTime =
  <T>(f: (x: T) => Date) =>
  (a: T, b: T) =>
    f(a).getTime() - f(b).getTime();

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

/** Repository ports over one transaction's tables. */
export function buildRepositories(tx: TxTables): TransactionContext {
  return {
    accounts: {
      get: async (id) => tx.accounts.get(id),
      findByUsername: async (u) => tx.accounts.byUnique('username', u.toLowerCase()),
      findByEmail: async (e) => tx.accounts.byUnique('email', e.toLowerCase()),
      add: async (a) => tx.accounts.insert(a),
      save: async (a) => tx.accounts.update(a),
    },
    workspaces: {
      get: async (id) => tx.workspaces.get(id),
      getMany: async (ids) => ids.map((id) => tx.workspaces.get(id)).filter((w) => w !== null),
      list: async (f: WorkspaceFilter, p) => {
        const match = (w: import('../../domain/workspace/workspace.js').Workspace) =>
          (!f.ownerAccountId || w.ownerAccountId === f.ownerAccountId) &&
          (!f.cloudAccountId || w.cloudAccountId === f.cloudAccountId) &&
          (f.locked === undefined || w.isLocked === f.locked) &&
          (f.includeDissolved || w.dissolvedAt === null);
        const rows = f.ownerAccountId
          ? tx.workspaces
              .byIndex('owner', f.ownerAccountId, match)
              .filter((w) => !p.cursor || w.id > p.cursor)
              .sort((a, b) => (a.id < b.id ? -1 : 1))
          : tx.workspaces.scan(match, { afterId: p.cursor ?? null, limit: p.limit + 1 });
        return page(rows, p.limit);
      },
      listSettledBy: async (caId) =>
        tx.workspaces.byIndex('settledBy', caId, (w) => w.dissolvedAt === null && w.cloudAccountId === caId),
      listLockedByCloudAccount: async (caId) =>
        tx.workspaces.byIndex(
          'lockedBy',
          caId,
          (w) => w.dissolvedAt === null && w.lockCloudAccountId === caId,
        ),
      listGraceExpired: async (now, limit) =>
        tx.workspaces
          .byIndex(
            'inGrace',
            'yes',
            (w) =>
              !!w.lockReason &&
              !w.fullyLockedAt &&
              !w.dissolvedAt &&
              (w.lockGraceEndsAt?.getTime() ?? Infinity) <= now.getTime(),
          )
          .slice(0, limit),
      add: async (w) => tx.workspaces.insert(w),
      save: async (w) => tx.workspaces.update(w),
    },
    cloudAccounts: {
      get: async (id) => tx.cloudAccounts.get(id),
      findByCustomer: async (ref: CustomerRef) => {
        const candidates = [
          ...(licenseIdOf(ref.licenseArn)
            ? tx.cloudAccounts.byIndex('licenseId', `${ref.partition}|${licenseIdOf(ref.licenseArn)}`)
            : []),
          ...(ref.customerIdentifier
            ? tx.cloudAccounts.byIndex('customerIdentifier', `${ref.partition}|${ref.customerIdentifier}`)
            : []),
          ...(ref.agreementId
            ? tx.cloudAccounts.byIndex('agreementId', `${ref.partition}|${ref.agreementId}`)
            : []),
          ...(ref.customerAwsAccountId
            ? tx.cloudAccounts.byIndex('awsAccount', `${ref.partition}|${ref.customerAwsAccountId}`)
            : []),
        ];
        return candidates.find((c) => c.matches(ref)) ?? null;
      },
      listByOwner: async (owner) =>
        tx.cloudAccounts.byIndex('owner', owner).sort((a, b) => (a.id < b.id ? -1 : 1)),
      listDueForMetering: async (now, limit, afterId) =>
        tx.cloudAccounts.scan(
          (c) =>
            c.isMeterable &&
            (c.nextHourToMeter.getTime() + HOUR_MS <= now.getTime() ||
              (c.finalFlushRequestedAt !== null &&
                c.nextHourToMeter.getTime() <= c.finalFlushRequestedAt.getTime())),
          { afterId: afterId ?? null, limit },
        ),
      add: async (c) => tx.cloudAccounts.insert(c),
      save: async (c) => tx.cloudAccounts.update(c),
    },
    tickets: {
      get: async (id) => tx.tickets.get(id),
      add: async (t) => tx.tickets.insert(t),
      save: async (t) => tx.tickets.update(t),
      deleteExpired: async (before) => {
        const gone = tx.tickets.scan((t) => t.status === 'open' && t.expiresAt.getTime() < before.getTime());
        for (const t of gone) tx.tickets.delete(t.id);
        return gone.length;
      },
    },
    bindings: {
      findOpen: async (wsId) =>
        tx.bindings.byIndex('workspace', wsId, (b) => b.workspaceId === wsId && b.to === null)[0] ?? null,
      findCovering: async (wsId, hour) =>
        tx.bindings.byIndex('workspace', wsId, (b) => b.workspaceId === wsId && b.covers(hour))[0] ?? null,
      listForWorkspace: async (wsId) =>
        tx.bindings.byIndex('workspace', wsId, (b) => b.workspaceId === wsId).sort(byTime((b) => b.from)),
      listForCloudAccount: async (caId) =>
        tx.bindings
          .byIndex('cloudAccount', caId, (b) => b.cloudAccountId === caId)
          .sort(byTime((b) => b.from)),
      add: async (b) => tx.bindings.insert(b),
      save: async (b) => tx.bindings.update(b),
    },
    usage: {
      findByKeys: async (keys) =>
        keys.map((k) => tx.usage.byUnique('idempotencyKey', k)).filter((u) => u !== null),
      addMany: async (rows) => {
        for (const r of rows) tx.usage.insert(r);
      },
      listPendingForPayer: async (caId, upTo) =>
        tx.usage
          .byIndex(
            'pendingPayer',
            caId,
            (u) =>
              u.status === 'pending' && u.payerCloudAccountId === caId && u.hour.getTime() <= upTo.getTime(),
          )
          .sort(byTime((u) => u.hour)),
      listForWorkspace: async (wsId, from, to) =>
        tx.usage
          .byIndex(
            'workspace',
            wsId,
            (u) =>
              u.workspaceId === wsId && u.hour.getTime() >= from.getTime() && u.hour.getTime() < to.getTime(),
          )
          .sort(byTime((u) => u.hour)),
      listForMeteringRecord: async (id) =>
        tx.usage.byIndex('meteringRecord', id, (u) => u.meteringRecordId === id),
      saveMany: async (rows) => {
        for (const r of rows) tx.usage.update(r);
      },
    },
    metering: {
      get: async (id) => tx.metering.get(id),
      getMany: async (ids) => ids.map((id) => tx.metering.get(id)).filter((m) => m !== null),
      find: async (caId, dim, hour) =>
        tx.metering.byUnique('accountDimensionHour', `${caId}|${dim}|${hour.getTime()}`),
      listForCloudAccount: async (caId, p) => {
        const rows = tx.metering
          .byIndex('cloudAccount', caId, (m) => m.cloudAccountId === caId && (!p.cursor || m.id < p.cursor))
          .sort((a, b) => (a.id < b.id ? 1 : -1));
        return page(rows, p.limit);
      },
      listUnsentFrom: async (caId, from) =>
        tx.metering.byIndex(
          'cloudAccount',
          caId,
          (m) => m.cloudAccountId === caId && m.status === 'sealed' && m.hour.getTime() >= from.getTime(),
        ),
      listClaimable: async (now, limit) =>
        tx.metering
          .byIndex(
            'claimable',
            'yes',
            (m) =>
              (m.status === 'sealed' &&
                (m.nextAttemptAt === null || m.nextAttemptAt.getTime() <= now.getTime())) ||
              (m.status === 'submitted' && m.leaseUntil !== null && m.leaseUntil.getTime() <= now.getTime()),
          )
          .sort((a, b) => a.hour.getTime() - b.hour.getTime() || (a.id < b.id ? -1 : 1))
          .slice(0, limit),
      addMany: async (rows) => {
        for (const r of rows) tx.metering.insert(r);
      },
      saveMany: async (rows) => {
        for (const r of rows) tx.metering.update(r);
      },
    },
    ratingStates: {
      listForCloudAccount: async (caId, wsIds) =>
        wsIds.flatMap((ws) => tx.ratingStates.byIndex('accountWorkspace', `${caId}|${ws}`)),
      saveMany: async (rows) => {
        for (const r of rows) {
          if (r.version === 0) {
            r.version = 1;
            tx.ratingStates.insert(r);
          } else tx.ratingStates.update(r);
        }
      },
    },
    marketplaceEvents: {
      get: async (id) => tx.marketplaceEvents.get(id),
      findByMessageId: async (mid) => tx.marketplaceEvents.byUnique('messageId', mid),
      listParked: async (partition) =>
        tx.marketplaceEvents
          .byIndex('parked', partition, (e) => e.status === 'parked' && e.partition === partition)
          .sort(byTime((e) => e.occurredAt)),
      listUnprocessed: async (limit) =>
        tx.marketplaceEvents
          .byIndex('unprocessed', 'yes', (e) => e.status === 'received' || e.status === 'failed')
          .sort(byTime((e) => e.receivedAt))
          .slice(0, limit),
      listForCloudAccount: async (caId) =>
        tx.marketplaceEvents
          .byIndex('cloudAccount', caId, (e) => e.cloudAccountId === caId)
          .sort(byTime((e) => e.occurredAt)),
      add: async (e) => tx.marketplaceEvents.insert(e),
      save: async (e) => tx.marketplaceEvents.update(e),
    },
    audit: {
      append: async (entries) => {
        for (const e of entries) tx.audit.insert({ ...e });
      },
      listForAccount: async (accountId, p) => {
        const rows = tx.audit
          .byIndex('account', accountId, (a) => a.accountId === accountId && (!p.cursor || a.id < p.cursor))
          .sort((a, b) => (a.id < b.id ? 1 : -1));
        return page(rows, p.limit);
      },
      listForEntity: async (type, id) =>
        tx.audit
          .byIndex('entity', `${type}|${id}`, (a) => a.entityType === type && a.entityId === id)
          .sort((a, b) => (a.id < b.id ? -1 : 1)),
    },
    outbox: {
      add: async (messages) => {
        for (const m of messages) tx.outbox.insert({ ...m });
      },
      listDue: async (now, limit) =>
        tx.outbox
          .byIndex(
            'pending',
            'yes',
            (m) => m.status === 'pending' && m.nextAttemptAt.getTime() <= now.getTime(),
          )
          .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
          .slice(0, limit),
      save: async (m) => tx.outbox.update(m),
    },
  };
}
