import { ConcurrencyConflict, ConflictError } from '../../shared/domain-error.js';

/** Deep copy that keeps entity prototypes, Dates, arrays and plain objects (what our entities hold). */
export function cloneDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map(cloneDeep) as T;
  const out = Object.create(Object.getPrototypeOf(value));
  for (const k of Object.keys(value)) out[k] = cloneDeep((value as Record<string, unknown>)[k]);
  return out;
}

export interface TableSpec<T> {
  name: string;
  /** secondary indexes: name → keys of a row (none: not indexed) */
  indexes?: Record<string, (row: T) => string | readonly string[] | null>;
  /** unique constraints: name → key of a row */
  unique?: Record<string, (row: T) => string | null>;
  versioned?: boolean;
}

type Row = { id: string; version?: number };

/** Committed rows of one table with maintained secondary indexes. */
export class Table<T extends Row> {
  readonly rows = new Map<string, T>();
  private readonly idx = new Map<string, Map<string, Set<string>>>();
  private readonly uniq = new Map<string, Map<string, string>>();
  private sortedIds: string[] | null = null;

  constructor(readonly spec: TableSpec<T>) {
    for (const n of Object.keys(spec.indexes ?? {})) this.idx.set(n, new Map());
    for (const n of Object.keys(spec.unique ?? {})) this.uniq.set(n, new Map());
  }

  lookup(index: string, key: string): Iterable<string> {
    return this.idx.get(index)?.get(key) ?? [];
  }

  uniqueOwner(name: string, key: string): string | undefined {
    return this.uniq.get(name)?.get(key);
  }

  /** Ids in ascending order (for cursor pagination). */
  ids(): string[] {
    if (!this.sortedIds) this.sortedIds = [...this.rows.keys()].sort();
    return this.sortedIds;
  }

  put(row: T): void {
    const old = this.rows.get(row.id);
    if (old) this.unindex(old);
    else this.sortedIds = null;
    this.rows.set(row.id, row);
    this.index(row);
  }

  private keysOf(fn: (row: T) => string | readonly string[] | null, row: T): readonly string[] {
    const k = fn(row);
    return k === null ? [] : typeof k === 'string' ? [k] : k;
  }

  private index(row: T): void {
    for (const [n, fn] of Object.entries(this.spec.indexes ?? {})) {
      const m = this.idx.get(n) as Map<string, Set<string>>;
      for (const k of this.keysOf(fn, row)) {
        const s = m.get(k) ?? new Set<string>();
        m.set(k, s);
        s.add(row.id);
      }
    }
    for (const [n, fn] of Object.entries(this.spec.unique ?? {})) {
      const k = fn(row);
      if (k !== null) this.uniq.get(n)?.set(k, row.id);
    }
  }

  private unindex(row: T): void {
    for (const [n, fn] of Object.entries(this.spec.indexes ?? {})) {
      const m = this.idx.get(n) as Map<string, Set<string>>;
      for (const k of this.keysOf(fn, row)) {
        const s = m.get(k);
        s?.delete(row.id);
        if (s && s.size === 0) m.delete(k);
      }
    }
    for (const [n, fn] of Object.entries(this.spec.unique ?? {})) {
      const k = fn(row);
      if (k !== null && this.uniq.get(n)?.get(k) === row.id) this.uniq.get(n)?.delete(k);
    }
  }

  remove(id: string): void {
    const old = this.rows.get(id);
    if (!old) return;
    this.unindex(old);
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

  /** Rows whose index key matches, including this transaction's own writes, re-checked by `where`. */
  byIndex(index: string, key: string, where: (row: T) => boolean = () => true): T[] {
    const ids = new Set(this.table.lookup(index, key));
    for (const id of this.writes.keys()) ids.add(id);
    const out: T[] = [];
    for (const id of ids) {
      const r = this.get(id);
      if (r && where(r)) out.push(r);
    }
    return out;
  }

  byUnique(name: string, key: string): T | null {
    for (const [id, w] of this.writes) {
      if (w && this.table.spec.unique?.[name]?.(w) === key) return this.get(id);
    }
    const id = this.table.uniqueOwner(name, key);
    if (!id || this.writes.get(id) === null) return null;
    const r = this.get(id);
    return r && this.table.spec.unique?.[name]?.(r) === key ? r : null;
  }

  /** Every row (committed or written here) in id order, filtered. */
  scan(where: (row: T) => boolean, opts: { afterId?: string | null; limit?: number } = {}): T[] {
    const ids = new Set(this.table.ids());
    for (const id of this.writes.keys()) ids.add(id);
    const sorted = this.writes.size ? [...ids].sort() : this.table.ids();
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
      const r = this.get(sorted[i] as string);
      if (r && where(r)) out.push(r);
    }
    return out;
  }

  insert(row: T): void {
    this.onWrite();
    if (this.get(row.id)) throw duplicateKey(this.table.spec.name, 'id');
    for (const [n, fn] of Object.entries(this.table.spec.unique ?? {})) {
      const k = fn(row);
      if (k !== null && this.byUnique(n, k)) throw duplicateKey(this.table.spec.name, n);
    }
    const stored = cloneDeep(row);
    this.writes.set(row.id, stored);
    this.inserted.add(row.id);
    this.loaded.set(row.id, row);
  }

  update(row: T): void {
    this.onWrite();
    const current = this.writes.has(row.id) ? this.writes.get(row.id) : this.table.rows.get(row.id);
    if (!current) throw new ConcurrencyConflict(this.table.spec.name, row.id);
    if (this.table.spec.versioned !== false && current.version !== row.version) {
      throw new ConcurrencyConflict(this.table.spec.name, row.id);
    }
    if (!this.seenVersion.has(row.id) && !this.inserted.has(row.id))
      this.seenVersion.set(row.id, current.version);
    if (this.table.spec.versioned !== false && typeof row.version === 'number') row.version += 1;
    this.writes.set(row.id, cloneDeep(row));
    this.loaded.set(row.id, row);
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
        for (const [n, fn] of Object.entries(this.table.spec.unique ?? {})) {
          const k = fn(this.writes.get(id) as T);
          const owner = k === null ? undefined : this.table.uniqueOwner(n, k);
          if (owner !== undefined && owner !== id && this.writes.get(owner) !== null) {
            throw duplicateKey(this.table.spec.name, n);
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
