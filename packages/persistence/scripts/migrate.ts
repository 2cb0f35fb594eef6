import { isDomainError } from '@billing-center/core';
import { createPersistence } from '../src/index.js';

/**
 * `pnpm --filter @billing-center/persistence migrate`: brings the database that DATABASE_URL names up to
 * date — PostgreSQL through the committed migrations, SQLite (a path or empty) through the schema generator.
 */
const setting = 'DATABASE_URL';
try {
  const db = await createPersistence({ database: process.env[setting], setting, migrate: false });
  try {
    const applied = await db.migrate();
    const what =
      db.target.kind === 'sqlite'
        ? 'schema created or updated'
        : applied.length
          ? `applied ${applied.join(', ')}`
          : 'already up to date';
    console.log(`migrate: ${db.target.display}: ${what}`);
  } finally {
    await db.close();
  }
} catch (e) {
  console.error(`migrate: ${isDomainError(e) ? e.message : e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = 1;
}
