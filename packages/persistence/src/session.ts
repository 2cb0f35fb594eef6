import { ConcurrencyConflict } from '@billing-center/core';
import {
  DriverException,
  type EntityProperty,
  type EntitySchema,
  type FilterQuery,
  type FindOptions,
  JsonType,
  LockMode,
} from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { toDomainError } from './driver-errors.js';
import { parsePgTimestamp } from './pg-timestamp.js';

export type Dialect = 'postgresql' | 'sqlite';
type Row = { id: string };
// MikroORM's generic find/insert typings do not resolve for a generic entity type: the session is typed at
// its edges (schema in, entity out) and talks to the EntityManager untyped.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Loose = any;

interface Writer {
  table: string;
  idColumn: EntityProperty;
  versionColumn: EntityProperty | null;
  /** every mapped property but id and version */
  props: EntityProperty[];
  /** `"col" = ?` for every column but id and version */
  assignments: string;
  cols: string[];
  toDb: (p: EntityProperty, v: unknown) => unknown;
}

/** Rows per statement for IN lists and multi-row inserts (SQLite allows fewer bound variables). */
export const chunkSize = (dialect: Dialect, columns: number) =>
  Math.max(1, Math.floor((dialect === 'postgresql' ? 60_000 : 30_000) / Math.max(1, columns)));

/**
 * The element type of a bulk `?::type[]` parameter. Lengths are left out: an explicit cast to varchar(n)
 * truncates silently, while the assignment into the column raises an error for an over-long value.
 */
function castType(columnType: string | undefined): string {
  return (columnType ?? 'text').replace(/^(varchar|character varying|char|character)\(\d+\)$/i, '$1');
}

/**
 * Rows as one JSON parameter for PostgreSQL's `json_to_recordset`: `from` declares the record's columns
 * (JSON columns travel as text and are cast back in `select`), `param` is the document.
 */
function pgRecordset(
  props: readonly EntityProperty[],
  rows: readonly object[],
  toDb: (p: EntityProperty, v: unknown) => unknown,
): { select: string; from: string; param: string } {
  const names = props.map((p) => p.fieldNames[0] as string);
  const types = props.map((p) => castType(p.columnTypes[0]));
  const select = names.map((n) => `x."${n}"`).join(', ');
  const from = `json_to_recordset(?::json) as x(${names.map((n, i) => `"${n}" ${types[i]}`).join(', ')})`;
  // How each column's value is written, worked out once per call: most need no conversion; a JSON column's
  // value goes into the document itself (no string inside a string), which JSON.stringify writes as
  // MikroORM's JsonType would (dates as ISO strings); other custom types are converted.
  const kinds = props.map((p) =>
    p.customType instanceof JsonType ? 'json' : p.customType ? 'custom' : 'plain',
  );
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const e = rows[r] as Record<string, unknown>;
    const o: Record<string, unknown> = {};
    for (let i = 0; i < props.length; i++) {
      const raw = e[(props[i] as EntityProperty).name];
      // a column missing from a record is NULL to json_to_recordset: nulls are left out of the document
      if (raw === null || raw === undefined) continue;
      const kind = kinds[i];
      const v = kind === 'plain' || kind === 'json' ? raw : toDb(props[i] as EntityProperty, raw);
      o[names[i] as string] = v instanceof Date ? v.toISOString() : v;
    }
    out[r] = o;
  }
  return { select, from, param: JSON.stringify(out) };
}

/** A PostgreSQL array literal (`{"a",NULL,"b"}`) of column values, for `?::type[]` parameters. */
function pgArray(values: readonly unknown[]): string {
  const item = (v: unknown) => {
    if (v === null || v === undefined) return 'NULL';
    const text = v instanceof Date ? v.toISOString() : String(v);
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  };
  return `{${values.map(item).join(',')}}`;
}

const PG_LOCK_CLAUSES: Partial<Record<LockMode, string>> = {
  [LockMode.PESSIMISTIC_READ]: 'for share',
  [LockMode.PESSIMISTIC_WRITE]: 'for update',
  [LockMode.PESSIMISTIC_PARTIAL_READ]: 'for share skip locked',
  [LockMode.PESSIMISTIC_PARTIAL_WRITE]: 'for update skip locked',
  [LockMode.PESSIMISTIC_READ_OR_FAIL]: 'for share nowait',
  [LockMode.PESSIMISTIC_WRITE_OR_FAIL]: 'for update nowait',
};

/** The part of a `pg` client a transaction uses. */
export interface PgConnection {
  query(
    text: string | { name?: string; text: string; values?: unknown[] },
    values?: unknown[],
  ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** Most distinct statements a process prepares on each connection; any further ones run unnamed. */
export const MAX_PREPARED_STATEMENTS = 200;
const statementNames = new Map<string, string>();

/**
 * The statements this package writes itself run as named prepared statements: PostgreSQL parses and plans
 * each one once per connection instead of on every execution (a page of workspaces cost the server ~0.5 ms
 * of planning each time, more than running it). Their text never holds a value, only placeholders, so
 * there are few of them; selects name their columns (no `*`), so a migration that adds a column does not
 * break a statement prepared before it ("cached plan must not change result type").
 */
export function preparedStatement(
  text: string,
  values: unknown[],
): { name?: string; text: string; values: unknown[] } {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `bc_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name === undefined ? { text, values } : { name, text, values };
}

const columnLists = new WeakMap<object, string>();

/** `"id", "name", …`: every mapped column of an entity, for the hand-written selects. */
function columnListOf(meta: { properties: Record<string, { fieldNames: string[] }> }): string {
  let list = columnLists.get(meta);
  if (list === undefined) {
    list = Object.values(meta.properties)
      .map((p) => `"${p.fieldNames[0]}"`)
      .join(', ');
    columnLists.set(meta, list);
  }
  return list;
}

/**
 * `?` placeholders (as knex and MikroORM write them) to PostgreSQL's `$1, $2, …`. Only for the statements
 * this package writes itself: none has a `?` inside a literal or an identifier.
 */
export function toNumberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => {
    n += 1;
    return `$${n}`;
  });
}

/** `MeteringRecord` → `metering record`, as the core's errors name entities. */
const labelOf = (schema: EntitySchema<Row>) =>
  schema.meta.className.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** `{ [key]: … }` and nothing else. */
function isOnly(value: unknown, key: string): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Date || Array.isArray(value))
    return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One unit of work's view of the database: the transaction's EntityManager fork plus an identity map per
 * entity type, so that loading a row twice in one transaction gives the same object (as the in-memory
 * adapter does). Reads bypass MikroORM's own identity map and change tracking: nothing is written at
 * commit that a repository did not write explicitly, and `save` checks the version immediately.
 */
export class Session {
  private readonly maps = new Map<string, Map<string, object>>();
  private readonly hints = new Map<string, Set<string>>();
  private readonly results = new Map<string, Map<string, unknown>>();
  /**
   * The accounts whose workspaces this unit of work wrote (or tried to): once it has ended, the unit of
   * work reports them to this process's read cache (the database tells other processes, at commit).
   */
  readonly workspaceOwnersWritten = new Set<string>();
  /** Column values as last read or written here, per entity: updates write only what changed since. */
  private readonly snapshots = new WeakMap<object, unknown[] | (() => unknown[])>();

  constructor(
    readonly em: SqlEntityManager,
    readonly dialect: Dialect,
    readonly database: string,
    /** PostgreSQL: the pooled connection this transaction runs on (statements go to it directly). */
    private readonly pg: PgConnection | null = null,
  ) {}

  private mapOf(schema: EntitySchema<Row>): Map<string, object> {
    const name = schema.meta.className;
    let m = this.maps.get(name);
    if (!m) {
      m = new Map();
      this.maps.set(name, m);
    }
    return m;
  }

  /** After a write, the object written is the transaction's copy of its row (what later reads return). */
  private adopt<T extends Row>(schema: EntitySchema<T>, entity: T): void {
    this.mapOf(schema as unknown as EntitySchema<Row>).set(entity.id, entity);
  }

  /** The transaction's copy of a row: an object already loaded here wins over the fresh one. */
  track<T extends Row>(schema: EntitySchema<T>, entity: T): T {
    const m = this.mapOf(schema as unknown as EntitySchema<Row>);
    const hit = m.get(entity.id);
    if (hit) return hit as T;
    m.set(entity.id, entity);
    return entity;
  }

  /**
   * Read-ahead for use cases that load a batch and then walk it one by one (RecordUsage: each workspace's
   * bindings, then each binding's cloud account). A repository notes the ids it will likely be asked about
   * (`hint`); on the first miss it loads them all with one IN query (`takeHints`) and keeps the results for
   * this transaction (`remember`/`recalled`), forgotten as soon as that table is written (`forget`).
   */
  hint(kind: string, ids: Iterable<string>): void {
    let set = this.hints.get(kind);
    if (!set) {
      set = new Set();
      this.hints.set(kind, set);
    }
    for (const id of ids) set.add(id);
  }

  takeHints(kind: string, id: string): string[] | null {
    const set = this.hints.get(kind);
    if (!set?.has(id)) return null;
    this.hints.delete(kind);
    return [...set];
  }

  remember(kind: string, key: string, value: unknown): void {
    let m = this.results.get(kind);
    if (!m) {
      m = new Map();
      this.results.set(kind, m);
    }
    m.set(key, value);
  }

  recalled<V>(kind: string, key: string): V | undefined {
    return this.results.get(kind)?.get(key) as V | undefined;
  }

  forget(kind: string): void {
    this.results.delete(kind);
    this.hints.delete(kind);
  }

  /**
   * The first statement that failed in this transaction. A failed statement aborts a PostgreSQL
   * transaction, so the unit of work fails even if the work caught the error (the port's contract).
   */
  failure: unknown = null;
  /** Set for `UnitOfWork.read`: every write throws. */
  readOnly = false;

  private assertWritable(): void {
    if (this.readOnly)
      throw new Error('a write inside UnitOfWork.read: use transaction for work that writes');
  }

  async run<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (e) {
      // raw statements (the bulk paths) reach here unconverted: let the driver classify them first
      const converted =
        e instanceof DriverException || !(e instanceof Error) ? e : this.em.getDriver().convertException(e);
      const error = toDomainError(converted, this.database);
      this.failure ??= error;
      throw error;
    }
  }

  /**
   * Runs a hand-written statement. On PostgreSQL the values travel as real bind parameters through knex:
   * MikroORM's `execute` would first inline them into the SQL text, escaping every character of the bulk
   * paths' array literals in JavaScript (that took ~90% of a 3,000-row insert).
   */
  private async raw<R>(sql: string, params: unknown[], method: 'all' | 'run'): Promise<R> {
    if (this.pg) {
      const result = await this.pg.query(preparedStatement(toNumberedPlaceholders(sql), params));
      return (method === 'all' ? result.rows : { affectedRows: result.rowCount }) as R;
    }
    const connection = this.em.getConnection();
    const ctx = this.em.getTransactionContext();
    if (this.dialect !== 'postgresql') return connection.execute(sql, params as Loose, method, ctx) as R;
    const query = connection.getKnex().raw(sql, params as Loose);
    if (ctx) query.transacting(ctx);
    const result = (await query) as { rows: unknown[]; rowCount: number };
    return (method === 'all' ? result.rows : { affectedRows: result.rowCount }) as R;
  }

  /**
   * MikroORM's QueryBuilder turns the filter into SQL; rows are hydrated here, straight into the domain
   * class (no constructor call, as MikroORM does), which costs a fraction of `em.find` on the bulk paths.
   */
  async find<T extends Row>(
    schema: EntitySchema<T>,
    where: FilterQuery<T>,
    options: Pick<FindOptions<T>, 'orderBy' | 'limit' | 'lockMode'> = {},
  ): Promise<T[]> {
    const rows = await this.run(() => {
      const simple = this.pg ? this.simpleSelect(schema, where, options) : null;
      if (simple && this.pg)
        return this.pg.query(preparedStatement(simple.sql, simple.params)).then((r) => r.rows);
      const qb = this.em
        .createQueryBuilder(schema.meta.className)
        .select('*')
        .where(where as Loose);
      if (options.orderBy) qb.orderBy(options.orderBy as Loose);
      if (options.limit !== undefined) qb.limit(options.limit);
      if (this.pg) {
        // MikroORM writes the SQL; the transaction's own connection runs it (no knex transaction layer).
        // The lock clause is added here: MikroORM refuses one outside its own transactions.
        const native = qb.getKnexQuery().toSQL().toNative();
        const clause = options.lockMode === undefined ? undefined : PG_LOCK_CLAUSES[options.lockMode];
        const lock = clause ? ` ${clause}` : '';
        return this.pg.query(native.sql + lock, native.bindings as unknown[]).then((r) => r.rows);
      }
      if (options.lockMode !== undefined) qb.setLockMode(options.lockMode);
      return qb.execute<Record<string, unknown>[]>('all', false);
    });
    return this.toEntities(schema, rows);
  }

  /** Rows as this transaction's entities: hydrated, unless a copy of the row was already loaded here. */
  private toEntities<T extends Row>(schema: EntitySchema<T>, rows: Record<string, unknown>[]): T[] {
    const hydrate = this.hydratorOf(schema);
    const w = this.writerOf(schema);
    return rows.map((r) => {
      const fresh = hydrate(r) as T;
      const e = this.track(schema, fresh);
      // computed on first save only: most rows read are never written (and none in a read-only session)
      if (e === fresh && !this.readOnly) this.snapshots.set(e, () => this.columnValues(w, hydrate(r)));
      return e;
    });
  }

  /**
   * PostgreSQL SQL for the most common filters — equality on columns (or IS [NOT] NULL, or `$gt` on a
   * string: keyset paging), an ORDER BY on columns, a LIMIT — written here without MikroORM's criteria processing (about 0.2 ms of CPU a query). Anything else
   * (operators, relations) returns null and goes through the QueryBuilder.
   */
  private simpleSelect<T extends Row>(
    schema: EntitySchema<T>,
    where: FilterQuery<T>,
    options: Pick<FindOptions<T>, 'orderBy' | 'limit' | 'lockMode'>,
  ): { sql: string; params: unknown[] } | null {
    const meta = this.em.getMetadata().get(schema.meta.className);
    const columnOf = (name: string) => meta.properties[name as keyof typeof meta.properties]?.fieldNames[0];
    const params: unknown[] = [];
    const conditions: string[] = [];
    for (const [name, value] of Object.entries(where as Record<string, unknown>)) {
      const column = columnOf(name);
      if (!column) return null;
      if (value === null) conditions.push(`"${column}" is null`);
      else if (typeof value === 'string' || typeof value === 'number' || value instanceof Date) {
        params.push(value);
        conditions.push(`"${column}" = $${params.length}`);
      } else if (isOnly(value, '$ne') && (value as { $ne: unknown }).$ne === null) {
        conditions.push(`"${column}" is not null`);
      } else if (isOnly(value, '$gt') && typeof (value as { $gt: unknown }).$gt === 'string') {
        // keyset paging: `id > cursor`
        params.push((value as { $gt: string }).$gt);
        conditions.push(`"${column}" > $${params.length}`);
      } else return null;
    }
    let sql = `select ${columnListOf(meta)} from "${meta.tableName}"`;
    if (conditions.length) sql += ` where ${conditions.join(' and ')}`;
    if (options.orderBy) {
      const order: string[] = [];
      for (const [name, direction] of Object.entries(options.orderBy as Record<string, unknown>)) {
        const column = columnOf(name);
        if (!column || (direction !== 'asc' && direction !== 'desc')) return null;
        order.push(`"${column}" ${direction}`);
      }
      if (order.length) sql += ` order by ${order.join(', ')}`;
    }
    if (options.limit !== undefined) {
      params.push(options.limit);
      sql += ` limit $${params.length}`;
    }
    if (options.lockMode !== undefined) {
      const clause = PG_LOCK_CLAUSES[options.lockMode];
      if (clause) sql += ` ${clause}`;
    }
    return { sql, params };
  }

  private columnValues(w: Writer, e: object): unknown[] {
    return w.props.map((p) => {
      const v = w.toDb(p, (e as Record<string, unknown>)[p.name]);
      return v instanceof Date ? v.getTime() : v;
    });
  }

  /** Indexes (into `w.props`) of the columns whose values differ from the snapshot; all without one. */
  private changedColumns(w: Writer, e: object, now: unknown[]): number[] {
    const snapshot = this.snapshots.get(e);
    const before = typeof snapshot === 'function' ? snapshot() : snapshot;
    return w.props.map((_, i) => i).filter((i) => !before || !Object.is(before[i], now[i]));
  }

  private static readonly hydrators = new WeakMap<object, (row: Record<string, unknown>) => object>();

  /** Column values to an entity: dates from epoch ms (SQLite), booleans from 0/1, JSON through its type. */
  private hydratorOf<T extends Row>(schema: EntitySchema<T>): (row: Record<string, unknown>) => object {
    const meta = this.em.getMetadata().get(schema.meta.className);
    const cached = Session.hydrators.get(meta);
    if (cached) return cached;
    const platform = this.em.getPlatform();
    const proto =
      schema.meta.class && schema.meta.className === schema.meta.class.name
        ? schema.meta.class.prototype
        : null;
    const fields = Object.values(meta.properties).map((p) => {
      const column = p.fieldNames[0] as string;
      const type = String(p.type).toLowerCase();
      const convert: (v: unknown) => unknown = p.customType
        ? (v) => (v === null ? null : p.customType?.convertToJSValue(v, platform))
        : type === 'datetime'
          ? (v) =>
              v === null
                ? null
                : v instanceof Date
                  ? v
                  : typeof v === 'string'
                    ? new Date(parsePgTimestamp(v) ?? (/^\d+$/.test(v) ? Number(v) : v))
                    : new Date(v as number)
          : type === 'boolean'
            ? (v) => (v === null ? null : Boolean(v))
            : type === 'integer' || type === 'double'
              ? (v) => (v === null ? null : Number(v))
              : (v) => v;
      return { name: p.name, column, convert };
    });
    const hydrate = (row: Record<string, unknown>) => {
      const e: Record<string, unknown> = proto ? Object.create(proto) : {};
      for (const f of fields) e[f.name] = f.convert(row[f.column] ?? null);
      return e;
    };
    Session.hydrators.set(meta, hydrate);
    return hydrate;
  }

  /**
   * Rows whose `property` is one of `values`, also matching `equals` (property → value) and, if given,
   * `atMost` (property ≤ value). On PostgreSQL: one array parameter and hand-written SQL — the hot bulk
   * reads skip MikroORM's criteria processing and parameter inlining, which cost more than the query.
   */
  async findIn<T extends Row>(
    schema: EntitySchema<T>,
    property: keyof T & string,
    values: readonly string[],
    equals: Partial<Record<keyof T & string, string>> = {},
    atMost?: { property: keyof T & string; value: Date },
  ): Promise<T[]> {
    const unique = [...new Set(values)];
    if (unique.length === 0) return [];
    if (this.dialect !== 'postgresql') {
      const out: T[] = [];
      for (const part of chunks(unique, 1000)) {
        const where: Record<string, unknown> = { ...equals, [property]: { $in: part } };
        if (atMost) where[atMost.property] = { $lte: atMost.value };
        out.push(...(await this.find(schema, where as FilterQuery<T>)));
      }
      return out;
    }
    const meta = this.em.getMetadata().get(schema.meta.className);
    const column = (name: string) =>
      `"${meta.properties[name as keyof typeof meta.properties]?.fieldNames[0]}"`;
    const conditions = Object.keys(equals).map((k) => `${column(k)} = ?`);
    if (atMost) conditions.push(`${column(atMost.property)} <= ?`);
    const sql = `select ${columnListOf(meta)} from "${meta.tableName}" where ${[`${column(property)} = any(?::text[])`, ...conditions].join(' and ')}`;
    const out: T[] = [];
    for (const part of chunks(unique, 5_000)) {
      const params: unknown[] = [pgArray(part), ...Object.values(equals)];
      if (atMost) params.push(atMost.value);
      const rows = await this.run(() => this.raw<Record<string, unknown>[]>(sql, params, 'all'));
      out.push(...this.toEntities(schema, rows));
    }
    return out;
  }

  /** Some columns of the rows with these ids, as plain objects keyed by property (no entities). */
  async columnsIn<T extends Row>(
    schema: EntitySchema<T>,
    properties: ReadonlyArray<keyof T & string>,
    ids: readonly string[],
  ): Promise<Array<Record<string, unknown>>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const meta = this.em.getMetadata().get(schema.meta.className);
    const column = (name: string) => meta.properties[name as keyof typeof meta.properties]?.fieldNames[0];
    const list = properties.map((p) => `"${column(p)}" as "${p}"`).join(', ');
    const out: Array<Record<string, unknown>> = [];
    for (const part of chunks(unique, this.pg ? 5_000 : 500)) {
      const sql = this.pg
        ? `select ${list} from "${meta.tableName}" where "id" = any(?::text[])`
        : `select ${list} from "${meta.tableName}" where "id" in (${part.map(() => '?').join(', ')})`;
      const params = this.pg ? [pgArray(part)] : part;
      out.push(...(await this.run(() => this.raw<Record<string, unknown>[]>(sql, params, 'all'))));
    }
    return out;
  }

  async findOne<T extends Row>(schema: EntitySchema<T>, where: FilterQuery<T>, options: FindOptions<T> = {}) {
    return (await this.find(schema, where, { ...options, limit: 1 } as FindOptions<T>))[0] ?? null;
  }

  async get<T extends Row>(schema: EntitySchema<T>, id: string): Promise<T | null> {
    const hit = this.mapOf(schema as unknown as EntitySchema<Row>).get(id);
    if (hit) return hit as T;
    // by primary key, the most frequent read: no query building
    if (this.pg) return (await this.getMany(schema, [id]))[0] ?? null;
    return this.findOne(schema, { id } as FilterQuery<T>);
  }

  /** By id, in chunked IN lists; unknown ids are left out. */
  async getMany<T extends Row>(schema: EntitySchema<T>, ids: readonly string[]): Promise<T[]> {
    const m = this.mapOf(schema as unknown as EntitySchema<Row>);
    const missing = [...new Set(ids)].filter((id) => !m.has(id));
    // the hottest read (on PostgreSQL one array parameter, no query building); loaded rows join the map
    await this.findIn(schema, 'id' as keyof T & string, missing);
    return ids.map((id) => m.get(id) as T | undefined).filter((x): x is T => x !== undefined);
  }

  /** `"a"."id", "a"."name", …`: the mapped columns of `schema` for a hand-written select (never `*`). */
  columns<T extends Row>(schema: EntitySchema<T>, alias?: string): string {
    const list = columnListOf(this.em.getMetadata().get(schema.meta.className));
    return alias ? list.replace(/"([^"]+)"/g, `${alias}."$1"`) : list;
  }

  /**
   * Rows of `schema` a hand-written select of `columns(schema)` returns (its `?` are bound to `params`), as this
   * transaction's entities. PostgreSQL or SQLite SQL as the caller writes it for `this.dialect`.
   */
  async select<T extends Row>(schema: EntitySchema<T>, sql: string, params: unknown[]): Promise<T[]> {
    const rows = await this.run(() => this.raw<Record<string, unknown>[]>(sql, params, 'all'));
    return this.toEntities(schema, rows);
  }

  /**
   * Rows of a hand-written select of some columns of `schema`, converted as its entities' fields are (the
   * others left null), outside the identity map: read-only views for bulk readings, never saved.
   */
  async selectViews<T extends Row>(schema: EntitySchema<T>, sql: string, params: unknown[]): Promise<T[]> {
    const rows = await this.run(() => this.raw<Record<string, unknown>[]>(sql, params, 'all'));
    const hydrate = this.hydratorOf(schema);
    return rows.map((r) => hydrate(r) as T);
  }

  /**
   * Row locks until the transaction ends, in id order (no deadlock between two lockers of overlapping
   * sets): `share` against writers, `update` against both. PostgreSQL only: on SQLite a transaction that may
   * write holds the file's write lock from its BEGIN (BEGIN IMMEDIATE), which gives the same guarantee.
   */
  async lock<T extends Row>(schema: EntitySchema<T>, ids: readonly string[], mode: 'share' | 'update') {
    if (this.dialect !== 'postgresql' || ids.length === 0) return;
    const meta = this.em.getMetadata().get(schema.meta.className);
    const sql = `select 1 from "${meta.tableName}" where "id" = any(?::text[]) order by "id" for ${mode}`;
    await this.run(() => this.raw(sql, [pgArray([...new Set(ids)])], 'all'));
  }

  /** Value of the `?::type[]` array parameter for `values` (PostgreSQL). */
  static pgArray(values: readonly unknown[]): string {
    return pgArray(values);
  }

  /**
   * Multi-row inserts, chunked to the driver's limit on bound variables. `sequence` names a property the
   * database numbers as the rows are stored (left null in the objects): PostgreSQL takes `nextval` of the
   * named sequence, SQLite the row's rowid (one writer at a time: increasing in commit order).
   */
  async insert<T extends Row>(
    schema: EntitySchema<T>,
    entities: readonly T[],
    options: { sequence?: { property: keyof T & string; pgSequence: string } } = {},
  ): Promise<void> {
    await this.insertRows(schema, entities, null, options.sequence ?? null);
  }

  /**
   * Multi-row inserts that skip every row whose `unique` property's value is already stored, or taken by
   * an earlier row of the list (`ON CONFLICT (…) DO NOTHING`): on PostgreSQL a conflicting row that another
   * transaction has inserted but not committed yet is waited for, then skipped if it commits. Answers the
   * entities inserted; only those become this transaction's rows.
   */
  async insertUnlessStored<T extends Row>(
    schema: EntitySchema<T>,
    entities: readonly T[],
    unique: keyof T & string,
  ): Promise<T[]> {
    return this.insertRows(schema, entities, unique, null);
  }

  private async insertRows<T extends Row>(
    schema: EntitySchema<T>,
    entities: readonly T[],
    unlessStored: (keyof T & string) | null,
    seq: { property: keyof T & string; pgSequence: string } | null,
  ): Promise<T[]> {
    this.assertWritable();
    if (entities.length === 0) return [];
    const w = this.writerOf(schema);
    const { table, idColumn, versionColumn, toDb } = w;
    const props = w.props.filter((p) => p.name !== seq?.property);
    const all = [idColumn, ...(versionColumn ? [versionColumn] : []), ...props];
    const seqColumn = seq ? `"${w.props.find((p) => p.name === seq.property)?.fieldNames[0]}"` : null;
    const colList = all.map((p) => `"${p.fieldNames[0]}"`).join(', ');
    const placeholders = `(${all.map(() => '?').join(', ')})`;
    let suffix = '';
    if (unlessStored !== null) {
      const meta = this.em.getMetadata().get(schema.meta.className);
      const column = meta.properties[unlessStored as keyof typeof meta.properties]?.fieldNames[0];
      if (!column) throw new Error(`${schema.meta.className} has no property ${unlessStored}`);
      suffix = ` on conflict ("${column}") do nothing returning "${idColumn.fieldNames[0]}" as id`;
    }
    const insertedIds = new Set<string>();
    const note = (result: unknown) => {
      if (unlessStored === null) return;
      for (const row of result as Array<{ id: unknown }>) insertedIds.add(String(row.id));
    };
    if (this.dialect === 'postgresql') {
      // one JSON parameter holding every row (json_to_recordset): serialised natively, a short statement
      // whatever the number of rows (per-column array literals cost ~5x more to build in JavaScript)
      for (const part of chunks(entities, 5_000)) {
        const rs = pgRecordset(all, part, toDb);
        const sql =
          seq && seqColumn
            ? `insert into ${table} (${colList}, ${seqColumn}) select ${rs.select}, nextval('${seq.pgSequence}') from ${rs.from}${suffix}`
            : `insert into ${table} (${colList}) select ${rs.select} from ${rs.from}${suffix}`;
        note(await this.run(() => this.raw(sql, [rs.param], unlessStored === null ? 'run' : 'all')));
      }
    } else {
      for (const part of chunks(entities, chunkSize(this.dialect, all.length))) {
        const params: unknown[] = [];
        for (const e of part)
          for (const p of all) params.push(toDb(p, (e as Record<string, unknown>)[p.name]));
        const sql = `insert into ${table} (${colList}) values ${part.map(() => placeholders).join(', ')}${suffix}`;
        note(await this.run(() => this.raw(sql, params, unlessStored === null ? 'run' : 'all')));
        if (seqColumn) {
          const ids = part.map((e) => e.id);
          const numbered = `update ${table} set ${seqColumn} = rowid where "id" in (${ids.map(() => '?').join(', ')})`;
          await this.run(() => this.raw(numbered, ids, 'run'));
        }
      }
    }
    const inserted = unlessStored === null ? [...entities] : entities.filter((e) => insertedIds.has(e.id));
    for (const e of inserted) {
      this.adopt(schema, e);
      // No snapshot: a row inserted and then updated in the same transaction (rare) has every column
      // written by that update, rather than every inserted row paying for a snapshot up front.
      this.snapshots.delete(e);
    }
    return inserted;
  }

  /**
   * Optimistic update: writes every column where the stored version is the entity's, then bumps the
   * entity's version in place. No row matched: someone else changed (or deleted) it since it was read.
   */
  async update<T extends Row & { version?: number }>(
    schema: EntitySchema<T>,
    entity: T,
    versioned = true,
  ): Promise<void> {
    this.assertWritable();
    const w = this.writerOf(schema);
    const now = this.columnValues(w, entity);
    let changed = this.changedColumns(w, entity, now);
    if (changed.length === 0 && !versioned) changed = w.props.map((_, i) => i);
    const params: unknown[] = changed.map((i) =>
      w.toDb(
        w.props[i] as EntityProperty,
        (entity as Record<string, unknown>)[(w.props[i] as EntityProperty).name],
      ),
    );
    const assignments = changed.map((i) => `"${w.props[i]?.fieldNames[0]}" = ?`);
    const next = (entity.version ?? 0) + 1;
    const sql = versioned
      ? `update ${w.table} set ${[...assignments, '"version" = ?'].join(', ')} where "id" = ? and "version" = ? returning "id"`
      : `update ${w.table} set ${assignments.join(', ')} where "id" = ? returning "id"`;
    if (versioned) params.push(next, entity.id, entity.version ?? 0);
    else params.push(entity.id);
    const updated = await this.run(() => this.raw<Array<{ id: string }>>(sql, params, 'all'));
    if (updated.length !== 1) throw new ConcurrencyConflict(labelOf(schema as Loose), entity.id);
    if (versioned) entity.version = next;
    this.adopt(schema, entity);
    this.snapshots.set(entity, now);
  }

  private static readonly writers = new WeakMap<object, Writer>();

  /** How an entity's fields become column values on this database (SQL text and conversions, cached). */
  private writerOf<T extends Row>(schema: EntitySchema<T>): Writer {
    const meta = this.em.getMetadata().get(schema.meta.className);
    const cached = Session.writers.get(meta);
    if (cached) return cached;
    const platform = this.em.getPlatform();
    const pg = this.dialect === 'postgresql';
    const props = Object.values(meta.properties).filter((p) => p.name !== 'id' && p.name !== 'version');
    const w: Writer = {
      table: `"${meta.tableName}"`,
      idColumn: meta.properties.id as EntityProperty,
      versionColumn: (meta.properties.version as EntityProperty | undefined) ?? null,
      props,
      assignments: props.map((p) => `"${p.fieldNames[0]}" = ?`).join(', '),
      cols: ['id', 'version', ...props.map((p) => p.fieldNames[0] as string)],
      toDb: (p, v) => {
        if (v === null || v === undefined) return null;
        if (p.customType) return p.customType.convertToDatabaseValue(v, platform, { mode: 'query' });
        if (v instanceof Date) return pg ? v : v.getTime();
        if (typeof v === 'boolean' && !pg) return v ? 1 : 0;
        return v;
      },
    };
    Session.writers.set(meta, w);
    return w;
  }

  /**
   * Optimistic updates of many rows in few statements: `UPDATE … FROM (VALUES …)` matching id and version,
   * chunked to the driver's limit on bound variables. Any row not matched (a stale version) fails the call
   * with ConcurrencyConflict; the transaction then rolls back the rest. Versions are bumped in place after.
   */
  async updateMany<T extends Row & { version?: number }>(
    schema: EntitySchema<T>,
    entities: readonly T[],
  ): Promise<void> {
    this.assertWritable();
    if (entities.length === 0) return;
    if (entities.length === 1 || new Set(entities.map((e) => e.id)).size !== entities.length) {
      for (const e of entities) await this.update(schema, e);
      return;
    }
    const w = this.writerOf(schema);
    const values = entities.map((e) => this.columnValues(w, e));
    const union = new Set(entities.flatMap((e, i) => this.changedColumns(w, e, values[i] as unknown[])));
    const keep = w.props.map((_, i) => i).filter((i) => union.has(i));
    const { table, toDb } = w;
    const props = keep.map((i) => w.props[i] as EntityProperty);
    const cols = ['id', 'version', ...keep.map((i) => w.cols[i + 2] as string)];
    const pg = this.dialect === 'postgresql';
    const set = [
      ...props.map((p) => `"${p.fieldNames[0]}" = v."${p.fieldNames[0]}"`),
      '"version" = v."version" + 1',
    ].join(', ');
    const colList = cols.map((c) => `"${c}"`).join(', ');
    for (const part of chunks(entities, pg ? 5_000 : chunkSize(this.dialect, cols.length))) {
      let sql: string;
      let params: unknown[];
      if (pg) {
        // every row in one JSON parameter (json_to_recordset), as the inserts do
        const rs = pgRecordset([w.idColumn, w.versionColumn as EntityProperty, ...props], part, toDb);
        params = [rs.param];
        sql = `update ${table} as t set ${set} from (select ${rs.select} from ${rs.from}) as v where t."id" = v."id" and t."version" = v."version" returning t."id"`;
      } else {
        params = [];
        const rows = part.map((e) => {
          params.push(e.id, e.version ?? 0);
          for (const p of props) params.push(toDb(p, (e as Record<string, unknown>)[p.name]));
          return `(${cols.map(() => '?').join(', ')})`;
        });
        sql = `with v(${colList}) as (values ${rows.join(', ')}) update ${table} set ${set} from v where ${table}."id" = v."id" and ${table}."version" = v."version" returning ${table}."id"`;
      }
      const updated = await this.run(() => this.raw<Array<{ id: string }>>(sql, params, 'all'));
      if (updated.length !== part.length) {
        const done = new Set(updated.map((r) => r.id));
        const stale = part.find((e) => !done.has(e.id));
        throw new ConcurrencyConflict(labelOf(schema as Loose), stale?.id ?? '?');
      }
    }
    entities.forEach((e, i) => {
      e.version = (e.version ?? 0) + 1;
      this.adopt(schema, e);
      this.snapshots.set(e, values[i] as unknown[]);
    });
  }

  /** Deletes the matching rows and drops them from the identity map (a later `get` here finds nothing). */
  async delete<T extends Row>(schema: EntitySchema<T>, where: FilterQuery<T>): Promise<number> {
    this.assertWritable();
    const gone = await this.find(schema, where);
    const m = this.mapOf(schema as unknown as EntitySchema<Row>);
    let n = 0;
    for (const part of chunks(gone, 1000)) {
      // The filter again: a row another transaction changed meanwhile (a ticket just completed) stays.
      const filter = { $and: [where, { id: { $in: part.map((e) => e.id) } }] } as Loose;
      n += await this.run(async () => {
        if (!this.pg) return this.em.nativeDelete(schema as Loose, filter);
        const native = this.em
          .createQueryBuilder(schema.meta.className)
          .delete()
          .where(filter)
          .getKnexQuery()
          .toSQL()
          .toNative();
        return (await this.pg.query(native.sql, native.bindings as unknown[])).rowCount ?? 0;
      });
      for (const e of part) m.delete(e.id);
    }
    return n;
  }
}
