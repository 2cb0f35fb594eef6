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
      return `v = s[${key}]; o[${key}] = v === null || typeof v !== 'object' || v instanceof Date ? v : deep(v);`;
    })
    .join('\n');
  // keys are data (a row's own property names): quoted by JSON.stringify, never spliced in as code
  const clone = new Function(
    'deep',
    'P',
    `return function clone(s) { const o = Object.create(P); let v;\n${body}\nreturn o; };`,
  )(cloneDeep, proto) as (value: object) => object;
  const count = keys.length;
  const known = new Set(keys);
  // same number of own enumerable fields, each one of the compiled ones: then they are the same fields
  const fits = (value: object) => {
    let n = 0;
    for (const k in value) {
      if (!known.has(k) || !Object.hasOwn(value, k)) return false;
      n += 1;
    }
    return n === count;
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

/** Committed rows of one table with maintained secondary indexes. */
export class Table<T extends Row> {
  readonly rows = new Map<string, T>();
  readonly indexList: Array<{ name: string; fn: KeyFn<T>; map: Map<string, Set<string>> }>;
  readonly uniqueList: Array<{ name: string; fn: (row: T) => string | null; map: Map<string, string> }>;
  private readonly byName = new Map<string, Map<string, Set<string>>>();
  private readonly uniqueByName = new Map<string, Map<string, string>>();
  private sortedIds: string[] | null = null;
  private lastSeq = 0;

  constructor(readonly spec: TableSpec<T>) {
    this.indexList = Object.entries(spec.indexes ?? {}).map(([name, fn]) => ({ name, fn, map: new Map() }));
    this.uniqueList = Object.entries(spec.unique ?? {}).map(([name, fn]) => ({ name, fn, map: new Map() }));
    for (const i of this.indexList) this.byName.set(i.name, i.map);
    for (const u of this.uniqueList) this.uniqueByName.set(u.name, u.map);
  }

  lookup(index: string, key: string): Iterable<string> {
    return this.byName.get(index)?.get(key) ?? [];
  }

  uniqueOwner(name: string, key: string): string | undefined {
    return this.uniqueByName.get(name)?.get(key);
  }

  /** Ids in ascending order (for cursor pagination). */
  ids(): string[] {
    if (!this.sortedIds) this.sortedIds = [...this.rows.keys()].sort();
    return this.sortedIds;
  }

  put(row: T): void {
    const old = this.rows.get(row.id);
    if (!old) this.sortedIds = null;
    const seqField = this.spec.sequence;
    if (seqField) {
      const r = row as unknown as Record<string, number | null>;
      if (r[seqField] === null || r[seqField] === undefined) r[seqField] = ++this.lastSeq;
      else this.lastSeq = Math.max(this.lastSeq, r[seqField] as number);
    }
    this.rows.set(row.id, row);
    for (const { fn, map } of this.indexList) {
      const rawBefore = old ? fn(old) : null;
      const rawAfter = fn(row);
      if (rawBefore === rawAfter) continue; // the common case: same string key, or none
      const before = rawBefore === null ? [] : typeof rawBefore === 'string' ? [rawBefore] : rawBefore;
      const after = rawAfter === null ? [] : typeof rawAfter === 'string' ? [rawAfter] : rawAfter;
      if (sameKeys(before, after)) continue;
      for (const k of before) {
        const set = map.get(k);
        set?.delete(row.id);
        if (set && set.size === 0) map.delete(k);
      }
      for (const k of after) {
        const set = map.get(k);
        if (set) set.add(row.id);
        else map.set(k, new Set([row.id]));
      }
    }
    for (const { fn, map } of this.uniqueList) {
      const before = old ? fn(old) : null;
      const after = fn(row);
      if (before === after) continue;
      if (before !== null && map.get(before) === row.id) map.delete(before);
      if (after !== null) map.set(after, row.id);
    }
  }

  remove(id: string): void {
    const old = this.rows.get(id);
    if (!old) return;
    for (const { fn, map } of this.indexList) {
      for (const k of keysOf(fn, old)) {
        const set = map.get(k);
        set?.delete(id);
        if (set && set.size === 0) map.delete(k);
      }
    }
    for (const { fn, map } of this.uniqueList) {
      const k = fn(old);
      if (k !== null && map.get(k) === id) map.delete(k);
    }
    this.rows.delete(id);
    this.sortedIds = null;
  }
}

export const duplicateKey = (table: string, constraint: string) =>
  new ConflictError('duplicate-key', `A ${table} with the same ${constraint} already exists.`, {
    table,
    constraint,
  });

/**
 * One transaction's view of a table: an identity map over the committed rows plus a write set, applied
 * atomically at commit after an optimistic version check.
 */
export class TxTable<T extends Row> {
  private readonly loaded = new Map<string, T>();
  private readonly writes = new Map<string, T | null>();
  private readonly inserted = new Set<string>();
  /** committed version seen when the row was first read (optimistic check at commit) */
  private readonly seenVersion = new Map<string, number | undefined>();
  /** index and unique keys of the rows written here, so lookups need not scan the write set */
  private readonly writtenIndex = new Map<string, Map<string, Set<string>>>();
  private readonly writtenUnique = new Map<string, Map<string, string>>();

  constructor(
    readonly table: Table<T>,
    private readonly onWrite: () => void,
  ) {}

  get(id: string): T | null {
    const hit = this.loaded.get(id);
    if (hit) return hit;
    if (this.writes.has(id)) {
      const w = this.writes.get(id);
      if (!w) return null;
      const c = cloneDeep(w);
      this.loaded.set(id, c);
      return c;
    }
    const base = this.table.rows.get(id);
    if (!base) return null;
    const c = cloneDeep(base);
    this.loaded.set(id, c);
    if (!this.seenVersion.has(id)) this.seenVersion.set(id, base.version);
    return c;
  }

  /**
   * The row as this transaction sees it, without taking a copy: for reading a field or two. The caller must
   * not change it (the committed row may be the one returned).
   */
  peek(id: string): Readonly<T> | null {
    const hit = this.loaded.get(id);
    if (hit) return hit;
    if (this.writes.has(id)) return this.writes.get(id) ?? null;
    return this.table.rows.get(id) ?? null;
  }

  /** `byIndex` without copies: the rows as this transaction sees them, which the caller must not change. */
  peekByIndex(index: string, key: string, where: (row: Readonly<T>) => boolean): Readonly<T>[] {
    const written = this.writtenIndex.get(index)?.get(key);
    let ids: Iterable<string> = this.table.lookup(index, key);
    if (written?.size) ids = new Set([...ids, ...written]);
    const out: Readonly<T>[] = [];
    for (const id of ids) {
      const r = this.peek(id);
      if (r && where(r)) out.push(r);
    }
    return out;
  }

  /** Rows whose index key matches, including this transaction's own writes, re-checked by `where`. */
  byIndex(index: string, key: string, where: (row: T) => boolean = () => true): T[] {
    const written = this.writtenIndex.get(index)?.get(key);
    let ids: Iterable<string> = this.table.lookup(index, key);
    if (written?.size) {
      const all = new Set(ids);
      for (const id of written) all.add(id);
      ids = all;
    }
    const out: T[] = [];
    for (const id of ids) {
      if (!this.mightMatch(id, where)) continue;
      const r = this.get(id);
      if (r && where(r)) out.push(r);
    }
    return out;
  }

  /** Whether the row exists as this transaction sees it (no copy taken). */
  private exists(id: string): boolean {
    if (this.loaded.has(id)) return true;
    if (this.writes.has(id)) return this.writes.get(id) !== null;
    return this.table.rows.has(id);
  }

  /** Test the committed row before copying it: most rows a scan passes over are never copied. */
  private mightMatch(id: string, where: (row: T) => boolean): boolean {
    if (this.loaded.has(id) || this.writes.has(id)) return true;
    const base = this.table.rows.get(id);
    return base !== undefined && where(base);
  }

  byUnique(name: string, key: string): T | null {
    const written = this.writtenUnique.get(name)?.get(key);
    if (written !== undefined) {
      const w = this.writes.get(written);
      if (w && this.table.spec.unique?.[name]?.(w) === key) return this.get(written);
    }
    const id = this.table.uniqueOwner(name, key);
    if (!id || this.writes.get(id) === null) return null;
    const r = this.get(id);
    return r && this.table.spec.unique?.[name]?.(r) === key ? r : null;
  }

  /** Every row (committed or written here) in id order, filtered; `peek`: as views, not copies (read-only). */
  scan(
    where: (row: T) => boolean,
    opts: { afterId?: string | null; limit?: number; peek?: boolean } = {},
  ): T[] {
    let sorted = this.table.ids();
    if (this.inserted.size) sorted = [...new Set([...sorted, ...this.inserted])].sort();
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
    for (let i = start; i < sorted.length && out.length < limit; i++) {
      const id = sorted[i] as string;
      if (!this.mightMatch(id, where)) continue;
      const r = opts.peek ? (this.peek(id) as T | null) : this.get(id);
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
    if (this.exists(row.id)) throw duplicateKey(this.table.spec.name, 'id');
    for (const { name, fn } of this.table.uniqueList) {
      const k = fn(row);
      if (k !== null && this.byUnique(name, k)) throw duplicateKey(this.table.spec.name, name);
    }
    const stored = cloneDeep(row);
    this.writes.set(row.id, stored);
    this.remember(stored);
    this.inserted.add(row.id);
    this.loaded.set(row.id, row);
  }

  private updateRow(row: T): void {
    this.onWrite();
    const current = this.writes.has(row.id) ? this.writes.get(row.id) : this.table.rows.get(row.id);
    if (!current) throw new ConcurrencyConflict(this.table.spec.name, row.id);
    if (this.table.spec.versioned !== false && current.version !== row.version) {
      throw new ConcurrencyConflict(this.table.spec.name, row.id);
    }
    if (!this.seenVersion.has(row.id) && !this.inserted.has(row.id))
      this.seenVersion.set(row.id, current.version);
    if (this.table.spec.versioned !== false && typeof row.version === 'number') row.version += 1;
    const stored = cloneDeep(row);
    this.writes.set(row.id, stored);
    this.remember(stored);
    this.loaded.set(row.id, row);
  }

  private remember(row: T): void {
    const committed = this.table.rows.get(row.id);
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
        else m.set(key, new Set([row.id]));
      }
    }
    for (const { name, fn } of this.table.uniqueList) {
      const k = fn(row);
      if (k === null) continue;
      let m = this.writtenUnique.get(name);
      if (!m) {
        m = new Map();
        this.writtenUnique.set(name, m);
      }
      m.set(k, row.id);
    }
  }

  delete(id: string): void {
    this.onWrite();
    if (!this.inserted.has(id) && !this.seenVersion.has(id))
      this.seenVersion.set(id, this.table.rows.get(id)?.version);
    this.writes.set(id, null);
    this.loaded.delete(id);
  }

  /** Throws if a row this transaction changed was changed by another commit since it was read. */
  check(): void {
    for (const id of this.writes.keys()) {
      const base = this.table.rows.get(id);
      if (this.inserted.has(id)) {
        if (base) throw duplicateKey(this.table.spec.name, 'id');
        for (const { name, fn, map } of this.table.uniqueList) {
          const k = fn(this.writes.get(id) as T);
          const owner = k === null ? undefined : map.get(k);
          if (owner !== undefined && owner !== id && this.writes.get(owner) !== null) {
            throw duplicateKey(this.table.spec.name, name);
          }
        }
      } else if (base?.version !== this.seenVersion.get(id) || (!base && this.writes.get(id) !== null)) {
        throw new ConcurrencyConflict(this.table.spec.name, id);
      }
    }
  }

  commit(): void {
    for (const [id, row] of this.writes) {
      if (row === null) this.table.remove(id);
      else this.table.put(row);
    }
  }
}
