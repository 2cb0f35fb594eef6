import { ConcurrencyConflict } from '@billing-center/core';
import type { EntitySchema, FilterQuery, FindOptions } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { toDomainError } from './driver-errors.js';

export type Dialect = 'postgresql' | 'sqlite';
type Row = { id: string };
// MikroORM's generic find/insert typings do not resolve for a generic entity type: the session is typed at
// its edges (schema in, entity out) and talks to the EntityManager untyped.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Loose = any;

/** Rows per statement for IN lists and multi-row inserts (SQLite allows fewer bound variables). */
export const chunkSize = (dialect: Dialect, columns: number) =>
  Math.max(1, Math.floor((dialect === 'postgresql' ? 60_000 : 30_000) / Math.max(1, columns)));

/** `MeteringRecord` → `metering record`, as the core's errors name entities. */
const labelOf = (schema: EntitySchema<Row>) =>
  schema.meta.className.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

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

  constructor(
    readonly em: SqlEntityManager,
    readonly dialect: Dialect,
    readonly database: string,
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

  /** The transaction's copy of a row: an object already loaded here wins over the fresh one. */
  track<T extends Row>(schema: EntitySchema<T>, entity: T): T {
    const m = this.mapOf(schema as unknown as EntitySchema<Row>);
    const hit = m.get(entity.id);
    if (hit) return hit as T;
    m.set(entity.id, entity);
    return entity;
  }

  async run<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (e) {
      throw toDomainError(e, this.database);
    }
  }

  async find<T extends Row>(
    schema: EntitySchema<T>,
    where: FilterQuery<T>,
    options: FindOptions<T> = {},
  ): Promise<T[]> {
    const rows = await this.run(() =>
      this.em.find(schema as Loose, where as Loose, { ...options, disableIdentityMap: true } as Loose),
    );
    return rows.map((r) => this.track(schema, r as T));
  }

  async findOne<T extends Row>(schema: EntitySchema<T>, where: FilterQuery<T>, options: FindOptions<T> = {}) {
    return (await this.find(schema, where, { ...options, limit: 1 } as FindOptions<T>))[0] ?? null;
  }

  async get<T extends Row>(schema: EntitySchema<T>, id: string): Promise<T | null> {
    const hit = this.mapOf(schema as unknown as EntitySchema<Row>).get(id);
    if (hit) return hit as T;
    return this.findOne(schema, { id } as FilterQuery<T>);
  }

  /** By id, in chunked IN lists; unknown ids are left out. */
  async getMany<T extends Row>(schema: EntitySchema<T>, ids: readonly string[]): Promise<T[]> {
    const m = this.mapOf(schema as unknown as EntitySchema<Row>);
    const missing = [...new Set(ids)].filter((id) => !m.has(id));
    for (const part of chunks(missing, 1000)) await this.find(schema, { id: { $in: part } } as Loose);
    return ids.map((id) => m.get(id) as T | undefined).filter((x): x is T => x !== undefined);
  }

  private columnsOf<T extends Row>(schema: EntitySchema<T>): string[] {
    return Object.keys(schema.meta.properties);
  }

  private rowOf<T extends Row>(schema: EntitySchema<T>, entity: T, except: string[] = []) {
    const out: Record<string, unknown> = {};
    for (const p of this.columnsOf(schema)) if (!except.includes(p)) out[p] = (entity as never)[p];
    return out;
  }

  /** Multi-row inserts, chunked to the driver's limit on bound variables. */
  async insert<T extends Row>(schema: EntitySchema<T>, entities: readonly T[]): Promise<void> {
    if (entities.length === 0) return;
    const size = chunkSize(this.dialect, this.columnsOf(schema).length);
    for (const part of chunks(entities, size)) {
      await this.run(() =>
        this.em.insertMany(
          schema as Loose,
          part.map((e) => this.rowOf(schema, e)),
        ),
      );
    }
    for (const e of entities) this.track(schema, e);
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
    const data = this.rowOf(schema, entity, ['id']);
    const where: Record<string, unknown> = { id: entity.id };
    if (versioned) {
      where.version = entity.version;
      data.version = (entity.version ?? 0) + 1;
    }
    const n = await this.run(() => this.em.nativeUpdate(schema as Loose, where, data));
    if (n !== 1) throw new ConcurrencyConflict(labelOf(schema as Loose), entity.id);
    if (versioned) entity.version = data.version as number;
    this.track(schema, entity);
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
    if (entities.length === 0) return;
    if (entities.length === 1 || new Set(entities.map((e) => e.id)).size !== entities.length) {
      for (const e of entities) await this.update(schema, e);
      return;
    }
    const meta = this.em.getMetadata().get(schema.meta.className);
    const platform = this.em.getPlatform();
    const props = Object.values(meta.properties).filter((p) => p.name !== 'id' && p.name !== 'version');
    const cols = ['id', 'version', ...props.map((p) => p.fieldNames[0] as string)];
    const types = [
      meta.properties.id?.columnTypes[0] ?? 'text',
      'int',
      ...props.map((p) => p.columnTypes[0] ?? 'text'),
    ];
    const pg = this.dialect === 'postgresql';
    const toDb = (p: (typeof props)[number], v: unknown): unknown => {
      if (v === null || v === undefined) return null;
      if (p.customType) return p.customType.convertToDatabaseValue(v, platform, { mode: 'query' });
      if (v instanceof Date) return pg ? v : v.getTime();
      if (typeof v === 'boolean' && !pg) return v ? 1 : 0;
      return v;
    };
    const table = `"${meta.tableName}"`;
    const set = props.map((p) => `"${p.fieldNames[0]}" = v."${p.fieldNames[0]}"`).join(', ');
    const colList = cols.map((c) => `"${c}"`).join(', ');
    for (const part of chunks(entities, chunkSize(this.dialect, cols.length))) {
      const params: unknown[] = [];
      const rows = part.map((e) => {
        params.push(e.id, e.version ?? 0);
        for (const p of props) params.push(toDb(p, (e as Record<string, unknown>)[p.name]));
        // PostgreSQL types a VALUES list from its values: cast each parameter to its column's type
        return `(${cols.map((_, i) => (pg ? `?::${types[i]}` : '?')).join(', ')})`;
      });
      const sql = pg
        ? `update ${table} as t set ${set}, "version" = v."version" + 1 from (values ${rows.join(', ')}) as v(${colList}) where t."id" = v."id" and t."version" = v."version" returning t."id"`
        : `with v(${colList}) as (values ${rows.join(', ')}) update ${table} set ${set}, "version" = v."version" + 1 from v where ${table}."id" = v."id" and ${table}."version" = v."version" returning ${table}."id"`;
      const updated = await this.run(() =>
        this.em
          .getConnection()
          .execute<Array<{ id: string }>>(sql, params, 'all', this.em.getTransactionContext()),
      );
      if (updated.length !== part.length) {
        const done = new Set(updated.map((r) => r.id));
        const stale = part.find((e) => !done.has(e.id));
        throw new ConcurrencyConflict(labelOf(schema as Loose), stale?.id ?? '?');
      }
    }
    for (const e of entities) {
      e.version = (e.version ?? 0) + 1;
      this.track(schema, e);
    }
  }

  async delete<T extends Row>(schema: EntitySchema<T>, where: FilterQuery<T>): Promise<number> {
    return this.run(() => this.em.nativeDelete(schema as Loose, where as Loose));
  }
}
