import { createPersistence } from '@billing-center/persistence';

/**
 * The PostgreSQL server of the integration specs (127.0.0.1:5432 unless `DATABASE_URL` names another
 * postgres:// server). The API's specs use their own databases on it, dropped and created at start, so a
 * run never sees rows of an earlier one: `bc_api_test` for the suite, `bc_api_bench` for the benchmark.
 */
const SERVER =
  process.env.DATABASE_URL?.startsWith('postgres') === true
    ? process.env.DATABASE_URL
    : 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * `TEST_DATABASE_PREFIX` (optional) goes before every database name these specs create, so that several
 * checkouts can run them against one server at the same time without dropping each other's databases.
 */
const PREFIX = process.env.TEST_DATABASE_PREFIX?.trim() ?? '';

export function postgresUrl(database: string): string {
  const u = new URL(SERVER);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Drops and re-creates one database (migrations then start from empty). */
export async function recreatePostgresDatabase(name: string): Promise<string> {
  const database = `${PREFIX}${name}`;
  // the server's maintenance database: always there, shared by parallel spec files without a race
  const admin = await createPersistence({ database: postgresUrl('postgres'), migrate: false });
  try {
    const conn = admin.orm.em.getConnection() as unknown as { execute(sql: string): Promise<unknown> };
    await conn.execute(`drop database if exists "${database}" with (force)`);
    await conn.execute(`create database "${database}"`);
  } finally {
    await admin.close();
  }
  return postgresUrl(database);
}
