import type { Credential, CredentialKind } from '../../domain/access/credential.js';
import type { Account } from '../../domain/account/account.js';
import type { AuditEntry } from '../../domain/audit/audit-entry.js';
import type { Binding } from '../../domain/binding/binding.js';
import { type CloudAccount, dueHour } from '../../domain/cloud-account/cloud-account.js';
import { type CustomerRef, licenseIdOf } from '../../domain/cloud-account/customer-ref.js';
import type { OutboxMessage } from '../../domain/events/outbox-message.js';
import type { MarketplaceEvent } from '../../domain/marketplace-event/marketplace-event.js';
import type { MeteringRecord } from '../../domain/metering/metering-record.js';
import type { RatingBook } from '../../domain/metering/rating-state.js';
import type { RegistrationTicket } from '../../domain/registration/registration-ticket.js';
import type { AwsPartition } from '../../domain/site/site.js';
import type { UsageRecord } from '../../domain/usage/usage-record.js';
import type { Workspace } from '../../domain/workspace/workspace.js';
import type {
  AccountRepository,
  AuditRepository,
  BindingRepository,
  CloudAccountRepository,
  CredentialRepository,
  MarketplaceEventRepository,
  MeteringRecordRepository,
  OutboxRepository,
  Page,
  RatingBookRepository,
  RegistrationTicketRepository,
  TransactionContext,
  UsageRepository,
  UsageWatermark,
  WorkspaceFilter,
  WorkspaceRepository,
} from '../../ports/repositories.js';
import type { TxTables } from './in-memory-database.js';

const byTime =
  <T>(f: (x: T) => Date) =>
  (a: T, b: T) =>
    f(a).getTime() - f(b).getTime();
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function page<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

function present<T>(rows: Array<T | null>): T[] {
  return rows.filter((r): r is T => r !== null);
}

class Accounts implements AccountRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.accounts.get(id);
  }
  async findByUsername(u: string) {
    return this.t.accounts.byUnique('username', u.toLowerCase());
  }
  async findByEmail(e: string) {
    return this.t.accounts.byUnique('email', e.toLowerCase());
  }
  async add(a: Account) {
    this.t.accounts.insert(a);
  }
  async save(a: Account) {
    this.t.accounts.update(a);
  }
}

class Workspaces implements WorkspaceRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.workspaces.get(id);
  }
  async getMany(ids: readonly string[]) {
    return present(ids.map((id) => this.t.workspaces.get(id)));
  }
  async sitesOf(ids: readonly string[]) {
    const out = new Map<string, string>();
    for (const id of ids) {
      const w = this.t.workspaces.peek(id);
      if (w) out.set(id, w.siteId);
    }
    return out;
  }
  async list(f: WorkspaceFilter, p: { limit: number; cursor?: string | null }) {
    const match = (w: Workspace) =>
      (!f.ownerAccountId || w.ownerAccountId === f.ownerAccountId) &&
      (!f.cloudAccountId || w.cloudAccountId === f.cloudAccountId) &&
      (f.locked === undefined || w.isLocked === f.locked) &&
      (f.includeDissolved || w.dissolvedAt === null);
    const rows = f.ownerAccountId
      ? this.t.workspaces
          .byIndex('owner', f.ownerAccountId, match)
          .filter((w) => !p.cursor || w.id > p.cursor)
          .sort(byId)
      : this.t.workspaces.scan(match, { afterId: p.cursor ?? null, limit: p.limit + 1 });
    return page(rows, p.limit);
  }
  async listSettledBy(caId: string) {
    return this.t.workspaces
      .byIndex('settledBy', caId, (w) => w.dissolvedAt === null && w.cloudAccountId === caId)
      .sort(byId);
  }
  async listLockedByCloudAccount(caId: string) {
    return this.t.workspaces
      .byIndex('lockedBy', caId, (w) => w.dissolvedAt === null && w.lockCloudAccountId === caId)
      .sort(byId);
  }
  async listGraceExpired(now: Date, limit: number) {
    const due = (w: Workspace) =>
      !!w.lockReason &&
      !w.fullyLockedAt &&
      !w.dissolvedAt &&
      (w.lockGraceEndsAt?.getTime() ?? Infinity) <= now.getTime();
    return this.t.workspaces.byIndex('inGrace', 'yes', due).sort(byId).slice(0, limit);
  }
  async add(w: Workspace) {
    this.t.workspaces.insert(w);
  }
  async save(w: Workspace) {
    this.t.workspaces.update(w);
  }
  async saveMany(list: readonly Workspace[]) {
    for (const w of list) this.t.workspaces.update(w);
  }
}

class CloudAccounts implements CloudAccountRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.cloudAccounts.get(id);
  }
  async getMany(ids: readonly string[]) {
    return present(ids.map((id) => this.t.cloudAccounts.get(id)));
  }
  async findByCustomer(ref: CustomerRef) {
    const t = this.t.cloudAccounts;
    const lic = licenseIdOf(ref.licenseArn);
    const candidates = [
      ...(lic ? t.byIndex('licenseId', `${ref.partition}|${lic}`) : []),
      ...(ref.customerIdentifier
        ? t.byIndex('customerIdentifier', `${ref.partition}|${ref.customerIdentifier}`)
        : []),
      ...(ref.agreementId ? t.byIndex('agreementId', `${ref.partition}|${ref.agreementId}`) : []),
      ...(ref.customerAwsAccountId
        ? t.byIndex('awsAccount', `${ref.partition}|${ref.customerAwsAccountId}`)
        : []),
    ];
    return candidates.find((c) => c.matches(ref)) ?? null;
  }
  async listByOwner(owner: string) {
    return this.t.cloudAccounts.byIndex('owner', owner).sort(byId);
  }
  /** One process, and commits are atomic: nothing to wait for (see the port). */
  async getManyForMetering(ids: readonly string[]) {
    return this.getMany(ids);
  }
  async getManyForUsage(ids: readonly string[]) {
    return this.getMany(ids);
  }
  async listDueForMetering(now: Date, limit: number, afterId?: string | null) {
    const due = (c: CloudAccount) => dueHour(c, now) !== null;
    // schedules are read-only views (the seal reads each account again): no copy each
    return this.t.cloudAccounts.scan(due, { afterId: afterId ?? null, limit, peek: true });
  }
  async add(c: CloudAccount) {
    this.t.cloudAccounts.insert(c);
  }
  async save(c: CloudAccount) {
    this.t.cloudAccounts.update(c);
  }
  async saveMany(cs: readonly CloudAccount[]) {
    for (const c of cs) this.t.cloudAccounts.update(c);
  }
}

class Tickets implements RegistrationTicketRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.tickets.get(id);
  }
  async add(x: RegistrationTicket) {
    this.t.tickets.insert(x);
  }
  async save(x: RegistrationTicket) {
    this.t.tickets.update(x);
  }
  async deleteExpired(before: Date) {
    const gone = this.t.tickets.scan((x) => x.status === 'open' && x.expiresAt.getTime() < before.getTime());
    for (const x of gone) this.t.tickets.delete(x.id);
    return gone.length;
  }
}

class Bindings implements BindingRepository {
  constructor(private readonly t: TxTables) {}
  private of(wsId: string, where: (b: Binding) => boolean = () => true) {
    return this.t.bindings.byIndex('workspace', wsId, (b) => b.workspaceId === wsId && where(b));
  }
  async findOpen(wsId: string) {
    return this.of(wsId, (b) => b.to === null)[0] ?? null;
  }
  async findCovering(wsId: string, hour: Date) {
    return this.of(wsId, (b) => b.covers(hour))[0] ?? null;
  }
  async listForWorkspace(wsId: string) {
    return this.of(wsId).sort(byTime((b) => b.from));
  }
  async listForCloudAccount(caId: string) {
    return this.t.bindings
      .byIndex('cloudAccount', caId, (b) => b.cloudAccountId === caId)
      .sort(byTime((b) => b.from));
  }
  async findOpenMany(wsIds: readonly string[]) {
    return present(await Promise.all([...new Set(wsIds)].map((id) => this.findOpen(id))));
  }
  async add(b: Binding) {
    this.t.bindings.insert(b);
  }
  async addMany(list: readonly Binding[]) {
    for (const b of list) this.t.bindings.insert(b);
  }
  async save(b: Binding) {
    this.t.bindings.update(b);
  }
  async saveMany(list: readonly Binding[]) {
    for (const b of list) this.t.bindings.update(b);
  }
}

class Usage implements UsageRepository {
  constructor(private readonly t: TxTables) {}
  async findByKeys(keys: readonly string[]) {
    return present(keys.map((k) => this.t.usage.byUnique('idempotencyKey', k)));
  }
  async addMany(rows: readonly UsageRecord[]) {
    for (const r of rows) this.t.usage.insert(r);
  }
  async listPendingForPayers(payers: readonly UsageWatermark[], upTo: Date | null) {
    return this.pending(payers, upTo, false) as UsageRecord[];
  }
  async listPendingReadings(payers: readonly UsageWatermark[], upTo: Date | null) {
    return this.pending(payers, upTo, true);
  }
  /** `peek`: the rows as this transaction sees them, without a copy each (for read-only readings). */
  private pending(payers: readonly UsageWatermark[], upTo: Date | null, peek: boolean) {
    const limit = upTo?.getTime() ?? Number.POSITIVE_INFINITY;
    // one filter for every payer (a seal asks for hundreds at once): the payer in hand is a variable
    let p = payers[0] as UsageWatermark;
    let through = 0;
    const where = (u: Readonly<UsageRecord>) => {
      if (u.status !== 'pending' || u.payerCloudAccountId !== p.id) return false;
      const h = u.hour.getTime();
      return h <= limit && (h > through || (u.seq ?? 0) > p.meteredUsageSeq);
    };
    const out: UsageRecord[] = [];
    for (p of payers) {
      through = p.meteredThrough?.getTime() ?? Number.NEGATIVE_INFINITY;
      const rows = peek
        ? (this.t.usage.peekByIndex('pendingPayer', p.id, where) as UsageRecord[])
        : this.t.usage.byIndex('pendingPayer', p.id, where);
      for (const u of rows) out.push(u);
    }
    return out.sort((a, b) => a.hour.getTime() - b.hour.getTime() || (a.seq ?? 0) - (b.seq ?? 0));
  }
  async listForWorkspace(wsId: string, from: Date, to: Date) {
    return this.t.usage
      .byIndex(
        'workspace',
        wsId,
        (u) =>
          u.workspaceId === wsId && u.hour.getTime() >= from.getTime() && u.hour.getTime() < to.getTime(),
      )
      .sort((a, b) => a.hour.getTime() - b.hour.getTime() || byId(a, b));
  }
  async listForMeteringRecord(record: MeteringRecord, itemCodes: readonly string[]) {
    const items = new Set(itemCodes);
    return this.t.usage
      .byIndex('pendingPayer', record.cloudAccountId, (u) =>
        record.absorbed(u, items.has(u.itemCode) ? record.dimension : undefined),
      )
      .sort((a, b) => a.hour.getTime() - b.hour.getTime() || (a.seq ?? 0) - (b.seq ?? 0));
  }
  async saveMany(rows: readonly UsageRecord[]) {
    for (const r of rows) this.t.usage.update(r);
  }
}

class Metering implements MeteringRecordRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.metering.get(id);
  }
  async getMany(ids: readonly string[]) {
    return present(ids.map((id) => this.t.metering.get(id)));
  }
  async find(caId: string, dim: string, hour: Date) {
    return this.t.metering.byUnique('accountDimensionHour', `${caId}|${dim}|${hour.getTime()}`);
  }
  async listForCloudAccount(caId: string, p: { limit: number; cursor?: string | null }) {
    const rows = this.t.metering
      .byIndex('cloudAccount', caId, (m) => m.cloudAccountId === caId && (!p.cursor || m.id < p.cursor))
      .sort((a, b) => byId(b, a));
    return page(rows, p.limit);
  }
  async listUnsentFrom(caId: string, from: Date) {
    return this.t.metering
      .byIndex(
        'cloudAccount',
        caId,
        (m) => m.cloudAccountId === caId && m.status === 'sealed' && m.hour.getTime() >= from.getTime(),
      )
      .sort(byId);
  }
  async listClaimable(now: Date, limit: number) {
    const t = now.getTime();
    return this.t.metering
      .byIndex(
        'claimable',
        'yes',
        (m) =>
          (m.status === 'sealed' && (m.nextAttemptAt === null || m.nextAttemptAt.getTime() <= t)) ||
          (m.status === 'submitted' && m.leaseUntil !== null && m.leaseUntil.getTime() <= t),
      )
      .sort((a, b) => a.hour.getTime() - b.hour.getTime() || byId(a, b))
      .slice(0, limit);
  }
  async addMany(rows: readonly MeteringRecord[]) {
    for (const r of rows) this.t.metering.insert(r);
  }
  async saveMany(rows: readonly MeteringRecord[]) {
    for (const r of rows) this.t.metering.update(r);
  }
}

class RatingBooks implements RatingBookRepository {
  constructor(private readonly t: TxTables) {}
  async getMany(ids: readonly string[]) {
    return present(ids.map((id) => this.t.ratingBooks.get(id)));
  }
  async saveMany(books: readonly RatingBook[]) {
    for (const b of books) {
      if (b.version === 0) {
        b.version = 1;
        this.t.ratingBooks.insert(b);
      } else this.t.ratingBooks.update(b);
    }
  }
}

class MarketplaceEvents implements MarketplaceEventRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.marketplaceEvents.get(id);
  }
  async findByMessageId(mid: string) {
    return this.t.marketplaceEvents.byUnique('messageId', mid);
  }
  async listParked(partition: AwsPartition, receivedSince?: Date) {
    return this.t.marketplaceEvents
      .byIndex(
        'parked',
        partition,
        (e) =>
          e.status === 'parked' &&
          e.partition === partition &&
          (!receivedSince || e.receivedAt.getTime() >= receivedSince.getTime()),
      )
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || byId(a, b));
  }
  async listUnprocessed(limit: number) {
    return this.t.marketplaceEvents
      .byIndex('unprocessed', 'yes', (e) => e.status === 'received' || e.status === 'failed')
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || byId(a, b))
      .slice(0, limit);
  }
  async listForCloudAccount(caId: string) {
    return this.t.marketplaceEvents
      .byIndex('cloudAccount', caId, (e) => e.cloudAccountId === caId)
      .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || byId(a, b));
  }
  async add(e: MarketplaceEvent) {
    this.t.marketplaceEvents.insert(e);
  }
  async addUnlessStored(events: readonly MarketplaceEvent[]) {
    return events.map((e) => {
      const stored = this.t.marketplaceEvents.byUnique('messageId', e.messageId);
      if (stored) return { eventId: stored.id, duplicate: true };
      this.t.marketplaceEvents.insert(e);
      return { eventId: e.id, duplicate: false };
    });
  }
  async save(e: MarketplaceEvent) {
    this.t.marketplaceEvents.update(e);
  }
}

class Audit implements AuditRepository {
  constructor(private readonly t: TxTables) {}
  async append(entries: readonly AuditEntry[]) {
    for (const e of entries) this.t.audit.insert({ ...e });
  }
  async listForAccount(accountId: string, p: { limit: number; cursor?: string | null }) {
    const rows = this.t.audit
      .byIndex('account', accountId, (a) => a.accountId === accountId && (!p.cursor || a.id < p.cursor))
      .sort((a, b) => byId(b, a));
    return page(rows, p.limit);
  }
  async listForEntity(type: string, id: string) {
    return this.t.audit
      .byIndex('entity', `${type}|${id}`, (a) => a.entityType === type && a.entityId === id)
      .sort(byId);
  }
}

class Outbox implements OutboxRepository {
  constructor(private readonly t: TxTables) {}
  async add(messages: readonly OutboxMessage[]) {
    for (const m of messages) this.t.outbox.insert({ ...m });
  }
  async listDue(now: Date, limit: number) {
    return this.t.outbox
      .byIndex('pending', 'yes', (m) => m.status === 'pending' && m.nextAttemptAt.getTime() <= now.getTime())
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || byId(a, b))
      .slice(0, limit);
  }
  async save(m: OutboxMessage) {
    this.t.outbox.update(m);
  }
}

const newestFirst = (a: Credential, b: Credential) =>
  b.createdAt.getTime() - a.createdAt.getTime() || byId(b, a);

class Credentials implements CredentialRepository {
  constructor(private readonly t: TxTables) {}
  async get(id: string) {
    return this.t.credentials.get(id);
  }
  async findBySecretHash(hash: string) {
    return this.t.credentials.byUnique('secretHash', hash);
  }
  async listForAccount(accountId: string, kind: CredentialKind) {
    return this.t.credentials.byIndex('account', `${accountId}|${kind}`).sort(newestFirst);
  }
  async listServiceKeys() {
    return this.t.credentials.byIndex('serviceKey', 'yes').sort(newestFirst);
  }
  async add(c: Credential) {
    this.t.credentials.insert(c);
  }
  async save(c: Credential) {
    this.t.credentials.update(c);
  }
  async revokeSessions(accountId: string, now: Date) {
    const live = this.t.credentials.byIndex('account', `${accountId}|session`, (c) => c.revokedAt === null);
    for (const c of live) {
      c.revokedAt = now;
      this.t.credentials.update(c);
    }
    return live.length;
  }
}

/** Repository ports over one transaction's tables. */
export function buildRepositories(t: TxTables): TransactionContext {
  return {
    accounts: new Accounts(t),
    workspaces: new Workspaces(t),
    cloudAccounts: new CloudAccounts(t),
    tickets: new Tickets(t),
    bindings: new Bindings(t),
    usage: new Usage(t),
    metering: new Metering(t),
    ratingBooks: new RatingBooks(t),
    marketplaceEvents: new MarketplaceEvents(t),
    audit: new Audit(t),
    outbox: new Outbox(t),
    credentials: new Credentials(t),
  };
}
