import type { Workspace } from '../../domain/workspace/workspace.js';
import type { WorkspaceChangeFeed, WorkspaceChangeListener } from '../../ports/change-feed.js';
import type { Page } from '../../ports/repositories.js';
import type { Clock } from '../../ports/services.js';
import type { WorkspaceListInput, WorkspaceQueries } from './queries.use-case.js';
import { ownerFor, pageSize } from './read-rules.js';

/** An account's part of the cache: its entries' keys, and a counter bumped by every eviction. */
class Slot {
  generation = 0;
  /** reads of this account in flight (the slot must outlive them: their tickets compare its generation) */
  reading = 0;
  readonly keys = new Set<string>();
  constructor(readonly accountId: string) {}
}

/** Taken before a read; storing its result with it fails if anything evicted the account meanwhile. */
export interface ReadTicket {
  readonly slot: Slot;
  readonly generation: number;
  /** when the read began, in the cache's own order */
  readonly seq: number;
}

interface Entry<V> {
  slot: Slot;
  value: V;
  until: number;
  /** the `seq` of the read that produced it */
  seq: number;
}

export interface WorkspaceListCacheOptions {
  /** How long an entry is served at most (a backstop; 0 turns the cache off). */
  ttlMs: number;
  /** Most entries kept, across accounts; the least recently used one goes first. */
  maxEntries: number;
}

/**
 * An in-process memory of values derived from an account's workspaces (a page of the list, or its
 * serialized response), per account and query key, invalidated by a `WorkspaceChangeFeed`:
 *
 * - A change the feed reports for an account evicts that account's entries; a reset evicts everything.
 * - Nothing is served or stored while the feed is not live (its source is down: changes could be missed).
 * - A read takes a ticket before it queries (`begin`) and stores its result with it (`finish`): if the
 *   account was evicted, or the feed reset, in between, the result — possibly read before the change — is
 *   not stored. So a stale page can be served only until the change's report arrives, never after. Nor
 *   does a read replace an entry stored by a read that began after it (reads of one key that overlap a
 *   change whose report has not arrived yet do not take the cache back in time).
 * - Entries also expire after `ttlMs`, and at most `maxEntries` are kept (least recently used out first).
 */
export class WorkspaceListCache<V> implements WorkspaceChangeListener {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly slots = new Map<string, Slot>();
  /** Numbers the reads as they begin. */
  private seq = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly feed: WorkspaceChangeFeed,
    private readonly clock: Clock,
    private readonly options: WorkspaceListCacheOptions,
  ) {
    this.unsubscribe = feed.subscribe(this);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The kept value, if the feed is live and the entry is younger than the time to live. */
  get(accountId: string, key: string): V | undefined {
    if (!this.feed.live) return undefined;
    const k = `${accountId}\u0000${key}`;
    const hit = this.entries.get(k);
    if (!hit) return undefined;
    this.entries.delete(k);
    if (this.clock.now().getTime() >= hit.until) {
      this.drop(hit.slot, k);
      return undefined;
    }
    this.entries.set(k, hit); // most recently used: to the end
    return hit.value;
  }

  /** Before reading: null when nothing may be stored (the feed is not live, or the cache is off). */
  begin(accountId: string): ReadTicket | null {
    if (!this.feed.live || this.options.ttlMs <= 0) return null;
    let slot = this.slots.get(accountId);
    if (!slot) {
      slot = new Slot(accountId);
      this.slots.set(accountId, slot);
    }
    slot.reading += 1;
    this.seq += 1;
    return { slot, generation: slot.generation, seq: this.seq };
  }

  /**
   * After reading (also after a failed read, with `undefined`): stores the value unless the account was
   * evicted or the feed reset or went down since `begin`.
   */
  finish(ticket: ReadTicket | null, key: string, value: V | undefined): void {
    if (!ticket) return;
    const slot = ticket.slot;
    slot.reading -= 1;
    // an eviction of the account, and every reset, moved the generation on
    const k = `${slot.accountId}\u0000${key}`;
    // and a read that began later may already have stored a newer page: never replace it by an older one
    const newer = (this.entries.get(k)?.seq ?? 0) > ticket.seq;
    if (value !== undefined && this.feed.live && ticket.generation === slot.generation && !newer) {
      this.entries.delete(k);
      this.entries.set(k, {
        slot,
        value,
        until: this.clock.now().getTime() + this.options.ttlMs,
        seq: ticket.seq,
      });
      slot.keys.add(k);
      while (this.entries.size > this.options.maxEntries) {
        const oldest = this.entries.entries().next().value;
        if (!oldest) break;
        this.entries.delete(oldest[0]);
        this.drop(oldest[1].slot, oldest[0]);
      }
    }
    this.release(slot);
  }

  /** The feed: a committed change touched this account's workspaces. */
  changed(accountId: string): void {
    const slot = this.slots.get(accountId);
    if (!slot) return; // nothing kept and no read in flight
    slot.generation += 1;
    for (const k of slot.keys) this.entries.delete(k);
    slot.keys.clear();
    this.release(slot);
  }

  /** The feed: forget everything (it went down, came back, or everything changed). */
  reset(): void {
    this.entries.clear();
    for (const slot of this.slots.values()) {
      slot.generation += 1;
      slot.keys.clear();
    }
    this.slots.clear();
  }

  close(): void {
    this.unsubscribe();
    this.reset();
  }

  private drop(slot: Slot, k: string): void {
    slot.keys.delete(k);
    this.release(slot);
  }

  private release(slot: Slot): void {
    if (slot.keys.size === 0 && slot.reading === 0 && this.slots.get(slot.accountId) === slot)
      this.slots.delete(slot.accountId);
  }
}

/**
 * `WorkspaceQueries.list`, rendered by the caller (e.g. into a response body) and kept in a
 * `WorkspaceListCache` per owner account and normalized query. Tenancy and validation are the query's:
 * the owner is the one `list` would filter by (a customer's own account), and invalid input throws before
 * the cache is consulted. Listing across all accounts (an operator without an owner) is never cached.
 * Without a feed (SQLite: no change notifications) every call reads.
 */
export class CachedWorkspaceList<V> {
  readonly cache: WorkspaceListCache<V> | null;

  constructor(
    /** The query every edge shares (`useCases.workspaces`): a miss reads through it. */
    private readonly queries: WorkspaceQueries,
    clock: Clock,
    feed: WorkspaceChangeFeed | null,
    options: WorkspaceListCacheOptions,
  ) {
    this.cache = feed && options.ttlMs > 0 ? new WorkspaceListCache<V>(feed, clock, options) : null;
  }

  async list(input: WorkspaceListInput, render: (page: Page<Workspace>) => V): Promise<V> {
    const read = () => this.queries.list(input).then(render);
    const cache = this.cache;
    if (!cache) return read();
    // what the query filters by, validated as it validates (a refused input throws here, uncached)
    const owner = ownerFor(input.by, input.ownerAccountId);
    if (owner === undefined) return read();
    const key = JSON.stringify([
      pageSize(input.limit),
      input.locked ?? null,
      input.includeDissolved === true,
      input.cloudAccountId || null,
      input.cursor || null,
    ]);
    const hit = cache.get(owner, key);
    if (hit !== undefined) return hit;
    const ticket = cache.begin(owner);
    let value: V | undefined;
    try {
      value = await read();
      return value;
    } finally {
      cache.finish(ticket, key, value);
    }
  }

  close(): void {
    this.cache?.close();
  }
}
