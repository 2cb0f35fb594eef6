import { createRequire } from 'node:module';
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

/** The part of knex's SQLite transaction (`Transaction_Sqlite`) that `SqliteFileTransaction` uses. */
interface KnexSqliteTransaction {
  /** knex's `readOnly` transaction setting: MikroORM's `em.transactional(work, { readOnly })` passes it on */
  readOnly?: boolean;
  _completed: boolean;
  trxClient: { query(connection: LibSqlConnection, sql: string): Promise<unknown> };
  begin(connection: LibSqlConnection): Promise<unknown>;
}

/**
 * knex's own SQLite transaction class, taken from the copy of knex that @mikro-orm/knex loads (the one whose
 * client `SqliteFileClient` extends; knex is not a dependency of this package, and exports no such class).
 */
const KnexSqliteTransaction = createRequire(createRequire(import.meta.url).resolve('@mikro-orm/knex'))(
  'knex/lib/dialects/sqlite3/execution/sqlite-transaction',
) as new (
  client: unknown,
  container: unknown,
  config?: unknown,
  outerTx?: unknown,
) => KnexSqliteTransaction;

/**
 * A transaction that will write begins with `BEGIN IMMEDIATE`: it takes the file's write lock at once,
 * waiting for another process's write transaction up to the busy timeout. SQLite's default, a deferred
 * `BEGIN`, takes the lock only at the first write, and in WAL mode that write fails at once
 * (SQLITE_BUSY_SNAPSHOT, no busy timeout) when another process committed since the transaction first read:
 * its snapshot is stale. SQLite does not wait either when the write finds the lock taken after a read (a
 * transaction that holds a read snapshot never invokes the busy handler). A writer that holds the lock from
 * its BEGIN reads the latest data and cannot lose it: no such failure, no unit of work run again.
 *
 * A read-only transaction (`UnitOfWork.read`, `readOnly` set) keeps the deferred `BEGIN`: in WAL mode it
 * reads a snapshot without any lock, so readers never wait for writers, nor writers for them.
 *
 * A failed BEGIN rejects the transaction with its own error (a busy timeout that ran out: "database is
 * locked"), before its work runs. knex's `begin` keeps that error to itself and runs the work anyway, on a
 * transaction that never began, whose every statement then fails with "Transaction query already complete".
 */
class SqliteFileTransaction extends KnexSqliteTransaction {
  override async begin(connection: LibSqlConnection): Promise<unknown> {
    try {
      return await this.trxClient.query(connection, this.readOnly ? 'BEGIN;' : 'BEGIN IMMEDIATE;');
    } catch (e) {
      this._completed = true; // as knex marks a transaction whose query failed: nothing more runs in it
      throw e; // knex rejects the transaction with it, without running the work
    }
  }
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
 *    statement pins the stale snapshot). A `BEGIN IMMEDIATE` that ran out of time is left the same way. So the
 *    connection is given up: the unit of work rolls back, and the next one (or its next attempt, see
 *    MikroOrmUnitOfWork) runs on a new connection. Every other error halts the statement in SQLite itself (a
 *    unique violation, say): that connection stays.
 * 2. Every connection waits for another process's transaction (busy timeout), not only the first one: the
 *    pragma belongs to the connection, and (1) opens new ones.
 * 3. A connection is replaced after 10 s, as MikroORM's libsql client does: knex prepares a statement for
 *    every query, and libsql frees a statement's native memory only when the garbage collector finalizes it
 *    or its connection closes, which V8 does not see coming. Kept for good, a connection held hundreds of MB
 *    of them (the SQLite planner benchmark: peak RSS 1,391 MB kept, 758 MB replaced every 10 s, and
 *    8,889 against 10,404 records/s). Replacing it used to drop the busy timeout (a new connection starts at
 *    0), so after its first 10 s a process failed busy at once whenever another one was writing: (2).
 * 4. A transaction that may write begins with `BEGIN IMMEDIATE`, a read-only one with `BEGIN`
 *    (`SqliteFileTransaction`).
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

  transaction(container: unknown, config: unknown, outerTx: unknown): SqliteFileTransaction {
    return new SqliteFileTransaction(this, container, config, outerTx);
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
    return !leftInProgress.has(connection) && super.validateConnection(connection);
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
