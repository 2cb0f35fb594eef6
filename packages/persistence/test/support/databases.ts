import { createPersistence, entitySchemas, type Persistence } from '../../src/index.js';

/**
 * The PostgreSQL server the integration specs use. Each spec file works in its own database
 * (`<name>_<tag>`), created on first use, so files can run in parallel without seeing each other's rows.
 */
export const POSTGRES_URL =
  process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/billing_center_test';

export function postgresUrlFor(tag: string): string {
  const u = new URL(POSTGRES_URL);
  u.pathname = `/${decodeURIComponent(u.pathname.slice(1)) || 'billing_center_test'}_${tag}`;
  return u.toString();
}

// every mapped table, so a table added later is emptied too
const TABLES = entitySchemas.map((schema) => schema.meta.tableName);

/** A freshly created and migrated PostgreSQL database for one spec file (nothing left from earlier runs). */
export async function openPostgres(tag: string, poolSize?: number): Promise<Persistence> {
  await recreatePostgresDatabase(tag);
  return createPersistence({
    database: postgresUrlFor(tag),
    setting: 'DATABASE_URL',
    migrate: true,
    ...(poolSize ? { poolSize } : {}),
  });
}

/** Empties every table: a fresh database per test without re-creating the schema. */
export async function truncateAll(p: Persistence): Promise<void> {
  // DELETE, not TRUNCATE: the tables are tiny, and TRUNCATE's locks and file work cost ~300 ms a test
  const conn = p.orm.em.getConnection() as unknown as { execute(sql: string): Promise<unknown> };
  for (const t of TABLES) await conn.execute(`delete from "${t}"`);
}

/** Drops and re-creates a spec file's database: migrations start from empty. */
export async function recreatePostgresDatabase(tag: string): Promise<void> {
  // the server's maintenance database (as MikroORM's own ensureDatabase uses): always there, and shared
  // by parallel spec files without racing to create it
  const maintenance = new URL(POSTGRES_URL);
  maintenance.pathname = '/postgres';
  const admin = await createPersistence({ database: maintenance.toString(), migrate: false });
  try {
    const name = new URL(postgresUrlFor(tag)).pathname.slice(1);
    const conn = admin.orm.em.getConnection() as unknown as { execute(sql: string): Promise<unknown> };
    await conn.execute(`drop database if exists "${name}" with (force)`);
    await conn.execute(`create database "${name}"`);
  } finally {
    await admin.close();
  }
}
