import { LibSqlKnexDialect } from '@mikro-orm/knex';

/**
 * How long a SQLite writer waits for another process's transaction before `database-unavailable`, unless
 * `createPersistence`'s `busyTimeoutMs` says otherwise (it reaches the client as `connection.busyTimeoutMs`).
 */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** The part of a `libsql` connection (better-sqlite3's API) this client uses. */
interface LibSqlConnection {
  exec(sql: string): void;
  readonly inTransaction: boolean;
}

/**
 * Connections on which a statement failed busy: the pool replaces them (see `SqliteFileClient`). A WeakSet
 * rather than knex's `__knex__disposed` mark, for which knex logs a warning at each replacement.
 */
const leftInProgress = new WeakSet<object>();

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, …). */
function isBusy(e: unknown): boolean {
  const err = e as { code?: unknown; rawCode?: unknown } | null;
  if (typeof err?.rawCode === 'number') return (err.rawCode & 0xff) === 5;
  return typeof err?.code === 'string' && err.code.startsWith('SQLITE_BUSY');
}

/**
 * MikroORM's knex client for libsql, made safe for a file that several processes write.
 *
 * 1. libsql (0.5.29, pinned by @mikro-orm/libsql 6.6.16) leaves a statement that failed busy in progress.
 *    SQLite suspends a statement whose step returns SQLITE_BUSY (the write lock was not free within the busy
 *    timeout, or SQLITE_BUSY_SNAPSHOT: this transaction's read snapshot is stale) so that the caller may step
 *    it again, and counts it as an active writer until it is reset or finalized. better-sqlite3 resets a
 *    statement after every call; libsql resets one only before its next call, has no reset() or finalize(),
 *    and knex prepares a new statement for every query, so the failed one stays suspended until the garbage
 *    collector finalizes it. Until then every COMMIT on the connection fails with "cannot commit transaction -
 *    SQL statements in progress" (the local stack's fulfillment 500), or every write fails busy again (the
 *    statement pins the stale snapshot). So the connection is given up: the unit of work rolls back, and runs
 *    again (busy is retried) on a new connection. Every other error halts the statement in SQLite itself (a
 *    unique violation, say): that connection stays.
 * 2. Every connection waits for another process's transaction (busy timeout), not only the first one: the
 *    pragma belongs to the connection, and (1) opens new ones.
 * 3. A connection to the file is kept, not reopened every 10 s as MikroORM's libsql client does (for remote
 *    databases). Reopening dropped the busy timeout, so after its first 10 s a process failed busy at once
 *    whenever another one was writing, which made (1) frequent under load.
 */
export class SqliteFileClient extends LibSqlKnexDialect {
  declare connectionSettings: { busyTimeoutMs?: number };

  override async acquireRawConnection(): Promise<LibSqlConnection> {
    const connection = (await super.acquireRawConnection()) as LibSqlConnection;
    connection.exec(
      `pragma busy_timeout = ${this.connectionSettings.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS}`,
    );
    return connection;
  }

  override async _query(connection: LibSqlConnection, obj: unknown): Promise<unknown> {
    try {
      return await super._query(connection, obj);
    } catch (e) {
      if (isBusy(e)) leftInProgress.add(connection);
      throw e;
    }
  }

  override validateConnection(connection: LibSqlConnection): boolean {
    return !leftInProgress.has(connection);
  }

  async destroyRawConnection(connection: LibSqlConnection): Promise<void> {
    // The suspended statement keeps the native connection open until it is finalized (closing only drops this
    // handle): a transaction still open on it (a COMMIT that failed) would hold the file's write lock till then.
    if (connection.inTransaction) {
      try {
        connection.exec('ROLLBACK');
      } catch {
        // closing is all that is left to do
      }
    }
    await super.destroyRawConnection(connection);
  }
}
