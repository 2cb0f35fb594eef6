import { ConcurrencyConflict, ConflictError } from '../../shared/domain-error.js';

/**
 * Copy of a row: a new object with the same prototype; arrays and plain objects inside are copied too.
 * Dates are shared: the domain never mutates a Date, it assigns a new one.
 *
 * Every read and write of the in-memory database copies a row, so this is its hottest code. Instances of a
 * class (the entities) are copied by a function compiled for the class's fields: property reads and writes
 * by name, which V8 makes fast, where a generic loop over keys is several times slower. A class's instances
 * all have the fields it declares, in order (ES2022 class fields); an instance that does not (a field added
 * or removed by hand) is copied by the generic loop, so nothing is ever left out.
 */
export function cloneDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneDeep(value[i]);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype) return clonePlain(value as Record<string, unknown>) as T;
  if (proto === null) return cloneGeneric(value);
  let cloner = cloners.get(proto);
  if (!cloner) {
    cloner = compileCloner(proto, Object.keys(value));
    cloners.set(proto, cloner);
  }
  return (cloner.fits(value) ? cloner.clone(value) : cloneGeneric(value)) as T;
}

interface Cloner {
  /** whether `value` has exactly the fields the cloner copies (same count; each read by name) */
  fits(value: object): boolean;
  clone(value: object): object;
}
const cloners = new WeakMap<object, Cloner>();

function compileCloner(proto: object, keys: readonly string[]): Cloner {
  const body = keys
    .map((k) => {
      const key = JSON.stringify(k);
      return `v = s[${key}]; this[${key}] = v === null || typeof v !== 'object' || v instanceof Date ? v : deep(v);`;
    })
    .join('\n');
  // keys are data (a row's own property names): quoted by JSON.stringify, never spliced in as code.
  // A constructor, not Object.create and assignments: V8 sizes a constructor's objects to the fields it
  // assigns, so a copy is one allocation of the right size (Object.create's object grew its property
  // storage several times over for a 30-field row).
  const Copy = new Function('deep', `return function Copy(s) { let v;\n${body}\n};`)(cloneDeep) as new (
    value: object,
  ) => object;
  Copy.prototype = proto;
  const clone = (value: object) => new Copy(value);
  const count = keys.length;
  // The same own fields in the same order: for-in gives own keys first (in order), then inherited
  // enumerable ones, and yields the engine's unique strings, so each test is a pointer comparison.
  const fits = (value: object) => {
    let i = 0;
    for (const k in value) {
      if (i >= count || k !== keys[i]) return false;
      i += 1;
    }
    return i === count;
  };
  return { fits, clone };
}

/** A plain object: a shallow copy (fast in V8), then copies of what is inside. */
function clonePlain(value: Record<string, unknown>): Record<string, unknown> {
  const out = { ...value };
  for (const k in out) {
    const v = out[k];
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) out[k] = cloneDeep(v);
  }
  return out;
}

function cloneGeneric<T>(value: T): T {
  const out = Object.create(Object.getPrototypeOf(value));
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    out[k] = v === null || typeof v !== 'object' || v instanceof Date ? v : cloneDeep(v);
  }
  return out;
}

export interface TableSpec<T> {
  name: string;
  /** secondary indexes: name → keys of a row (none: not indexed) */
  indexes?: Record<string, (row: T) => string | readonly string[] | null>;
  /** unique constraints: name → key of a row */
  unique?: Record<string, (row: T) => string | null>;
  versioned?: boolean;
  /** a field numbered when its row is first committed (like a database sequence), if it is still null */
  sequence?: string;
}

type Row = { id: string; version?: number };

type KeyFn<T> = (row: T) => string | readonly string[] | null;
const keysOf = <T>(fn: KeyFn<T>, row: T): readonly string[] => {
  const k = fn(row);
  return k === null ? [] : typeof k === 'string' ? [k] : k;
};
const sameKeys = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((k, i) => k === b[i]);

/**
 * Which keys a map may hold, in a few bits per key (a Bloom filter): "no" is certain, "maybe" is checked in
 * the map. An insert must check that its id and unique keys are free, and in a map of 300,000 keys a miss
 * costs several cache misses (the chain and each candidate key); the filter answers most of them from a
 * small bit array. Keys removed from the map stay set until the filter is rebuilt (it grows with the map):
 * they only make a "maybe".
 */
export class KeyFilter {
  private bits = new Int32Array(1 << 10);
  private mask = (1 << 15) - 1;
  private count = 0;

  constructor(private readonly keys: () => Iterable<string>) {}

  /** FNV-1a over the UTF-16 code units, then two bit positions from it. */
  private static hash(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h;
  }

  add(key: string): void {
    this.count += 1;
    // 16 bits a key: about 1.5% of absent keys answer "maybe"
    if (this.count * 16 > this.bits.length * 32) this.rebuild();
    else this.set(KeyFilter.hash(key));
  }

  mayHave(key: string): boolean {
    return this.probe(KeyFilter.hash(key), false);
  }

  private set(h: number): void {
    this.probe(h, true);
  }

  /** The two bits of hash `h`: set them (`write`), or whether both are set. */
  private probe(h: number, write: boolean): boolean {
    const a = h & this.mask;
    const m = Math.imul(h, 0x9e3779b1) >>> 0;
    const b = (m ^ (m >>> 16)) & this.mask;
    const bits = this.bits;
    if (write) {
      bits[a >>> 5] = (bits[a >>> 5] as number) | (1 << (a & 31));
      bits[b >>> 5] = (bits[b >>> 5] as number) | (1 << (b & 31));
      return true;
    }
    return (
      ((bits[a >>> 5] as number) & (1 << (a & 31))) !== 0 &&
      ((bits[b >>> 5] as number) & (1 << (b & 31))) !== 0
    );
  }

  private rebuild(): void {
    const keys = [...this.keys()];
    let words = 1 << 10;
    while (keys.length * 2 * 16 > words * 32) words *= 2; // room to double before the next rebuild
    this.bits = new Int32Array(words);
    this.mask = words * 32 - 1;
    this.count = keys.length;
    for (const k of keys) this.set(KeyFilter.hash(k));
  }
}

/**
 * Where a committed row lives: one object for the row's whole life (`row` is replaced by each commit,
 * null once the row is removed). Indexes and transactions hold slots, not ids: in a table of a million rows
 * every lookup by id is a walk through memory the processor has not cached, and the planner would pay
 * several per account.
 */
export interface Slot<T> {
  row: T | null;
}

/** Committed rows of one table with maintained secondary indexes. */
export class Table<T extends Row> {
  private readonly slots = new Map<string, Slot<T>>();
  readonly indexList: Array<{ name: string; fn: KeyFn<T>; map: Map<string, Set<Slot<T>>> }>;
  readonly uniqueList: Array<{
    name: string;
    fn: (row: T) => string | null;
    map: Map<string, Slot<T>>;
    filter: KeyFilter;
  }>;
  private readonly idFilter = new KeyFilter(() => this.slots.keys());
  private readonly byName = new Map<string, Map<string, Set<Slot<T>>>>();
  private readonly uniqueByName = new Map<string, Map<string, Slot<T>>>();
  private order: { ids: string[]; slots: Slot<T>[] } | null = null;
  private lastSeq = 0;
  /** Counts the commits that changed this table: a transaction whose checks saw the same count need not repeat them. */
  commits = 0;
  /** The committed rows by id (read-only). */
  readonly rows: ReadonlyMap<string, T>;

  constructor(readonly spec: TableSpec<T>) {
    this.indexList = Object.entries(spec.indexes ?? {}).map(([name, fn]) => ({ name, fn, map: new Map() }));
    this.uniqueList = Object.entries(spec.unique ?? {}).map(([name, fn]) => {
      const map = new Map<string, Slot<T>>();
      return { name, fn, map, filter: new KeyFilter(() => map.keys()) };
    });
    for (const i of this.indexList) this.byName.set(i.name, i.map);
    for (const u of this.uniqueList) this.uniqueByName.set(u.name, u.map);
    this.rows = new RowsView(this.slots);
  }

  slot(id: string): Slot<T> | undefined {
    return this.slots.get(id);
  }

  /** Whether a row has this id (for an insert's check: most ids asked about are new). */
  has(id: string): boolean {
    return this.idFilter.mayHave(id) && this.slots.has(id);
  }

  lookup(index: string, key: string): Iterable<Slot<T>> {
    return this.byName.get(index)?.get(key) ?? [];
  }

  uniqueOwner(name: string, key: string): Slot<T> | undefined {
    return this.uniqueByName.get(name)?.get(key);
  }

  /** Ids in ascending order (for cursor pagination), with their slots at the same positions. */
  ordered(): { ids: string[]; slots: Slot<T>[] } {
    if (!this.order) {
      const ids = [...this.slots.keys()].sort();
      this.order = { ids, slots: ids.map((id) => this.slots.get(id) as Slot<T>) };
    }
    return this.order;
  }

  /**
   * Store `row` (new, or replacing the committed one); `known`: its slot, when the caller has it, or 'new'
   * when the caller checked that no row has its id.
   */
  put(row: T, known?: Slot<T> | 'new'): void {
    const slot = known === 'new' ? undefined : known && known.row !== null ? known : this.slots.get(row.id);
    const old = slot ? slot.row : null;
    const seqField = this.spec.sequence;
    if (seqField) {
      const r = row as unknown as Record<string, number | null>;
      if (r[seqField] === null || r[seqField] === undefined) r[seqField] = ++this.lastSeq;
      else this.lastSeq = Math.max(this.lastSeq, r[seqField] as number);
    }
    let at: Slot<T>;
    if (slot) {
      slot.row = row;
      at = slot;
    } else {
      at = { row };
      this.slots.set(row.id, at);
      this.idFilter.add(row.id);
      this.order = null;
    }
    for (const { fn, map } of this.indexList) {
      const rawBefore = old ? fn(old) : null;
      const rawAfter = fn(row);
      if (rawBefore === rawAfter) continue; // the common case: same string key, or none
      const before = rawBefore === null ? [] : typeof rawBefore === 'string' ? [rawBefore] : rawBefore;
      const after = rawAfter === null ? [] : typeof rawAfter === 'string' ? [rawAfter] : rawAfter;
      if (sameKeys(before, after)) continue;
      for (const k of before) {
        const set = map.get(k);
        set?.delete(at);
        if (set && set.size === 0) map.delete(k);
      }
      for (const k of after) {
        const set = map.get(k);
        if (set) set.add(at);
        else map.set(k, new Set<Slot<T>>().add(at));
      }
    }
    for (const { fn, map, filter } of this.uniqueList) {
      const before = old ? fn(old) : null;
      const after = fn(row);
      if (before === after) continue;
      if (before !== null && map.get(before) === at) map.delete(before);
      if (after !== null) {
        map.set(after, at);
        filter.add(after);
      }
    }
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    const old = slot?.row;
    if (!slot || !old) return;
    for (const { fn, map } of this.indexList) {
      for (const k of keysOf(fn, old)) {
        const set = map.get(k);
        set?.delete(slot);
        if (set && set.size === 0) map.delete(k);
      }
    }
    for (const { fn, map } of this.uniqueList) {
      const k = fn(old);
      if (k !== null && map.get(k) === slot) map.delete(k);
    }
    this.slots.delete(id);
    slot.row = null;
    this.order = null;
  }
}

/** The committed rows of a table as a read-only Map (for tests that look at what was stored). */
class RowsView<T extends Row> implements ReadonlyMap<string, T> {
  constructor(private readonly slots: Map<string, Slot<T>>) {}
  get size() {
    return this.slots.size;
  }
  get(id: string): T | undefined {
    return this.slots.get(id)?.row ?? undefined;
  }
  has(id: string): boolean {
    return this.slots.has(id);
  }
  *entries(): MapIterator<[string, T]> {
    for (const [id, slot] of this.slots) yield [id, slot.row as T];
  }
  keys(): MapIterator<string> {
    return this.slots.keys();
  }
  *values(): MapIterator<T> {
    for (const slot of this.slots.values()) yield slot.row as T;
  }
  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }
  forEach(fn: (value: T, key: string, map: ReadonlyMap<string, T>) => void): void {
    for (const [id, slot] of this.slots) fn(slot.row as T, id, this);
  }
}

export const duplicateKey = (table: string, constraint: string) =>
  new ConflictError('duplicate-key', `A ${table} with the same ${constraint} already exists.`, {
    table,
    constraint,
  });

/** What a transaction saw of a committed row: its slot (null: there was none) and the version it had. */
interface Seen<T> {
  slot: Slot<T> | null;
  version: number | undefined;
}

/**
 * One transaction's view of a table: an identity map over the committed rows plus a write set, applied
 * atomically at commit after an optimistic version check.
 */
export class TxTable<T extends Row> {
  private readonly loaded = new Map<string, T>();
  private readonly writes = new Map<string, T | null>();
  private readonly inserted = new Set<string>();
  /** committed row seen when the row was first read or written (optimistic check at commit) */
  private readonly seen = new Map<string, Seen<T>>();
  /** index and unique keys of the rows written here, so lookups need not scan the write set */
  private readonly writtenIndex = new Map<string, Map<string, Set<string>>>();
  private readonly writtenUnique = new Map<string, Map<string, string>>();
  /** rows written here whose index keys are not in `writtenIndex` yet */
  private readonly unindexed: T[] = [];
  /** the table's commit count when this transaction first checked an insert against it */
  private insertsCheckedAt: number | null = null;

  constructor(
    readonly table: Table<T>,
    private readonly onWrite: () => void,
  ) {}

  get(id: string): T | null {
    const hit = this.loaded.get(id);
    if (hit) return hit;
    if (this.writes.has(id)) return this.copyOfWrite(id);
    const slot = this.table.slot(id);
    return slot ? this.copyOfCommitted(id, slot) : null;
  }

  private copyOfWrite(id: string): T | null {
    const w = this.writes.get(id);
    if (!w) return null;
    const c = cloneDeep(w);
    this.loaded.set(id, c);
    return c;
  }

  /** This transaction's copy of a committed row it has neither read nor written yet. */
  private copyOfCommitted(id: string, slot: Slot<T>): T | null {
    const base = slot.row;
    if (!base) return null;
    const c = cloneDeep(base);
    this.loaded.set(id, c);
    if (!this.seen.has(id)) this.seen.set(id, { slot, version: base.version });
    return c;
  }

  /** The row in `slot` as this transaction sees it (its own copy, its write, or the committed row). */
  private fromSlot(slot: Slot<T>, copy: boolean): T | null {
    const base = slot.row;
    if (!base) return null;
    if (this.loaded.size === 0 && this.writes.size === 0)
      return copy ? this.copyOfCommitted(base.id, slot) : base;
    const id = base.id;
    const hit = this.loaded.get(id);
    if (hit) return hit;
    if (this.writes.has(id)) return copy ? this.copyOfWrite(id) : (this.writes.get(id) ?? null);
    return copy ? this.copyOfCommitted(id, slot) : base;
  }

  /**
   * The row as this transaction sees it, without taking a copy: for reading a field or two. The caller must
   * not change it (the committed row may be the one returned).
   */
  peek(id: string): Readonly<T> | null {
    const hit = this.loaded.get(id);
    if (hit) return hit;
    if (this.writes.has(id)) return this.writes.get(id) ?? null;
    return this.table.slot(id)?.row ?? null;
  }

  /** `byIndex` without copies: the rows as this transaction sees them, which the caller must not change. */
  peekByIndex(index: string, key: string, where: (row: Readonly<T>) => boolean): Readonly<T>[] {
    return this.matching(index, key, where, false);
  }

  /** Rows whose index key matches, including this transaction's own writes, re-checked by `where`. */
  byIndex(index: string, key: string, where: (row: T) => boolean = () => true): T[] {
    return this.matching(index, key, where, true);
  }

  private matching(index: string, key: string, where: (row: T) => boolean, copy: boolean): T[] {
    this.indexWrites();
    const written = this.writtenIndex.get(index)?.get(key);
    const done = written?.size ? new Set<string>() : null;
    const out: T[] = [];
    for (const slot of this.table.lookup(index, key)) {
      const base = slot.row;
      if (!base) continue;
      done?.add(base.id);
      // test the committed row before copying it: most rows a lookup passes over are never copied
      if (copy && !this.loaded.has(base.id) && !this.writes.has(base.id) && !where(base)) continue;
      const r = this.fromSlot(slot, copy);
      if (r && where(r)) out.push(r);
    }
    if (written) {
      for (const id of written) {
        if (done?.has(id)) continue;
        const r = copy ? this.get(id) : (this.peek(id) as T | null);
        if (r && where(r)) out.push(r);
      }
    }
    return out;
  }

  /** Whether the row exists as this transaction sees it (no copy taken). */
  private exists(id: string): boolean {
    if (this.writes.has(id)) return this.writes.get(id) !== null;
    if (this.loaded.has(id)) return true;
    return this.table.has(id);
  }

  byUnique(name: string, key: string): T | null {
    const u = this.table.uniqueList.find((x) => x.name === name);
    return u ? this.uniqueRow(u, key, true) : null;
  }

  /** Whether a row has `key` for unique constraint `u`, as this transaction sees it (no copy taken). */
  private taken(u: Table<T>['uniqueList'][number], key: string): boolean {
    return this.uniqueRow(u, key, false) !== null;
  }

  /** The row holding `key` for unique constraint `u` as this transaction sees it: a copy, or a view. */
  private uniqueRow(u: Table<T>['uniqueList'][number], key: string, copy: boolean): T | null {
    const written = this.writtenUnique.get(u.name)?.get(key);
    if (written !== undefined) {
      const w = this.writes.get(written);
      if (w && u.fn(w) === key) return copy ? this.get(written) : w;
    }
    const slot = u.filter.mayHave(key) ? u.map.get(key) : undefined;
    if (!slot?.row || this.writes.get(slot.row.id) === null) return null;
    const r = this.fromSlot(slot, copy);
    return r && u.fn(r) === key ? r : null;
  }

  /** Every row (committed or written here) in id order, filtered; `peek`: as views, not copies (read-only). */
  scan(
    where: (row: T) => boolean,
    opts: { afterId?: string | null; limit?: number; peek?: boolean } = {},
  ): T[] {
    const order = this.table.ordered();
    let sorted = order.ids;
    /** slots at the positions of `sorted`, while it is the table's own order */
    let slots: Slot<T>[] | null = order.slots;
    if (this.inserted.size) {
      sorted = [...new Set([...sorted, ...this.inserted])].sort();
      slots = null;
    }
    let start = 0;
    if (opts.afterId) {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((sorted[mid] as string) <= opts.afterId) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const out: T[] = [];
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const copy = !opts.peek;
    for (let i = start; i < sorted.length && out.length < limit; i++) {
      let r: T | null;
      const slot = slots?.[i];
      if (slot) {
        const base = slot.row;
        if (!base) continue;
        if (!this.loaded.has(base.id) && !this.writes.has(base.id) && !where(base)) continue;
        r = this.fromSlot(slot, copy);
      } else {
        const id = sorted[i] as string;
        r = copy ? this.get(id) : (this.peek(id) as T | null);
      }
      if (r && where(r)) out.push(r);
    }
    return out;
  }

  /** The first write that failed here: like a database, the transaction is then poisoned (see UnitOfWork). */
  failure: unknown = null;

  private fail(e: unknown): never {
    this.failure ??= e;
    throw e;
  }

  insert(row: T): void {
    try {
      this.insertRow(row);
    } catch (e) {
      this.fail(e);
    }
  }

  update(row: T): void {
    try {
      this.updateRow(row);
    } catch (e) {
      this.fail(e);
    }
  }

  private insertRow(row: T): void {
    this.onWrite();
    this.insertsCheckedAt ??= this.table.commits;
    if (this.exists(row.id)) throw duplicateKey(this.table.spec.name, 'id');
    const uniqueList = this.table.uniqueList;
    const keys: (string | null)[] = [];
    for (let i = 0; i < uniqueList.length; i++) {
      const u = uniqueList[i] as (typeof uniqueList)[number];
      const k = u.fn(row);
      if (k !== null && this.taken(u, k)) throw duplicateKey(this.table.spec.name, u.name);
      keys.push(k);
    }
    const stored = cloneDeep(row);
    // A committed row deleted here and inserted again replaces that row at commit (its delete recorded what
    // was seen of it): it is not a new id.
    const replaces = this.writes.get(row.id) === null && this.seen.get(row.id)?.slot;
    this.writes.set(row.id, stored);
    this.remember(stored, keys);
    if (!replaces) this.inserted.add(row.id);
    this.loaded.set(row.id, row);
  }

  private updateRow(row: T): void {
    this.onWrite();
    const id = row.id;
    let current: T | null | undefined;
    if (this.writes.has(id)) current = this.writes.get(id);
    else {
      const seen = this.seen.get(id);
      const slot = seen?.slot?.row ? seen.slot : this.table.slot(id);
      current = slot?.row;
      if (slot && current && !seen) this.seen.set(id, { slot, version: current.version });
    }
    if (!current) throw new ConcurrencyConflict(this.table.spec.name, id);
    if (this.table.spec.versioned !== false && current.version !== row.version) {
      throw new ConcurrencyConflict(this.table.spec.name, id);
    }
    // a unique key changed by the update must be free, as a database's constraint would say at once
    for (const { name, fn } of this.table.uniqueList) {
      const k = fn(row);
      if (k === null || k === fn(current)) continue;
      const owner = this.byUnique(name, k);
      if (owner && owner.id !== id) throw duplicateKey(this.table.spec.name, name);
      // an inserted row's new key is checked again at commit, against what others committed meanwhile
      if (this.inserted.has(id)) this.insertsCheckedAt = -1;
    }
    if (this.table.spec.versioned !== false && typeof row.version === 'number') row.version += 1;
    const stored = cloneDeep(row);
    this.writes.set(id, stored);
    this.remember(stored);
    this.loaded.set(id, row);
  }

  /**
   * Keys of a row written here, so that this transaction's lookups find it. Index keys are worked out when
   * the transaction first looks something up by index after writing (many write without looking); unique
   * keys at once (every insert looks them up).
   */
  private remember(row: T, uniqueKeys?: readonly (string | null)[]): void {
    this.unindexed.push(row);
    const uniqueList = this.table.uniqueList;
    for (let i = 0; i < uniqueList.length; i++) {
      const { name, fn } = uniqueList[i] as (typeof uniqueList)[number];
      const k = uniqueKeys ? (uniqueKeys[i] as string | null) : fn(row);
      if (k === null) continue;
      let m = this.writtenUnique.get(name);
      if (!m) {
        m = new Map();
        this.writtenUnique.set(name, m);
      }
      m.set(k, row.id);
    }
  }

  private indexWrites(): void {
    if (this.unindexed.length === 0) return;
    for (const row of this.unindexed) this.indexWrite(row);
    this.unindexed.length = 0;
  }

  private indexWrite(row: T): void {
    const committed = this.seen.get(row.id)?.slot?.row;
    for (const { name, fn } of this.table.indexList) {
      const k = fn(row);
      if (k === null || (committed && typeof k === 'string' && fn(committed) === k)) continue; // found via the committed index
      let m = this.writtenIndex.get(name);
      if (!m) {
        m = new Map();
        this.writtenIndex.set(name, m);
      }
      for (const key of typeof k === 'string' ? [k] : k) {
        const set = m.get(key);
        if (set) set.add(row.id);
        else m.set(key, new Set<string>().add(row.id));
      }
    }
  }

  delete(id: string): void {
    this.onWrite();
    if (!this.inserted.has(id) && !this.seen.has(id)) {
      const slot = this.table.slot(id) ?? null;
      this.seen.set(id, { slot, version: slot?.row?.version });
    }
    this.writes.set(id, null);
    this.loaded.delete(id);
  }

  /** Throws if a row this transaction changed was changed by another commit since it was read. */
  check(): void {
    // No commit changed the table since the inserts were checked: they hold as checked.
    const recheckInserts = this.insertsCheckedAt !== this.table.commits;
    for (const [id, row] of this.writes) {
      if (this.inserted.has(id)) {
        if (!recheckInserts) continue;
        if (this.table.has(id)) throw duplicateKey(this.table.spec.name, 'id');
        for (const { name, fn, map, filter } of this.table.uniqueList) {
          const k = fn(row as T);
          const owner = k === null || !filter.mayHave(k) ? undefined : map.get(k)?.row?.id;
          if (owner !== undefined && owner !== id && this.writes.get(owner) !== null) {
            throw duplicateKey(this.table.spec.name, name);
          }
        }
      } else {
        const seen = this.seen.get(id);
        const slot = seen?.slot?.row ? seen.slot : this.table.slot(id);
        const base = slot?.row ?? undefined;
        if (base?.version !== seen?.version || (!base && row !== null)) {
          throw new ConcurrencyConflict(this.table.spec.name, id);
        }
      }
    }
  }

  commit(): void {
    if (this.writes.size === 0) return;
    for (const [id, row] of this.writes) {
      if (row === null) this.table.remove(id);
      // an insert was checked (id free) against the table as it is now: check() ran just before
      else this.table.put(row, this.inserted.has(id) ? 'new' : (this.seen.get(id)?.slot ?? undefined));
    }
    this.table.commits += 1;
  }
}
