import type { Credential, CredentialKind } from '../domain/access/credential.js';
import type { Account } from '../domain/account/account.js';
import type { AuditEntry } from '../domain/audit/audit-entry.js';
import type { Binding } from '../domain/binding/binding.js';
import type { CloudAccount, MeteringSchedule } from '../domain/cloud-account/cloud-account.js';
import type { CustomerRef } from '../domain/cloud-account/customer-ref.js';
import type { OutboxMessage } from '../domain/events/outbox-message.js';
import type { MarketplaceEvent } from '../domain/marketplace-event/marketplace-event.js';
import type { MeteringRecord } from '../domain/metering/metering-record.js';
import type { RatingBook } from '../domain/metering/rating-state.js';
import type { RegistrationTicket } from '../domain/registration/registration-ticket.js';
import type { AwsPartition } from '../domain/site/site.js';
import type { UsageRecord } from '../domain/usage/usage-record.js';
import type { Workspace } from '../domain/workspace/workspace.js';

/*
 * Repository ports. Each is an interface plus a same-named token. Conventions every adapter keeps (the
 * contract suites in src/testing/contracts check them):
 * - `get` returns null for an unknown id; lists return [] when nothing matches.
 * - `add` inserts and fails with a ConflictError(code `duplicate-key`) on a duplicate unique key.
 * - `save` updates a loaded entity if its `version` is the stored one, bumps `version`, and otherwise
 *   throws ConcurrencyConflict (optimistic locking).
 * - Entities returned inside a transaction are that transaction's copies; changes are visible to others
 *   only after commit.
 */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const AccountRepository = Symbol('AccountRepository');
export interface AccountRepository {
  get(id: string): Promise<Account | null>;
  findByUsername(username: string): Promise<Account | null>;
  findByEmail(email: string): Promise<Account | null>;
  add(account: Account): Promise<void>;
  save(account: Account): Promise<void>;
}

export interface WorkspaceFilter {
  ownerAccountId?: string;
  cloudAccountId?: string;
  locked?: boolean;
  includeDissolved?: boolean;
}

export const WorkspaceRepository = Symbol('WorkspaceRepository');
export interface WorkspaceRepository {
  get(id: string): Promise<Workspace | null>;
  getMany(ids: readonly string[]): Promise<Workspace[]>;
  /** The site of each of these workspaces (fixed at creation): what rating needs, without the rest. */
  sitesOf(ids: readonly string[]): Promise<Map<string, string>>;
  /** Ordered by id; `cursor` is the last id of the previous page. */
  list(filter: WorkspaceFilter, page: { limit: number; cursor?: string | null }): Promise<Page<Workspace>>;
  /** Workspaces (not dissolved) whose current or scheduled method is this cloud account. */
  listSettledBy(cloudAccountId: string): Promise<Workspace[]>;
  /** Workspaces locked because this cloud account's subscription ended. */
  listLockedByCloudAccount(cloudAccountId: string): Promise<Workspace[]>;
  /** Locked, not fully locked, grace ended at or before `now`. */
  listGraceExpired(now: Date, limit: number): Promise<Workspace[]>;
  add(workspace: Workspace): Promise<void>;
  save(workspace: Workspace): Promise<void>;
  /** `save` for many at once (the cancellation cascade); all or nothing within the transaction. */
  saveMany(workspaces: readonly Workspace[]): Promise<void>;
}

export const CloudAccountRepository = Symbol('CloudAccountRepository');
export interface CloudAccountRepository {
  get(id: string): Promise<CloudAccount | null>;
  getMany(ids: readonly string[]): Promise<CloudAccount[]>;
  /** The registered account a marketplace message or a resolved token names (see CloudAccount.matches). */
  findByCustomer(ref: CustomerRef): Promise<CloudAccount | null>;
  listByOwner(ownerAccountId: string): Promise<CloudAccount[]>;
  /**
   * Active or unsubscribe-pending accounts with an hour to seal: `nextHourToMeter` + 1h ≤ `now`, or a final
   * flush requested. Ordered by id after `afterId`.
   */
  listDueForMetering(now: Date, limit: number, afterId?: string | null): Promise<MeteringSchedule[]>;
  /**
   * `getMany` for a seal: the accounts are held until the transaction ends, after every usage write for
   * them in flight has committed (PostgreSQL: `FOR UPDATE`, against `UsageRepository.addMany`'s `FOR SHARE`),
   * so the pending usage read next is complete up to its highest `seq`.
   */
  getManyForMetering(ids: readonly string[]): Promise<CloudAccount[]>;
  /**
   * `getMany` for storing usage they pay for: held (PostgreSQL `FOR SHARE`, in id order) until the
   * transaction ends, so a cancellation or a seal of one of them waits for the usage to be stored, and
   * the state read here is still the state when it is.
   */
  getManyForUsage(ids: readonly string[]): Promise<CloudAccount[]>;
  add(cloudAccount: CloudAccount): Promise<void>;
  save(cloudAccount: CloudAccount): Promise<void>;
  /** `save` for many at once (one statement per chunk in SQL); one stale entity fails them all. */
  saveMany(cloudAccounts: readonly CloudAccount[]): Promise<void>;
}

export const RegistrationTicketRepository = Symbol('RegistrationTicketRepository');
export interface RegistrationTicketRepository {
  get(id: string): Promise<RegistrationTicket | null>;
  add(ticket: RegistrationTicket): Promise<void>;
  save(ticket: RegistrationTicket): Promise<void>;
  /** Deletes open tickets that expired before `before`; returns how many. */
  deleteExpired(before: Date): Promise<number>;
}

export const BindingRepository = Symbol('BindingRepository');
export interface BindingRepository {
  /** The binding with no end, if any (at most one per workspace). */
  findOpen(workspaceId: string): Promise<Binding | null>;
  /** The binding covering `hour`, if any. */
  findCovering(workspaceId: string, hour: Date): Promise<Binding | null>;
  listForWorkspace(workspaceId: string): Promise<Binding[]>;
  listForCloudAccount(cloudAccountId: string): Promise<Binding[]>;
  /** The open binding of each of these workspaces that has one. */
  findOpenMany(workspaceIds: readonly string[]): Promise<Binding[]>;
  add(binding: Binding): Promise<void>;
  addMany(bindings: readonly Binding[]): Promise<void>;
  save(binding: Binding): Promise<void>;
  saveMany(bindings: readonly Binding[]): Promise<void>;
}

export const UsageRepository = Symbol('UsageRepository');
/** What a seal reads of a pending usage row. */
export type PendingUsage = Readonly<
  Pick<UsageRecord, 'id' | 'payerCloudAccountId' | 'workspaceId' | 'itemCode' | 'hour' | 'quantity' | 'seq'>
>;

/** A payer's usage watermark: what its sealed hours absorbed so far (see `CloudAccount.hasMetered`). */
export type UsageWatermark = Pick<CloudAccount, 'id' | 'meteredThrough' | 'meteredUsageSeq'>;

export interface UsageRepository {
  findByKeys(keys: readonly string[]): Promise<UsageRecord[]>;
  /**
   * Stores new usage; each row gets its `seq` when it is committed, greater than every `seq` committed
   * before it. Until the transaction ends, the payers of these rows are held against a concurrent seal
   * (`CloudAccountRepository.getManyForMetering`), so a seal never reads past a row still being written.
   */
  addMany(records: readonly UsageRecord[]): Promise<void>;
  /**
   * Usage stored as `pending` for these payers that their sealed hours have not absorbed (`hasMetered` is
   * false against the watermark given), for hours up to and including `upToHour` (null: every hour),
   * ordered by hour then seq.
   */
  listPendingForPayers(payers: readonly UsageWatermark[], upToHour: Date | null): Promise<UsageRecord[]>;
  /**
   * The same usage as `listPendingForPayers`, as read-only readings of what rating needs (a seal reads
   * thousands per batch and changes none of them).
   */
  listPendingReadings(payers: readonly UsageWatermark[], upToHour: Date | null): Promise<PendingUsage[]>;
  listForWorkspace(workspaceId: string, from: Date, to: Date): Promise<UsageRecord[]>;
  /** The usage `record` absorbed (`MeteringRecord.absorbed`): `itemCodes` are its dimension's items. */
  listForMeteringRecord(record: MeteringRecord, itemCodes: readonly string[]): Promise<UsageRecord[]>;
  /** Updates stored status (not-billable on a cancellation); optimistic. */
  saveMany(records: readonly UsageRecord[]): Promise<void>;
}

export const MeteringRecordRepository = Symbol('MeteringRecordRepository');
export interface MeteringRecordRepository {
  get(id: string): Promise<MeteringRecord | null>;
  getMany(ids: readonly string[]): Promise<MeteringRecord[]>;
  find(cloudAccountId: string, dimension: string, hour: Date): Promise<MeteringRecord | null>;
  listForCloudAccount(
    cloudAccountId: string,
    page: { limit: number; cursor?: string | null },
  ): Promise<Page<MeteringRecord>>;
  /** Sealed records not yet sent whose hour starts at or after `from`. */
  listUnsentFrom(cloudAccountId: string, from: Date): Promise<MeteringRecord[]>;
  /**
   * Records ready to send: sealed with no pending back-off, or submitted with an expired lease (their
   * sender died). Claimed rows are skipped by concurrent claimers (FOR UPDATE SKIP LOCKED in SQL).
   */
  listClaimable(now: Date, limit: number): Promise<MeteringRecord[]>;
  addMany(records: readonly MeteringRecord[]): Promise<void>;
  saveMany(records: readonly MeteringRecord[]): Promise<void>;
}

export const RatingBookRepository = Symbol('RatingBookRepository');
export interface RatingBookRepository {
  /** The books of these cloud accounts that have one. */
  getMany(cloudAccountIds: readonly string[]): Promise<RatingBook[]>;
  /** Inserts books with version 0, updates the others (optimistic); versions are bumped in place. */
  saveMany(books: readonly RatingBook[]): Promise<void>;
}

export const MarketplaceEventRepository = Symbol('MarketplaceEventRepository');
export interface MarketplaceEventRepository {
  get(id: string): Promise<MarketplaceEvent | null>;
  findByMessageId(messageId: string): Promise<MarketplaceEvent | null>;
  /** Parked events of a partition, oldest first; only those received at or after `receivedSince` if given. */
  listParked(partition: AwsPartition, receivedSince?: Date): Promise<MarketplaceEvent[]>;
  /** Received or failed events not processed yet, oldest first. */
  listUnprocessed(limit: number): Promise<MarketplaceEvent[]>;
  listForCloudAccount(cloudAccountId: string): Promise<MarketplaceEvent[]>;
  add(event: MarketplaceEvent): Promise<void>;
  /**
   * The inbox's store: inserts each event whose message id is not stored yet (nor taken by an earlier event
   * of the list) and answers, per event in order, the id of the row stored under its message id and whether
   * that row was there before (`duplicate`). A row already committed is never an error. One committed by
   * a concurrent transaction meanwhile is a duplicate too where the database waits for it (PostgreSQL's
   * `ON CONFLICT DO NOTHING`); an adapter that cannot wait (in memory) fails the commit with `duplicate-key`
   * instead, and running the unit of work again answers the duplicate. One statement for the whole list
   * where the database allows it: the webhook stores concurrent deliveries together.
   */
  addUnlessStored(events: readonly MarketplaceEvent[]): Promise<StoredMarketplaceEvent[]>;
  save(event: MarketplaceEvent): Promise<void>;
}

/** Where a message ended up in the inbox (see `MarketplaceEventRepository.addUnlessStored`). */
export interface StoredMarketplaceEvent {
  readonly eventId: string;
  readonly duplicate: boolean;
}

export const AuditRepository = Symbol('AuditRepository');
export interface AuditRepository {
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first; `cursor` is the id of the last entry of the previous page. */
  listForAccount(
    accountId: string,
    page: { limit: number; cursor?: string | null },
  ): Promise<Page<AuditEntry>>;
  listForEntity(entityType: string, entityId: string): Promise<AuditEntry[]>;
}

export const OutboxRepository = Symbol('OutboxRepository');
export interface OutboxRepository {
  add(messages: readonly OutboxMessage[]): Promise<void>;
  /** Pending messages due at `now`, oldest first. */
  listDue(now: Date, limit: number): Promise<OutboxMessage[]>;
  save(message: OutboxMessage): Promise<void>;
}

export const CredentialRepository = Symbol('CredentialRepository');
export interface CredentialRepository {
  get(id: string): Promise<Credential | null>;
  findBySecretHash(secretHash: string): Promise<Credential | null>;
  /** An account's credentials of one kind, newest first (revoked ones included). */
  listForAccount(accountId: string, kind: CredentialKind): Promise<Credential[]>;
  /** Every service key, newest first. */
  listServiceKeys(): Promise<Credential[]>;
  add(credential: Credential): Promise<void>;
  save(credential: Credential): Promise<void>;
  /** Revoke every live session of an account (password change, "sign out everywhere"); returns how many. */
  revokeSessions(accountId: string, now: Date): Promise<number>;
}

/** The repositories of one transaction. */
export interface TransactionContext {
  accounts: AccountRepository;
  workspaces: WorkspaceRepository;
  cloudAccounts: CloudAccountRepository;
  tickets: RegistrationTicketRepository;
  bindings: BindingRepository;
  usage: UsageRepository;
  metering: MeteringRecordRepository;
  ratingBooks: RatingBookRepository;
  marketplaceEvents: MarketplaceEventRepository;
  audit: AuditRepository;
  outbox: OutboxRepository;
  credentials: CredentialRepository;
}
