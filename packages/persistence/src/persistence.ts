import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnavailableError, type UnitOfWork } from '@billing-center/core';
import type { MikroORM, Options } from '@mikro-orm/core';
import { MikroORM as LibSqlMikroORM } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PostgreSqlMikroORM } from '@mikro-orm/postgresql';
import { migrationsList } from '../migrations/index.js';
import { type DatabaseTarget, parseDatabaseSetting } from './database-setting.js';
import { entitySchemas } from './mapping/entity-schemas.js';
import { SQLITE_BUSY_TIMEOUT_MS, SqliteFileClient } from './sqlite-client.js';
import { MikroOrmUnitOfWork } from './unit-of-work.js';
import { PgWorkspaceChangeFeed, type PgWorkspaceChangeFeedOptions } from './workspace-change-feed.js';

export interface PersistenceOptions {
  /** The one setting: a `postgres://` URL, `:memory:`, or a SQLite file path (empty: the default file). */
  database?: string | null;
  /** The name of that setting in the caller's configuration, for error messages (`DATABASE_URL`, …). */
  setting?: string;
  /**
   * Bring the schema up to date at start. Default: yes for SQLite (created on first start), no for
   * PostgreSQL (migrated by `pnpm --filter @billing-center/persistence migrate`, or `migrate()`).
   */
  migrate?: boolean;
  /** PostgreSQL only: create the database if it does not exist (tests). */
  createDatabase?: boolean;
  /** PostgreSQL connection pool size (default 10). */
  poolSize?: number;
  /**
   * SQLite file: how long a unit of work that writes waits for another process's write transaction before
   * it fails as `database-unavailable` (default 10 s). The wait blocks the process (libsql is synchronous).
   */
  busyTimeoutMs?: number;
}

export interface Persistence {
  readonly uow: UnitOfWork;
  readonly orm: MikroORM;
  readonly target: DatabaseTarget;
  /** PostgreSQL: applies pending migrations (returns their names). SQLite: creates or updates the schema. */
  migrate(): Promise<string[]>;
  /**
   * PostgreSQL: starts a feed of the accounts whose workspaces change (LISTEN on its own connection, plus
   * this process's own writes as they end), closed with the persistence. SQLite: null (no notifications).
   */
  openWorkspaceChangeFeed(
    options?: Omit<PgWorkspaceChangeFeedOptions, 'url' | 'localWrites' | 'onClose'>,
  ): PgWorkspaceChangeFeed | null;
  close(): Promise<void>;
}

const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** Opens the database the setting names and checks that it answers; fails once, naming the setting. */
export async function createPersistence(options: PersistenceOptions = {}): Promise<Persistence> {
  const setting = options.setting ?? 'database';
  const target = parseDatabaseSetting(options.database, setting);
  const common = {
    entities: entitySchemas,
    connect: false,
    debug: false,
    allowGlobalContext: false,
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      tableName: MIGRATIONS_TABLE,
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
  } satisfies Options;
  const failed = (cause: unknown): UnavailableError =>
    new UnavailableError(
      'database-unavailable',
      `Cannot use the database that configuration "${setting}" names (${target.display}): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { setting, database: target.display },
    );

  const busyTimeoutMs = options.busyTimeoutMs;
  if (busyTimeoutMs !== undefined && !(Number.isInteger(busyTimeoutMs) && busyTimeoutMs >= 0))
    throw new TypeError(`busyTimeoutMs must be a whole number of milliseconds, not ${busyTimeoutMs}`);

  let orm: MikroORM;
  try {
    if (target.kind === 'sqlite' && target.path !== ':memory:') {
      // fail now with the file system's reason, rather than in the driver's connection pool (which retries)
      mkdirSync(dirname(target.path), { recursive: true });
      closeSync(openSync(target.path, 'a'));
    }
    orm =
      target.kind === 'postgresql'
        ? await PostgreSqlMikroORM.init({
            ...common,
            clientUrl: target.url,
            dbName: target.dbName,
            ensureDatabase: options.createDatabase ? {} : false,
            pool: { min: 0, max: options.poolSize ?? 10, acquireTimeoutMillis: 15_000 },
          })
        : await LibSqlMikroORM.init({
            ...common,
            dbName: target.path,
            ensureDatabase: false,
            // one connection: an in-memory database exists per connection, and SQLite has one writer
            pool: { min: 1, max: 1 },
            // sets each connection's busy timeout, replaces a connection a busy statement was left on, and
            // begins a transaction that may write with BEGIN IMMEDIATE (see SqliteFileClient)
            driverOptions: {
              client: SqliteFileClient,
              connection: { busyTimeoutMs: busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS },
            },
          });
  } catch (e) {
    throw failed(e);
  }
  try {
    await orm.connect();
    const check = await orm.checkConnection();
    if (!check.ok) throw check.error ?? new Error(check.reason);
    if (target.kind === 'sqlite' && target.path !== ':memory:') {
      // Several processes (API, webhook, worker) share the file: readers never block the writer (WAL, kept
      // in the file). A writer waits for another's transaction instead of failing at once with SQLITE_BUSY:
      // the busy timeout is set on every connection as it opens (SqliteFileClient).
      await orm.em.getConnection().execute('pragma journal_mode = wal');
    }
  } catch (e) {
    await orm.close(true).catch(() => undefined);
    throw failed(e);
  }

  const migrate = async (): Promise<string[]> => {
    if (target.kind === 'sqlite') {
      await orm.schema.updateSchema({ safe: true });
      await upgradeSqliteData(orm.em.getConnection());
      return [];
    }
    const done = await orm.getMigrator().up();
    return done.map((m) => m.name);
  };
  if (options.migrate ?? target.kind === 'sqlite') {
    try {
      await migrate();
    } catch (e) {
      await orm.close(true).catch(() => undefined);
      throw e;
    }
  }
  const uow = new MikroOrmUnitOfWork(orm, target.kind, target.display);
  const feeds = new Set<PgWorkspaceChangeFeed>();
  return {
    uow,
    orm,
    target,
    migrate,
    openWorkspaceChangeFeed(feedOptions = {}) {
      if (target.kind !== 'postgresql') return null;
      const feed = new PgWorkspaceChangeFeed({
        ...feedOptions,
        url: target.url,
        localWrites: (report) => uow.onWorkspaceWrites(report),
        onClose: () => feeds.delete(feed),
      });
      feeds.add(feed);
      return feed.start();
    },
    close: async () => {
      await Promise.all([...feeds].map((f) => f.close()));
      await orm.close(true);
    },
  };
}

/**
 * What PostgreSQL's migration 20261128000000_usage_watermark does to data, for a SQLite file made before it
 * (its schema is updated by MikroORM, which adds columns but moves no data): usage stored without a `seq`
 * is numbered (still pending, it is billed by the next seal), and rating states move into books. Rows
 * already marked `metered` keep that status. Idempotent: a file already upgraded has nothing to change.
 */
async function upgradeSqliteData(connection: { execute(sql: string): Promise<unknown> }): Promise<void> {
  await connection.execute('update "usage_record" set "seq" = rowid where "seq" is null');
  const legacy = (await connection.execute(
    `select 1 from sqlite_master where type = 'table' and name = 'rating_state'`,
  )) as unknown[];
  if (legacy.length === 0) return;
  await connection.execute(
    `insert or ignore into "rating_book" ("id", "states", "version")
     select "cloud_account_id", json_group_array(json_object('workspaceId', "workspace_id", 'itemCode', "item_code",
       'carry', "carry", 'denominator', "denominator", 'peakDay', "peak_day", 'peak', "peak")), 1
     from (select * from "rating_state" order by "id") group by "cloud_account_id"`,
  );
  await connection.execute('drop table "rating_state"');
}
