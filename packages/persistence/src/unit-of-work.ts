import type { TransactionContext, UnitOfWork } from '@billing-center/core';
import { isDomainError } from '@billing-center/core';
import { DriverException, type MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { toDomainError } from './driver-errors.js';
import { buildRepositories } from './repositories/index.js';
import { type Dialect, type PgConnection, Session } from './session.js';

/**
 * One EntityManager fork and one database transaction per call: everything the work writes commits
 * together, a throw rolls it all back and is rethrown (driver errors as domain errors).
 */
export class MikroOrmUnitOfWork implements UnitOfWork {
  private readonly workspaceWriteListeners = new Set<(accountIds: ReadonlySet<string>) => void>();

  /** PostgreSQL works while we wait; SQLite's driver blocks this thread, so its transactions cannot overlap. */
  readonly overlapsTransactions: boolean;

  constructor(
    private readonly orm: MikroORM,
    private readonly dialect: Dialect,
    private readonly database: string,
  ) {
    this.overlapsTransactions = dialect === 'postgresql';
  }

  /**
   * Tells `listener`, synchronously as each unit of work that wrote workspaces ends (committed, rolled back,
   * or with an unknown outcome), whose workspaces they were: this process's read cache forgets them before
   * the use case returns. Returns the function that stops telling.
   */
  onWorkspaceWrites(listener: (accountIds: ReadonlySet<string>) => void): () => void {
    this.workspaceWriteListeners.add(listener);
    return () => this.workspaceWriteListeners.delete(listener);
  }

  private ended(session: Session | null): void {
    const owners = session?.workspaceOwnersWritten;
    if (!owners || owners.size === 0) return;
    for (const listener of this.workspaceWriteListeners) listener(owners);
  }

  async read<T>(work: (tx: TransactionContext) => Promise<T>): Promise<T> {
    // SQLite has one connection and cheap transactions: a read is a transaction that may not write
    if (this.dialect === 'postgresql') return this.onPooledConnection(work, true);
    return this.transaction((tx) => work(tx), true);
  }

  async transaction<T>(work: (tx: TransactionContext) => Promise<T>, readOnly = false): Promise<T> {
    if (this.dialect === 'postgresql') return this.onPooledConnection(work, readOnly);
    // SQLite, shared by several processes. A transaction that may write begins with BEGIN IMMEDIATE
    // (SqliteFileClient): it waits, up to the busy timeout, for the write lock before its work runs, and
    // holds it to COMMIT, so it never writes on a stale snapshot. A read-only one (`read`) begins deferred
    // and waits for no one.
    for (let attempt = 1; ; attempt += 1) {
      const state = { began: false };
      try {
        return await this.onSqlite(work, readOnly, state);
      } catch (e) {
        await this.closeLeftoverSqliteTransaction();
        if (attempt >= SQLITE_BUSY_ATTEMPTS || !isWorthAnotherAttempt(e, readOnly, state.began)) throw e;
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  /**
   * After a failed unit of work on SQLite: knex sends no ROLLBACK after a failed COMMIT (it takes the
   * transaction as ended), and SQLite keeps a transaction whose COMMIT failed open, on the one connection,
   * where every later BEGIN would fail ("Transaction query already complete"). Roll it back. A COMMIT that
   * failed busy also gives up its connection, rolled back as it closes (SqliteFileClient); this is for one
   * that fails otherwise and stays open (SQLite may or may not roll back after an I/O error or a full disk).
   */
  private async closeLeftoverSqliteTransaction(): Promise<void> {
    const em = this.orm.em.fork() as SqlEntityManager;
    const client = em.getConnection().getKnex().client as unknown as PooledClient;
    let connection: { inTransaction?: boolean; exec?: (sql: string) => unknown } | null = null;
    try {
      connection = (await client.acquireConnection()) as {
        inTransaction?: boolean;
        exec?: (sql: string) => unknown;
      };
      if (connection?.inTransaction) connection.exec?.('ROLLBACK');
    } catch {
      // nothing more to do here: the next unit of work reports what is wrong
    } finally {
      if (connection) await client.releaseConnection(connection);
    }
  }

  private async onSqlite<T>(
    work: (tx: TransactionContext) => Promise<T>,
    readOnly: boolean,
    state: { began: boolean },
  ): Promise<T> {
    let session: Session | null = null;
    const em = this.orm.em.fork() as SqlEntityManager;
    try {
      // `readOnly` reaches knex's transaction, whose BEGIN it chooses (SqliteFileClient)
      return await em.transactional(
        async (txEm) => {
          state.began = true;
          session = new Session(txEm as SqlEntityManager, this.dialect, this.database);
          session.readOnly = readOnly;
          const result = await work(buildRepositories(session));
          // A statement failed and the work carried on: the transaction is poisoned, never half-committed.
          if (session.failure) throw session.failure;
          return result;
        },
        { readOnly },
      );
    } catch (e) {
      // BEGIN's and COMMIT's errors come from the driver unconverted ("database is locked": unavailable)
      throw this.storeError(em, e);
    } finally {
      this.ended(session);
    }
  }

  /** A failure as a domain error; a raw driver error (one MikroORM did not wrap) is converted first. */
  private storeError(em: SqlEntityManager, e: unknown): unknown {
    const wrapped =
      e instanceof DriverException || isDomainError(e) || !(e instanceof Error)
        ? e
        : em.getDriver().convertException(e);
    return toDomainError(wrapped, this.database);
  }

  /**
   * PostgreSQL: BEGIN, the work's statements and COMMIT on one connection taken from the pool, without
   * knex's and MikroORM's transaction layers (they cost more CPU than a short transaction's queries: about
   * 0.8 ms per transaction, paid by every API request). MikroORM still writes the SQL of filtered reads.
   */
  private async onPooledConnection<T>(
    work: (tx: TransactionContext) => Promise<T>,
    readOnly: boolean,
  ): Promise<T> {
    const em = this.orm.em.fork() as SqlEntityManager;
    const client = em.getConnection().getKnex().client as unknown as PooledClient;
    let connection: PgConnection & { __knex__disposed?: unknown };
    try {
      connection = (await client.acquireConnection()) as PgConnection;
    } catch (e) {
      throw this.storeError(em, e);
    }
    let session: Session | null = null;
    try {
      // a read runs its statements as they come (autocommit): no BEGIN/COMMIT round trips
      if (!readOnly) await connection.query('begin');
      session = new Session(em, this.dialect, this.database, connection);
      session.readOnly = readOnly;
      const result = await work(buildRepositories(session));
      // A statement failed and the work carried on: the transaction is poisoned, never half-committed.
      if (session.failure) throw session.failure;
      if (!readOnly) await connection.query('commit');
      return result;
    } catch (e) {
      try {
        if (!readOnly) await connection.query('rollback');
      } catch (rollbackFailure) {
        // the connection is gone: the pool must not hand it out again
        connection.__knex__disposed ??= rollbackFailure;
      }
      throw this.storeError(em, e);
    } finally {
      // after COMMIT (or ROLLBACK) returned, before the use case does
      this.ended(session);
      await client.releaseConnection(connection);
    }
  }
}

const SQLITE_BUSY_ATTEMPTS = 4;

/**
 * Whether a SQLite unit of work that failed is run again (it wrote nothing).
 *
 * - A unit of work that may write and failed busy before its transaction began has waited the whole busy
 *   timeout for another process's write lock, at BEGIN IMMEDIATE: it fails (`database-unavailable`). Another
 *   attempt would hold the caller, and the whole process (libsql waits synchronously), for one more timeout.
 * - Busy anywhere else is run again: SQLITE_BUSY_SNAPSHOT (a stale snapshot: only a transaction that read
 *   before it wrote without holding the lock can meet it, which BEGIN IMMEDIATE rules out for units of work,
 *   kept in case), SQLITE_BUSY_RECOVERY and the like (a connection is rebuilding the WAL index after a crash:
 *   soon over), a read-only unit of work's too.
 * - A transaction that never began (knex's "Transaction query already complete", or SQLite's "cannot start a
 *   transaction within a transaction": one left open on the connection, rolled back before the next attempt).
 */
function isWorthAnotherAttempt(e: unknown, readOnly: boolean, began: boolean): boolean {
  if (isSqliteTransactionNotBegun(e)) return true;
  if (!isSqliteBusy(e)) return false;
  return readOnly || began;
}

/** SQLite's "database is locked" (SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT), however the driver wrapped it. */
export function isSqliteBusy(e: unknown): boolean {
  return anyCause(
    e,
    (err) =>
      (typeof err.code === 'string' && err.code.startsWith('SQLITE_BUSY')) ||
      (typeof err.message === 'string' && /database is locked|SQLITE_BUSY/.test(err.message)),
  );
}

/** Whether `e` or one of its causes (a driver error wrapped by MikroORM, then by the core) passes `test`. */
function anyCause(e: unknown, test: (err: { code?: unknown; message?: unknown }) => boolean): boolean {
  for (let x: unknown = e, depth = 0; x && depth < 5; depth += 1) {
    const err = x as { code?: unknown; message?: unknown; cause?: unknown };
    if (test(err)) return true;
    x = err.cause;
  }
  return false;
}

/**
 * A transaction that could not begin because the connection already had one open: SQLite's "cannot start a
 * transaction within a transaction", as SqliteFileClient reports a failed BEGIN; knex's own client refuses
 * every statement of such a transaction instead ("Transaction query already complete"). The attempt wrote
 * nothing, so, like a busy database, it is run again. Seen on SQLite under heavy load, after a COMMIT had
 * failed with "SQL statements in progress" and left its transaction open (a busy statement left in progress,
 * which SqliteFileClient now prevents); kept for a transaction left open otherwise.
 */
export function isSqliteTransactionNotBegun(e: unknown): boolean {
  return anyCause(
    e,
    (err) =>
      typeof err.message === 'string' &&
      (err.message.startsWith('Transaction query already complete') ||
        err.message.includes('cannot start a transaction within a transaction')),
  );
}

/** knex's client: the connection pool the PostgreSQL transactions take their connection from. */
interface PooledClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}
