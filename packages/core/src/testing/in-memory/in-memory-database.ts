import type { Credential } from '../../domain/access/credential.js';
import type { Account } from '../../domain/account/account.js';
import type { AuditEntry } from '../../domain/audit/audit-entry.js';
import type { Binding } from '../../domain/binding/binding.js';
import type { CloudAccount } from '../../domain/cloud-account/cloud-account.js';
import type { OutboxMessage } from '../../domain/events/outbox-message.js';
import type { MarketplaceEvent } from '../../domain/marketplace-event/marketplace-event.js';
import type { MeteringRecord } from '../../domain/metering/metering-record.js';
import type { RatingBook } from '../../domain/metering/rating-state.js';
import type { RegistrationTicket } from '../../domain/registration/registration-ticket.js';
import type { UsageRecord } from '../../domain/usage/usage-record.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import type { TransactionContext } from '../../ports/repositories.js';
import type { UnitOfWork } from '../../ports/unit-of-work.js';
import { buildRepositories } from './in-memory-repositories.js';
import { Table, TxTable } from './table.js';

const t = (d: Date) => String(d.getTime());

export function createTables() {
  return {
    accounts: new Table<Account>({
      name: 'account',
      unique: { username: (a) => a.username, email: (a) => a.email },
    }),
    workspaces: new Table<Workspace>({
      name: 'workspace',
      indexes: {
        owner: (w) => w.ownerAccountId,
        settledBy: (w) => (w.dissolvedAt === null && w.cloudAccountId ? w.cloudAccountId : null),
        lockedBy: (w) => (w.dissolvedAt === null && w.lockCloudAccountId ? w.lockCloudAccountId : null),
        inGrace: (w) => (w.lockReason && !w.fullyLockedAt && !w.dissolvedAt ? 'yes' : null),
      },
    }),
    cloudAccounts: new Table<CloudAccount>({
      name: 'cloud account',
      indexes: {
        owner: (c) => c.ownerAccountId,
        licenseId: (c) => (c.licenseId ? `${c.partition}|${c.licenseId}` : null),
        customerIdentifier: (c) => (c.customerIdentifier ? `${c.partition}|${c.customerIdentifier}` : null),
        agreementId: (c) => (c.agreementId ? `${c.partition}|${c.agreementId}` : null),
        awsAccount: (c) => (c.customerAwsAccountId ? `${c.partition}|${c.customerAwsAccountId}` : null),
      },
    }),
    tickets: new Table<RegistrationTicket>({ name: 'registration ticket' }),
    bindings: new Table<Binding>({
      name: 'binding',
      indexes: { workspace: (b) => b.workspaceId, cloudAccount: (b) => b.cloudAccountId },
    }),
    usage: new Table<UsageRecord>({
      name: 'usage record',
      sequence: 'seq',
      unique: { idempotencyKey: (u) => u.idempotencyKey },
      indexes: {
        pendingPayer: (u) => (u.status === 'pending' && u.payerCloudAccountId ? u.payerCloudAccountId : null),
        workspace: (u) => u.workspaceId,
      },
    }),
    metering: new Table<MeteringRecord>({
      name: 'metering record',
      unique: { accountDimensionHour: (m) => `${m.cloudAccountId}|${m.dimension}|${t(m.hour)}` },
      indexes: {
        cloudAccount: (m) => m.cloudAccountId,
        claimable: (m) => (m.status === 'sealed' || m.status === 'submitted' ? 'yes' : null),
      },
    }),
    ratingBooks: new Table<RatingBook>({ name: 'rating book' }),
    marketplaceEvents: new Table<MarketplaceEvent>({
      name: 'marketplace event',
      unique: { messageId: (e) => e.messageId },
      indexes: {
        parked: (e) => (e.status === 'parked' ? e.partition : null),
        unprocessed: (e) => (e.status === 'received' || e.status === 'failed' ? 'yes' : null),
        cloudAccount: (e) => e.cloudAccountId,
      },
    }),
    audit: new Table<AuditEntry & { version?: number }>({
      name: 'audit entry',
      versioned: false,
      indexes: { account: (a) => a.accountId, entity: (a) => `${a.entityType}|${a.entityId}` },
    }),
    outbox: new Table<OutboxMessage & { version?: number }>({
      name: 'outbox message',
      versioned: false,
      indexes: { pending: (m) => (m.status === 'pending' ? 'yes' : null) },
    }),
    credentials: new Table<Credential>({
      name: 'credential',
      unique: { secretHash: (c) => c.secretHash },
      indexes: {
        account: (c) => (c.accountId ? `${c.accountId}|${c.kind}` : null),
        serviceKey: (c) => (c.kind === 'service-key' ? 'yes' : null),
      },
    }),
  };
}
export type Tables = ReturnType<typeof createTables>;
export type TxTables = { [K in keyof Tables]: Tables[K] extends Table<infer R> ? TxTable<R> : never };

/**
 * An in-memory database with real transactions: each unit of work sees its own writes, commits them all
 * at once after an optimistic version check, or discards them all when the work throws. Faults can be
 * injected to prove that a use case failing half-way leaves nothing behind.
 */
export class InMemoryDatabase implements UnitOfWork {
  readonly tables: Tables = createTables();
  /** Throw on the N-th write from now (1 = the next write); null: never. */
  failOnWrite: number | null = null;
  /** Throw when the next transaction commits (after its work ran). */
  failNextCommit = false;
  commits = 0;
  /**
   * Its transactions run on this thread: interleaving them gains nothing (see the port). A test sets it to
   * run a batch use case's transactions side by side, as it does on PostgreSQL.
   */
  overlapsTransactions = false;

  /** Counted like a transaction; any write throws (the port's contract). */
  read<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    return this.run(work, true);
  }

  transaction<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    return this.run(work, false);
  }

  private async run<T>(work: (tx: TransactionContext) => Promise<T>, readOnly: boolean): Promise<T> {
    const onWrite = () => {
      if (readOnly) throw new Error('a write inside UnitOfWork.read: use transaction for work that writes');
      if (this.failOnWrite === null) return;
      this.failOnWrite -= 1;
      if (this.failOnWrite <= 0) {
        this.failOnWrite = null;
        throw new Error('injected fault: the database failed during a write');
      }
    };
    const tx = Object.fromEntries(
      Object.entries(this.tables).map(([k, table]) => [
        k,
        new TxTable(table as unknown as Table<{ id: string }>, onWrite),
      ]),
    ) as unknown as TxTables;
    const result = await work(buildRepositories(tx));
    const all = Object.values(tx) as unknown as TxTable<{ id: string }>[];
    // A write failed and the work carried on: as in PostgreSQL, the transaction is poisoned.
    const failure = all.find((t) => t.failure !== null)?.failure;
    if (failure) throw failure;
    if (this.failNextCommit) {
      this.failNextCommit = false;
      throw new Error('injected fault: the database connection was lost at commit');
    }
    for (const v of all) v.check();
    for (const v of all) v.commit();
    this.commits += 1;
    return result;
  }
}
